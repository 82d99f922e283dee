"""Scenes of the zero-shot v2 world (world.py): the multilabel renderer's landscape, and things drawn with their parts.

The sky, clouds, sun, moon, mountains, surfaces, birds, people and clutter are the multilabel renderer's own helpers
(imported, not copied), painting on a canvas that also keeps one visibility mask per world label. Cars, trucks,
bicycles, boats, sailboats, houses, barns and trees are drawn here part by part: each part's pixels belong to the part
and to its whole. A label is present iff enough of it is visible; a kind is present iff one of its members is
(WordNet hypernyms, world.kind_members), so labels, masks and the label graph agree.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from vtl_models.multilabel import clutter
from vtl_models.multilabel.render import _birds, _clouds, _mountains, _person, _sky, _sun_moon, _surface_and_clutter
from vtl_models.multilabel.scenes import SHADE, SIZE, Scene, _ellipse, _jitter, _scenery_spec
from vtl_models.multilabel.vocab import INDEX as MULTILABEL_INDEX
from vtl_models.zeroshot.world import INDEX, LABELS, MIN_PIXELS, SENSES, kind_members
from vtl_models.zeroshot.world_things import WorldCanvas, bicycle, building, motor, tree, vessel

GROUND_THINGS = {"tree": 0.4, "house": 0.25, "barn": 0.12, "car": 0.25, "truck": 0.15, "bicycle": 0.15}
GROUND_THINGS["person"] = 0.25
WATER_THINGS = {"boat": 0.35, "sailboat": 0.35}
MAX_THINGS = 4  # kinds of things in one scene at most
BASE_HEIGHT = {"tree": 34, "house": 24, "barn": 28, "person": 18, "car": 13, "truck": 16, "bicycle": 11}
BASE_HEIGHT |= {"rock": 5, "bush": 7}


def sample_spec(rng: np.random.Generator) -> dict:
    """What a scene holds: the landscape as in the multilabel world, then at most MAX_THINGS kinds of things."""
    s: dict = {"view": "landscape" if rng.random() < 0.9 else "ground"}
    land = s["view"] == "landscape"
    s["time"] = rng.choice(["day", "sunset", "night"], p=[0.6, 0.25, 0.15]) if land else "day"
    s["water"] = rng.choice(["none", "lake", "ocean"], p=[0.45, 0.3, 0.25]) if land else "none"
    s["beach"] = s["water"] == "ocean" and rng.random() < 0.6
    if s["water"] == "ocean":
        s["ground"] = "sand" if s["beach"] else "none"
    else:
        s["ground"] = rng.choice(["grass", "snow", "dirt"], p=[0.55, 0.2, 0.25])
    _scenery_spec(s, rng, land)
    things = []
    if s["ground"] in ("grass", "snow", "dirt"):
        things += [k for k, p in GROUND_THINGS.items() if rng.random() < p]
    elif s["ground"] == "sand":
        things += [k for k in ("person", "bicycle") if rng.random() < GROUND_THINGS[k] * 1.5]
    if s["water"] != "none":
        things += [k for k, p in WATER_THINGS.items() if rng.random() < p]
    if not land and not things:
        things = [list(GROUND_THINGS)[rng.integers(len(GROUND_THINGS))]]
    rng.shuffle(things)
    s["things"] = sorted(things[:MAX_THINGS])
    return s


def _peaks(c: WorldCanvas, horizon: float) -> None:
    """The mountain (with its snow caps) above the horizon; its upper third is the mountain peak."""
    n = c.size
    rock = (c.masks[MULTILABEL_INDEX["mountain"]] | c.masks[MULTILABEL_INDEX["snow"]]) & (
        np.arange(n)[:, None] < horizon
    )
    if not rock.any():
        return
    rows = np.nonzero(rock.any(1))[0]
    line = rows.min() + (horizon - rows.min()) / 3
    c.world[INDEX["mountain"]] |= rock
    c.world[INDEX["mountain peak"]] |= rock & (np.arange(n)[:, None] < line)


def _place(c: WorldCanvas, rng, spec, ground: np.ndarray, horizon: float) -> None:
    ys, xs = np.nonzero(ground[:, 2:-2])
    if len(ys) == 0:
        return
    items = []
    for kind in (k for k in spec["things"] if k in GROUND_THINGS):
        for _ in range(rng.integers(1, 3) if kind in ("tree", "person") else 1):
            i = rng.integers(len(ys))
            items.append((float(ys[i]), float(xs[i] + 2), kind))
    for _ in range(rng.integers(0, 4)):
        i = rng.integers(len(ys))
        items.append((float(ys[i]), float(xs[i] + 2), "rock" if rng.random() < 0.5 else "bush"))
    for y, x, kind in sorted(items):  # far first: nearer things occlude them
        depth = np.clip((y - max(horizon, -c.size * 0.3)) / (c.size - max(horizon, -c.size * 0.3)), 0, 1)
        h = BASE_HEIGHT[kind] * (0.5 + 0.8 * depth) * rng.uniform(0.85, 1.2)
        if kind in ("car", "truck"):
            motor(c, rng, x, y, h, spec, kind)
        elif kind in ("house", "barn"):
            building(c, rng, x, y, h, spec, kind)
        elif kind == "tree":
            tree(c, rng, x, y, h, spec)
        elif kind == "bicycle":
            bicycle(c, rng, x, y, h, spec)
        elif kind == "person":
            _person(c, rng, x, y, h, spec)
        else:
            col = (0.45, 0.45, 0.45) if kind == "rock" else (0.15, 0.3, 0.12)
            c.paint(_ellipse(c.size, x, y - h / 2, h * 0.9, h / 2), _jitter(rng, col, 0.05) * SHADE[spec["time"]])


@cache
def _kinds() -> dict[int, list[int]]:
    from vtl_models.zeroshot.wordnet import load_wordnet

    wordnet = load_wordnet()
    synsets = [wordnet.index[lemma][sense] for lemma, sense in SENSES.values()]
    return kind_members([wordnet.ancestors(s) for s in synsets], synsets)


def render_world_scene(seed: int, size: int = SIZE) -> Scene:
    """Render world scene `seed`: same seed, same pixels, labels (41,) and masks (41, H, W)."""
    rng = np.random.default_rng(seed)
    spec = sample_spec(rng)
    spec |= {k: k in spec["things"] for k in ("boat", "tree", "house", "person", "car")}
    c = WorldCanvas(size)
    horizon = size * rng.uniform(0.3, 0.6) if spec["view"] == "landscape" else -size * rng.uniform(0.1, 0.4)
    if spec["view"] == "landscape":
        clutter_sky = rng.random() < 0.3

        _sky(c, rng, spec, horizon)
        if spec["clouds"]:
            _clouds(c, rng, spec, horizon)
        if spec["mountain"]:
            _mountains(c, rng, spec, horizon)
            _peaks(c, horizon)
        _sun_moon(c, rng, spec, horizon)
        if clutter_sky:
            clutter.sky_specks(c, rng, horizon)
    regions = _surface_and_clutter(c, rng, spec, horizon)
    for kind in ("boat", "sailboat"):
        if kind in spec["things"]:
            for _ in range(rng.integers(1, 3)):
                vessel(c, rng, spec, regions["water"], max(horizon, 0.0), kind)
    _place(c, rng, spec, regions["ground"] & ~regions["water"], horizon)
    if spec["bird"]:
        _birds(c, rng, spec, horizon)
    if rng.random() < 0.4:
        clutter.haze(c, rng, spec, horizon)
    image = clutter.camera(c.img, rng)
    labels = (c.world.reshape(len(LABELS), -1).sum(1) >= MIN_PIXELS).astype(np.float32)
    for kind, members in _kinds().items():  # a kind is present iff one of its members is; its mask is theirs
        c.world[kind] = c.world[members].any(0)
        labels[kind] = float(labels[members].max() > 0)
    masks = c.world & (labels[:, None, None] > 0)
    return Scene(image=image, labels=labels, masks=masks)
