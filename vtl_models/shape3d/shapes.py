"""Procedural objects built from parametric parts: a mesh to render and an exact occupancy grid, from one seed.

Every part is a primitive in its own frame (y up) placed by a 4x4 transform; the mesh comes from
trimesh.creation and the occupancy from the primitive's analytic inside test at the voxel centres, so the two
always agree. Canonical frame: y up, the object's front faces +z, bounding box centred and scaled so that its
longest side is `EXTENT` (the 32^3 grid spans [-0.5, 0.5]^3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh

CATEGORIES = ("chair", "table", "sofa", "lamp", "mug", "vase")
GRID = 32
EXTENT = 0.9
MIN_THICK = 0.035  # thinner parts vanish at 32^3 (a voxel is 1/32 of the box)


@dataclass
class Part:
    """One primitive: kind in box/cyl/revolve/tube/torus/sphere, its sizes, a local->world transform, a colour slot."""

    kind: str
    size: dict
    transform: np.ndarray = field(default_factory=lambda: np.eye(4))
    slot: int = 0


@dataclass
class Shape:
    """A built object: parts, colour slots, category and its rotational symmetry about y (0 = any angle)."""

    category: str
    parts: list[Part]
    symmetry: int  # k-fold: the object looks the same every 360/k degrees; 0 = round (no azimuth)


def _translate(x: float, y: float, z: float) -> np.ndarray:
    t = np.eye(4)
    t[:3, 3] = (x, y, z)
    return t


def _rotate(axis: str, degrees: float) -> np.ndarray:
    vec = {"x": [1, 0, 0], "y": [0, 1, 0], "z": [0, 0, 1]}[axis]
    return trimesh.transformations.rotation_matrix(np.radians(degrees), vec)


_Y_FROM_Z = _rotate("x", -90.0)  # trimesh builds cylinders and solids of revolution along z; ours stand along y


def part_mesh(part: Part) -> trimesh.Trimesh:
    """The part's triangle mesh in world coordinates."""
    s, c = part.size, trimesh.creation
    if part.kind == "box":
        mesh = c.box(extents=2 * np.asarray(s["half"]))
    elif part.kind == "cyl":
        mesh = c.cylinder(radius=s["r"], height=2 * s["h"], sections=24)
        mesh.apply_transform(_Y_FROM_Z)
    elif part.kind == "tube":
        mesh = c.annulus(r_min=s["r_in"], r_max=s["r_out"], height=2 * s["h"], sections=24)
        mesh.apply_transform(_Y_FROM_Z)
    elif part.kind == "revolve":
        ys, rs = np.asarray(s["ys"]), np.asarray(s["rs"])
        line = np.column_stack([np.r_[0.0, rs, 0.0], np.r_[ys[0], ys, ys[-1]]])  # closed at both ends on the axis
        mesh = c.revolve(linestring=line, sections=24)
        mesh.apply_transform(_Y_FROM_Z)
        if mesh.volume < 0:
            mesh.invert()
    elif part.kind == "torus":
        mesh = c.torus(major_radius=s["R"], minor_radius=s["r"], major_sections=24, minor_sections=10)
    elif part.kind == "sphere":
        mesh = c.icosphere(subdivisions=2, radius=s["r"])
    else:
        raise ValueError(f"unknown part kind {part.kind!r}")
    mesh.apply_transform(part.transform)
    return mesh


def part_inside(part: Part, points: np.ndarray) -> np.ndarray:
    """Boolean inside test of world `points` (N, 3) against the part's analytic solid."""
    inverse = np.linalg.inv(part.transform)
    local = points @ inverse[:3, :3].T + inverse[:3, 3]
    x, y, z = local.T
    s = part.size
    if part.kind == "box":
        return np.all(np.abs(local) <= np.asarray(s["half"]), axis=1)
    radial = np.hypot(x, z)
    if part.kind == "cyl":
        return (radial <= s["r"]) & (np.abs(y) <= s["h"])
    if part.kind == "tube":
        return (radial <= s["r_out"]) & (radial >= s["r_in"]) & (np.abs(y) <= s["h"])
    if part.kind == "revolve":
        ys, rs = np.asarray(s["ys"]), np.asarray(s["rs"])
        inside_y = (y >= ys[0]) & (y <= ys[-1])
        return inside_y & (radial <= np.interp(y, ys, rs))
    if part.kind == "torus":  # ring in the local xy-plane around z
        return (np.hypot(x, y) - s["R"]) ** 2 + z**2 <= s["r"] ** 2
    if part.kind == "sphere":
        return np.linalg.norm(local, axis=1) <= s["r"]
    raise ValueError(f"unknown part kind {part.kind!r}")


def _box(cx, cy, cz, hx, hy, hz, slot=0) -> Part:
    half = [max(hx, MIN_THICK / 2), max(hy, MIN_THICK / 2), max(hz, MIN_THICK / 2)]
    return Part("box", {"half": half}, _translate(cx, cy, cz), slot)


def _cyl(cx, cy, cz, r, h, slot=0, tilt: np.ndarray | None = None) -> Part:
    transform = _translate(cx, cy, cz) if tilt is None else _translate(cx, cy, cz) @ tilt
    return Part("cyl", {"r": max(r, MIN_THICK / 2), "h": h}, transform, slot)


def _legs(rng, half_w, half_d, height, inset, round_legs: bool, thick: float, slot=1) -> list[Part]:
    parts = []
    for sx in (-1, 1):
        for sz in (-1, 1):
            x, z = sx * (half_w - inset), sz * (half_d - inset)
            if round_legs:
                parts.append(_cyl(x, height / 2, z, thick / 2, height / 2, slot))
            else:
                parts.append(_box(x, height / 2, z, thick / 2, height / 2, thick / 2, slot))
    return parts


def chair(rng: np.random.Generator) -> Shape:
    """Four legs, a seat, a backrest (panel or bars) and optional arms."""
    w, d = rng.uniform(0.35, 0.6), rng.uniform(0.35, 0.55)
    seat_h, seat_t = rng.uniform(0.35, 0.55), rng.uniform(0.04, 0.1)
    leg_t = rng.uniform(0.04, 0.08)
    parts = _legs(rng, w / 2, d / 2, seat_h, leg_t / 2, rng.random() < 0.4, leg_t)
    parts.append(_box(0, seat_h + seat_t / 2, 0, w / 2, seat_t / 2, d / 2, 0))
    back_h, back_t = rng.uniform(0.3, 0.6), rng.uniform(0.04, 0.08)
    tilt = _rotate("x", -rng.uniform(0, 15))  # leaning back, away from the front (+z)
    base = seat_h + seat_t
    if rng.random() < 0.6:  # solid panel
        panel = Part("box", {"half": [w / 2, back_h / 2, back_t / 2]}, np.eye(4), 2)
        panel.transform = _translate(0, base, -d / 2 + back_t / 2) @ tilt @ _translate(0, back_h / 2, 0)
        parts.append(panel)
    else:  # vertical bars under a top rail
        n_bars = int(rng.integers(2, 5))
        for x in np.linspace(-w / 2 + leg_t / 2, w / 2 - leg_t / 2, n_bars):
            bar = Part("box", {"half": [leg_t / 2, back_h / 2, back_t / 2]}, np.eye(4), 2)
            bar.transform = _translate(x, base, -d / 2 + back_t / 2) @ tilt @ _translate(0, back_h / 2, 0)
            parts.append(bar)
        rail = Part("box", {"half": [w / 2, 0.05, back_t / 2]}, np.eye(4), 2)
        rail.transform = _translate(0, base, -d / 2 + back_t / 2) @ tilt @ _translate(0, back_h - 0.05, 0)
        parts.append(rail)
    if rng.random() < 0.35:  # arms
        arm_h = rng.uniform(0.15, 0.25)
        for sx in (-1, 1):
            parts.append(_box(sx * (w / 2 - 0.025), base + arm_h, 0, 0.025, 0.025, d / 2, 2))
            parts.append(_box(sx * (w / 2 - 0.025), base + arm_h / 2, d / 2 - 0.03, 0.02, arm_h / 2, 0.02, 1))
    return Shape("chair", parts, 1)


def table(rng: np.random.Generator) -> Shape:
    """A rectangular, square or round top on four legs or on a pedestal."""
    height, top_t = rng.uniform(0.4, 0.8), rng.uniform(0.04, 0.09)
    kind = rng.choice(["rect", "square", "round"])
    w = rng.uniform(0.6, 1.0)
    d = w * rng.uniform(0.45, 0.8) if kind == "rect" else w
    if kind == "round":
        top = _cyl(0, height - top_t / 2, 0, w / 2, top_t / 2, 0)
    else:
        top = _box(0, height - top_t / 2, 0, w / 2, top_t / 2, d / 2, 0)
    parts = [top]
    if kind == "round" and rng.random() < 0.5:  # pedestal: round all the way round
        parts.append(_cyl(0, (height - top_t) / 2, 0, rng.uniform(0.03, 0.07), (height - top_t) / 2, 1))
        parts.append(_cyl(0, 0.02, 0, rng.uniform(0.15, 0.3), 0.02, 1))
        return Shape("table", parts, 0)
    leg_t = rng.uniform(0.04, 0.09)
    inset = rng.uniform(0.03, 0.12) + (w / 2 * (1 - np.sqrt(0.5)) if kind == "round" else 0)
    parts += _legs(rng, w / 2, d / 2, height - top_t, inset, rng.random() < 0.5, leg_t)
    if rng.random() < 0.3:  # a lower shelf
        parts.append(_box(0, height * 0.25, 0, w / 2 - inset, 0.02, d / 2 - inset, 0))
    return Shape("table", parts, 2 if kind == "rect" else 4)


def sofa(rng: np.random.Generator) -> Shape:
    """A long base with a backrest, two armrests and optional feet."""
    w, d = rng.uniform(0.9, 1.3), rng.uniform(0.4, 0.6)
    feet = rng.uniform(0.0, 0.08) if rng.random() < 0.5 else 0.0
    base_h = rng.uniform(0.15, 0.3)
    back_h, back_t = rng.uniform(0.2, 0.45), rng.uniform(0.08, 0.18)
    arm_w, arm_h = rng.uniform(0.06, 0.18), rng.uniform(0.05, 0.22)
    parts = [_box(0, feet + base_h / 2, 0, w / 2, base_h / 2, d / 2, 0)]
    parts.append(_box(0, feet + base_h + back_h / 2, -d / 2 + back_t / 2, w / 2, back_h / 2, back_t / 2, 0))
    for sx in (-1, 1):
        parts.append(_box(sx * (w / 2 - arm_w / 2), feet + base_h + arm_h / 2, 0, arm_w / 2, arm_h / 2, d / 2, 2))
    if rng.random() < 0.5:  # seat cushion
        parts.append(_box(0, feet + base_h + 0.03, back_t / 2, w / 2 - arm_w, 0.03, d / 2 - back_t / 2, 2))
    if feet > 0:
        parts += _legs(rng, w / 2, d / 2, feet, 0.04, rng.random() < 0.5, 0.05)
    return Shape("sofa", parts, 1)


def lamp(rng: np.random.Generator) -> Shape:
    """A base, a pole (straight or angled arm) and a conical shade."""
    height = rng.uniform(0.7, 1.2)
    base_r, base_h = rng.uniform(0.1, 0.22), rng.uniform(0.03, 0.07)
    parts = [_cyl(0, base_h / 2, 0, base_r, base_h / 2, 1)]
    pole_r = rng.uniform(0.02, 0.035)
    shade_h = rng.uniform(0.15, 0.3)
    r_bottom, r_top = rng.uniform(0.12, 0.28), rng.uniform(0.05, 0.15)
    angled = rng.random() < 0.4
    pole_h = height - shade_h - base_h
    shade_x = 0.0
    if angled:  # a desk lamp: the arm leans forward-sideways, breaking the rotational symmetry
        lean = rng.uniform(20, 40)
        parts.append(_cyl(0, base_h, 0, pole_r, pole_h / 2, 1, _rotate("z", -lean) @ _translate(0, pole_h / 2, 0)))
        shade_x = np.sin(np.radians(lean)) * pole_h
        pole_h = np.cos(np.radians(lean)) * pole_h
    else:
        parts.append(_cyl(0, base_h + pole_h / 2, 0, pole_r, pole_h / 2, 1))
    y0 = base_h + pole_h - shade_h * 0.3
    shade = Part("revolve", {"ys": [0.0, shade_h], "rs": [r_bottom, r_top]}, _translate(shade_x, y0, 0), 0)
    parts.append(shade)
    return Shape("lamp", parts, 1 if angled else 0)


def mug(rng: np.random.Generator) -> Shape:
    """A hollow cylinder with a bottom and a ring handle on its side."""
    r, h = rng.uniform(0.2, 0.35), rng.uniform(0.35, 0.7)
    wall = rng.uniform(0.04, 0.07)
    parts = [Part("tube", {"r_in": r - wall, "r_out": r, "h": h / 2}, _translate(0, h / 2, 0), 0)]
    parts.append(_cyl(0, wall / 2, 0, r - wall / 2, wall / 2, 0))
    handle_R, handle_r = rng.uniform(0.1, min(0.2, h / 2 - 0.05)), rng.uniform(0.025, 0.045)
    parts.append(Part("torus", {"R": handle_R, "r": handle_r}, _translate(r, h * rng.uniform(0.45, 0.6), 0), 1))
    return Shape("mug", parts, 1)


def vase(rng: np.random.Generator) -> Shape:
    """A solid of revolution with a random smooth profile (belly, neck, lip)."""
    h = rng.uniform(0.6, 1.2)
    ys = np.linspace(0, h, 7)
    base, belly, neck, lip = (
        rng.uniform(0.08, 0.2),
        rng.uniform(0.15, 0.35),
        rng.uniform(0.05, 0.15),
        rng.uniform(0.06, 0.2),
    )
    belly_at = rng.uniform(0.25, 0.6)
    control = np.interp(ys / h, [0, belly_at, 0.8, 1.0], [base, belly, neck, lip])
    return Shape("vase", [Part("revolve", {"ys": ys.tolist(), "rs": control.tolist()}, _translate(0, 0, 0), 0)], 0)


BUILDERS = {"chair": chair, "table": table, "sofa": sofa, "lamp": lamp, "mug": mug, "vase": vase}


def build(category: str, seed: int) -> tuple[Shape, trimesh.Trimesh, np.ndarray, np.ndarray]:
    """Build one normalised object.

    Returns:
        shape, mesh (world units, parts concatenated), per-face colour slot (F,), occupancy (32, 32, 32) bool
        indexed [z, y, x] (the layout grid_sample expects for world coordinates (x, y, z)).
    """
    shape = BUILDERS[category](np.random.default_rng(seed))
    meshes = [part_mesh(p) for p in shape.parts]
    bounds = np.array([m.bounds for m in meshes])
    lo, hi = bounds[:, 0].min(0), bounds[:, 1].max(0)
    scale = EXTENT / (hi - lo).max()
    normalise = np.diag([scale, scale, scale, 1.0]) @ _translate(*(-(lo + hi) / 2))
    for part in shape.parts:
        part.transform = normalise @ part.transform
    for m in meshes:
        m.apply_transform(normalise)
    slots = np.concatenate([np.full(len(m.faces), p.slot) for m, p in zip(meshes, shape.parts, strict=True)])
    mesh = trimesh.util.concatenate(meshes)
    occupancy = np.zeros((GRID, GRID, GRID), bool)
    centres = voxel_centres().reshape(GRID, GRID, GRID, 3)
    for part, part_mesh_ in zip(shape.parts, meshes, strict=True):
        # Test only the voxels inside the part's bounding box: parts are small, so this is ~10x faster.
        lo, hi = np.clip(np.floor((part_mesh_.bounds + 0.5) * GRID).astype(int) + [[-1], [1]], 0, GRID - 1)
        block = (slice(lo[2], hi[2] + 1), slice(lo[1], hi[1] + 1), slice(lo[0], hi[0] + 1))
        sub = centres[block]
        occupancy[block] |= part_inside(part, sub.reshape(-1, 3)).reshape(sub.shape[:3])
    return shape, mesh, slots, occupancy


def voxel_centres(grid: int = GRID) -> np.ndarray:
    """World (x, y, z) of the voxel centres, in [z, y, x] raster order."""
    c = (np.arange(grid) + 0.5) / grid - 0.5
    z, y, x = np.meshgrid(c, c, c, indexing="ij")
    return np.column_stack([x.ravel(), y.ravel(), z.ravel()])
