"""Procedural pedestrians: an identity (body, skin, hair, clothes, accessories) as a coloured triangle mesh.

The mesh is built from trimesh primitives in metres, feet on y = 0, facing +z (so camera azimuth 0 sees the front,
180 the back). Clothing patterns are stacks of thin segments with their own colours (stripes, two-tone shirts), so
the flat-shaded renderer shows them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

SKIN_TONES = np.array(
    [[255, 224, 196], [241, 194, 160], [224, 172, 128], [198, 134, 96], [141, 85, 54], [94, 60, 40]], np.float32
)
HAIR_COLOURS = np.array(
    [[20, 16, 14], [60, 40, 25], [110, 70, 40], [200, 160, 90], [150, 150, 150], [140, 45, 25]], np.float32
)
PATTERNS = ("solid", "stripes", "two_tone", "jacket")


@dataclass(frozen=True)
class Identity:
    """Everything that makes one person look like themselves from any camera."""

    height: float  # metres
    build: float  # width scale
    skin: tuple
    hair: tuple
    hair_style: int  # 0 bald, 1 short, 2 long
    shirt: tuple
    shirt2: tuple  # second colour of the pattern
    pattern: str
    long_sleeves: bool
    trousers: tuple
    long_trousers: bool
    shoes: tuple
    bag: int  # 0 none, 1 backpack, 2 shoulder bag
    bag_colour: tuple
    hat: bool
    hat_colour: tuple


def _colour(rng: np.random.Generator, saturation: tuple[float, float], value: tuple[float, float]) -> tuple:
    """A random clothing colour from an HSV range (uint8 RGB)."""
    import colorsys

    h = rng.random()
    s = rng.uniform(*saturation)
    v = rng.uniform(*value)
    return tuple(int(255 * c) for c in colorsys.hsv_to_rgb(h, s, v))


def random_identity(rng: np.random.Generator) -> Identity:
    """Draw one person: every attribute independent, so identities differ in many small ways."""
    greyish = rng.random() < 0.3  # dark/grey/white clothes are common on real streets

    def cloth() -> tuple:
        if rng.random() < 0.3:
            g = int(rng.uniform(20, 235))
            return (g, g, g)
        return _colour(rng, (0.3, 0.95), (0.25, 0.95))

    shirt = cloth()
    return Identity(
        height=float(rng.uniform(1.55, 1.95)),
        build=float(rng.uniform(0.8, 1.25)),
        skin=tuple(int(min(c, 255)) for c in SKIN_TONES[rng.integers(len(SKIN_TONES))] * rng.uniform(0.93, 1.05)),
        hair=tuple(int(c) for c in HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))]),
        hair_style=int(rng.choice(3, p=[0.1, 0.55, 0.35])),
        shirt=shirt,
        shirt2=cloth() if not greyish else (240, 240, 240),
        pattern=str(rng.choice(PATTERNS, p=[0.4, 0.2, 0.2, 0.2])),
        long_sleeves=bool(rng.random() < 0.5),
        trousers=cloth(),
        long_trousers=bool(rng.random() < 0.7),
        shoes=cloth(),
        bag=int(rng.choice(3, p=[0.5, 0.3, 0.2])),
        bag_colour=cloth(),
        hat=bool(rng.random() < 0.2),
        hat_colour=cloth(),
    )


def _segment(radius_x: float, radius_z: float, y0: float, y1: float, x: float = 0.0, sections: int = 10):
    """An elliptic cylinder from y0 to y1 centred at (x, z=0)."""
    mesh = trimesh.creation.cylinder(radius=1.0, height=y1 - y0, sections=sections)
    mesh.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))  # axis z -> y
    mesh.apply_scale([radius_x, 1.0, radius_z])
    mesh.apply_translation([x, (y0 + y1) / 2, 0.0])
    return mesh


def _box(extents, centre):
    mesh = trimesh.creation.box(extents=extents)
    mesh.apply_translation(centre)
    return mesh


def build_mesh(person: Identity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The person's mesh: vertices (V, 3), faces (F, 3), per-face colours (F, 3) uint8."""
    s, w = person.height / 1.75, person.build
    parts: list[tuple[trimesh.Trimesh, tuple]] = []
    leg_top, torso_top = 0.85 * s, 1.42 * s
    # legs: trousers (long or shorts with skin below), shoes
    for side in (-1, 1):
        x = side * 0.09 * w
        parts.append((_segment(0.065 * w, 0.07, 0.0, 0.07 * s, x, 8), person.shoes))
        knee = 0.07 * s if person.long_trousers else 0.5 * s
        if not person.long_trousers:
            parts.append((_segment(0.055 * w, 0.06, 0.07 * s, knee, x, 8), person.skin))
        parts.append((_segment(0.075 * w, 0.08, knee, leg_top, x, 8), person.trousers))
    # torso: four stacked segments carry the pattern
    bounds = np.linspace(leg_top - 0.03 * s, torso_top, 5)
    for k in range(4):
        if person.pattern == "stripes":
            colour = person.shirt if k % 2 == 0 else person.shirt2
        elif person.pattern == "two_tone":
            colour = person.shirt if k >= 2 else person.shirt2
        else:
            colour = person.shirt
        parts.append((_segment(0.19 * w, 0.12 * w, bounds[k], bounds[k + 1], 0.0, 12), colour))
    if person.pattern == "jacket":  # an open jacket: a front panel of the second colour
        parts.append(
            (
                _box([0.12 * w, bounds[-1] - bounds[0], 0.02], [0, (bounds[0] + bounds[-1]) / 2, 0.115 * w]),
                person.shirt2,
            )
        )
    # arms
    for side in (-1, 1):
        x = side * 0.235 * w
        elbow = 1.12 * s
        sleeve_end = 0.86 * s if person.long_sleeves else elbow
        parts.append((_segment(0.045, 0.05, sleeve_end, torso_top - 0.02 * s, x, 8), person.shirt))
        parts.append((_segment(0.038, 0.04, 0.8 * s, sleeve_end, x, 8), person.skin))
    # neck, head, hair, hat
    parts.append((_segment(0.05, 0.05, torso_top, torso_top + 0.06 * s, 0.0, 8), person.skin))
    head_y = torso_top + 0.16 * s
    head = trimesh.creation.icosphere(subdivisions=2, radius=0.11)
    head.apply_scale([0.9, 1.05 * s, 1.0])
    head.apply_translation([0, head_y, 0])
    parts.append((head, person.skin))
    if person.hair_style:
        hair = trimesh.creation.icosphere(subdivisions=2, radius=0.118)
        hair.apply_scale([0.95, 1.0 * s, 1.0])
        hair.apply_translation([0, head_y + 0.03 * s, -0.015])
        parts.append((hair, person.hair))
        if person.hair_style == 2:  # long hair falls down the back
            parts.append((_box([0.2, 0.25 * s, 0.05], [0, head_y - 0.12 * s, -0.09]), person.hair))
    if person.hat:
        parts.append((_segment(0.12, 0.125, head_y + 0.06 * s, head_y + 0.14 * s, 0.0, 12), person.hat_colour))
        parts.append((_box([0.16, 0.015, 0.12], [0, head_y + 0.065 * s, 0.1]), person.hat_colour))
    # bag
    if person.bag == 1:
        parts.append((_box([0.28 * w, 0.38 * s, 0.14], [0, 1.15 * s, -0.19 * w]), person.bag_colour))
    elif person.bag == 2:
        parts.append((_box([0.07, 0.22 * s, 0.26], [0.3 * w, 0.9 * s, 0.0]), person.bag_colour))
    vertices, faces, colours, offset = [], [], [], 0
    for mesh, colour in parts:
        vertices.append(mesh.vertices)
        faces.append(mesh.faces + offset)
        colours.append(np.tile(np.asarray(colour, np.uint8), (len(mesh.faces), 1)))
        offset += len(mesh.vertices)
    return np.concatenate(vertices), np.concatenate(faces), np.concatenate(colours)
