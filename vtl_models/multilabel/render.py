"""Paint a sampled scene spec back to front (sky, sun/moon, mountains, surface, objects by depth, post-processing)."""

from __future__ import annotations

import cv2
import numpy as np

from vtl_models.multilabel import clutter
from vtl_models.multilabel.scenes import (
    GROUND,
    SHADE,
    SIZE,
    SKY,
    Scene,
    _Canvas,
    _ellipse,
    _jitter,
    _noise,
    _poly,
    sample_spec,
)
from vtl_models.multilabel.vocab import INDEX, MIN_MASK_PIXELS

PAINT = {
    "tree": lambda c, r, x, y, h, s: _tree(c, r, x, y, h, s),
    "house": lambda c, r, x, y, h, s: _house(c, r, x, y, h, s),
    "person": lambda c, r, x, y, h, s: _person(c, r, x, y, h, s),
    "car": lambda c, r, x, y, h, s: _car(c, r, x, y, h, s),
}


def _sky(c: _Canvas, rng, spec, horizon: float) -> None:
    n = c.size
    t = np.clip(np.arange(n, dtype=np.float32) / max(horizon, 1.0), 0, 1)[:, None, None]
    stops = [(_jitter(rng, a, 0.05), _jitter(rng, b, 0.05)) for a, b in SKY[spec["time"]]]
    if len(stops) == 1:
        grad = stops[0][0] * (1 - t) + stops[0][1] * t
    else:  # two-stop sunset gradient, the warm band hugging the horizon
        k = rng.uniform(0.45, 0.7)
        t1, t2 = np.clip(t / k, 0, 1), np.clip((t - k) / (1 - k), 0, 1)
        grad = np.where(t < k, stops[0][0] * (1 - t1) + stops[0][1] * t1, stops[1][0] * (1 - t2) + stops[1][1] * t2)
    sky = np.broadcast_to(grad, (n, n, 3)) + (_noise(rng, n, 6)[..., None] - 0.5) * 0.06
    if spec["time"] == "night":  # stars
        stars = rng.random((n, n)) > 0.992
        sky = np.where(stars[..., None], rng.uniform(0.6, 1.0), sky)
    alpha = (np.arange(n)[:, None] < horizon).astype(np.float32) * np.ones((1, n), np.float32)
    c.paint(alpha, sky, "sky")


def _clouds(c: _Canvas, rng, spec, horizon: float) -> None:
    n = c.size
    color = {"day": (0.97, 0.97, 1.0), "sunset": (1.0, 0.7, 0.6), "night": (0.35, 0.35, 0.45)}[spec["time"]]
    for _ in range(rng.integers(1, 4)):
        cx, cy, w = rng.uniform(0, n), rng.uniform(0.1 * horizon, 0.8 * horizon), rng.uniform(10, 35)
        blob = sum(
            _ellipse(n, cx + rng.uniform(-w, w), cy + rng.uniform(-w / 5, w / 5), rng.uniform(5, 14), rng.uniform(3, 7))
            for _ in range(rng.integers(3, 7))
        )
        blob = np.clip(blob, 0, 1) * (0.6 + 0.4 * _noise(rng, n, 12))
        c.paint(np.clip(blob * rng.uniform(0.55, 1.1), 0, 1), _jitter(rng, color, 0.04), "clouds")


def _sun_moon(c: _Canvas, rng, spec, horizon: float) -> None:
    n = c.size
    # Per column, the first row that is no longer sky: the sun and moon set behind mountains, not in front.
    sky = c.masks[INDEX["sky"]] | c.masks[INDEX["clouds"]]
    top = np.where((~sky).any(0), (~sky).argmax(0), n).astype(np.float32)
    behind = np.arange(n, dtype=np.float32)[:, None] < top[None, :]
    if spec["sun"]:
        sunset = spec["time"] == "sunset"
        r = rng.uniform(6, 12) if sunset else rng.uniform(4, 9)
        cx = rng.uniform(r, n - r)
        ground = float(top[int(cx)])
        cy = ground - r * rng.uniform(-0.3, 1.2) if sunset else rng.uniform(r, max(r + 1, 0.8 * ground - r))
        yy, xx = np.mgrid[:n, :n].astype(np.float32)
        glow = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (2.5 * r) ** 2)) * 0.5 * (yy < horizon)
        c.img = c.img + (glow * behind)[..., None] * (np.float32([1, 0.6, 0.3]) if sunset else np.float32([1, 1, 0.8]))
        color = (1.0, rng.uniform(0.35, 0.6), 0.15) if sunset else (1.0, 0.97, rng.uniform(0.6, 0.85))
        c.paint(_ellipse(n, cx, cy, r, r) * behind, color, "sun")
    if spec["moon"]:
        r, cx = rng.uniform(4, 8), rng.uniform(10, n - 10)
        cy = rng.uniform(8, max(9, 0.8 * top[int(cx)] - r))
        disc = _ellipse(n, cx, cy, r, r)
        if rng.random() < 0.5:  # crescent
            off = rng.uniform(0.4, 0.9) * r * rng.choice([-1, 1])
            disc = np.clip(disc - _ellipse(n, cx + off, cy - 0.2 * r, r, r), 0, 1)
        c.paint(disc * behind, _jitter(rng, (0.93, 0.93, 0.8), 0.03), "moon")


def _mountains(c: _Canvas, rng, spec, horizon: float) -> None:
    n = c.size
    for layer in range(rng.integers(1, 3)):
        pts, ridge = np.linspace(0, n, 17), np.zeros(17)
        height = rng.uniform(15, 45) / (1 + 0.5 * layer)
        for step in (8, 4, 2, 1):  # midpoint displacement gives jagged peaks
            ridge[::step] += rng.normal(0, height * step / 8, len(ridge[::step]))
        ridge = horizon - height * 0.6 - ridge + rng.uniform(-5, 5)
        ridge = np.minimum(ridge, horizon - 2)
        poly = np.concatenate([np.stack([pts, ridge], 1), [[n, horizon + 1], [0, horizon + 1]]])
        base = _jitter(rng, rng.choice([(0.45, 0.45, 0.55), (0.45, 0.38, 0.32), (0.35, 0.4, 0.45)]), 0.05)
        shade = base * (0.75 + 0.4 * _noise(rng, n, 16)[..., None]) * SHADE[spec["time"]] ** 0.6
        c.paint(_poly(n, poly), shade, "mountain")
        if spec["snowcaps"]:
            line = ridge.min() + rng.uniform(0.3, 0.55) * (horizon - ridge.min())
            cap = _poly(n, poly) * (np.arange(n)[:, None] < line + 3 * _noise(rng, n, 10))
            c.paint(cap, np.float32([0.95, 0.96, 1.0]) * SHADE[spec["time"]] ** 0.5, "snow")


def _surface(c: _Canvas, rng, spec, horizon: float) -> dict:
    n = c.size
    yy, xx = np.mgrid[:n, :n].astype(np.float32)
    below = (yy >= horizon).astype(np.float32)
    tex = _noise(rng, n, 24)[..., None] * 0.25 + _noise(rng, n, 64)[..., None] * 0.15
    depth = np.clip((yy - horizon) / max(n - horizon, 1), 0, 1)[..., None]
    out = {"water": np.zeros((n, n), bool), "ground": np.zeros((n, n), bool)}
    if spec["ground"] in GROUND:
        g = _jitter(rng, GROUND[spec["ground"]], 0.05) * (0.8 + tex) * (0.8 + 0.3 * depth) * SHADE[spec["time"]]
        label = {"grass": "grass", "snow": "snow"}.get(spec["ground"])
        c.paint(below, g, label)
        if spec["ground"] == "sand":
            c.paint(below, g, "beach")
        out["ground"] = below > 0.5
    if spec["water"] == "none":
        return out
    wcol = _jitter(rng, (0.1, 0.3, 0.55) if spec["water"] != "lake" else (0.12, 0.3, 0.4), 0.05)
    if spec["time"] == "sunset":
        wcol = wcol * 0.6 + np.float32([0.35, 0.2, 0.2])
    waves = np.sin(yy * rng.uniform(0.8, 1.6) + _noise(rng, n, 8) * 6) * (0.04 + 0.08 * depth[..., 0])
    water = (wcol * (0.75 + 0.5 * depth) + waves[..., None]) * SHADE[spec["time"]] ** 0.7
    if spec["water"] == "ocean":
        shore = n * rng.uniform(0.72, 0.9) + 3 * np.sin(xx[0] * rng.uniform(0.05, 0.15)) if spec["beach"] else n + 5
        region = below * (yy < shore)
    elif spec["water"] == "lake":  # a far shore band between the water and the sky tells a lake from the sea
        far = horizon + rng.uniform(2, 12)
        cx, bow = rng.uniform(0.3, 0.7) * n, rng.uniform(0.5, 2.0) / n
        near = n * rng.uniform(0.78, 0.98) - bow * (xx - cx) ** 2 + 2 * np.sin(xx * 0.2)
        region = ((yy > far) & (yy < near)).astype(np.float32)
    else:  # seen from above: only water, no shore or horizon
        region = np.ones((n, n), np.float32)
    label = {"ocean": "ocean", "lake": "lake"}.get(spec["water"], "water")
    c.paint(region, water, label)
    if spec["water"] == "ocean" and spec["beach"]:
        c.paint(np.clip(1 - np.abs(yy - shore) / 1.5, 0, 1) * 0.8, (0.95, 0.95, 0.95))  # foam
    if spec["sun"] and spec["time"] == "sunset":  # the sun's reflection: context, not the sun itself
        streak = np.exp(-((xx - rng.uniform(0.2, 0.8) * n) ** 2) / 30) * (rng.random((n, 1)) > 0.5) * region
        c.paint(np.clip(streak, 0, 0.8), (1.0, 0.6, 0.3))
    out["water"] = region > 0.5
    return out


def _surface_and_clutter(c: _Canvas, rng, spec, horizon: float) -> dict:
    """The ground and water (_surface), then by chance islands, clutter on the water and clutter on the ground: the
    surface as both worlds paint it. Returns _surface's regions."""
    regions = _surface(c, rng, spec, horizon)
    if spec["water"] == "ocean" and rng.random() < 0.4:
        clutter.islands(c, rng, spec, horizon)
    if spec["water"] != "none" and rng.random() < 0.4:
        clutter.water_clutter(c, rng, spec, regions["water"])
    if rng.random() < 0.5:
        clutter.ground_clutter(c, rng, spec, regions["ground"] & ~regions["water"], horizon)
    return regions


def _tree(c, rng, x, y, h, spec) -> None:
    n, dark = c.size, SHADE[spec["time"]]
    trunk_w = max(1.0, h * 0.08)
    c.paint(
        _poly(n, [[x - trunk_w, y], [x + trunk_w, y], [x + trunk_w, y - h * 0.5], [x - trunk_w, y - h * 0.5]]),
        _jitter(rng, (0.35, 0.22, 0.1), 0.04) * dark,
        "tree",
    )
    green = _jitter(rng, (0.15, 0.4, 0.15), 0.06) * dark
    if spec["ground"] == "snow" or rng.random() < 0.4:  # conifer
        for k in range(3):
            top, w = y - h * (0.55 + 0.15 * k) - h * 0.3, h * (0.35 - 0.08 * k)
            c.paint(_poly(n, [[x - w, top + h * 0.45], [x + w, top + h * 0.45], [x, top]]), green, "tree")
    else:
        for _ in range(rng.integers(3, 6)):
            r = h * rng.uniform(0.18, 0.3)
            cx, cy = x + rng.uniform(-0.2, 0.2) * h, y - h * rng.uniform(0.55, 0.8)
            c.paint(_ellipse(n, cx, cy, r, r), green * rng.uniform(0.8, 1.2), "tree")


def _house(c, rng, x, y, h, spec) -> None:
    n, w, dark = c.size, h * rng.uniform(1.0, 1.6), SHADE[spec["time"]]
    c.paint(
        _poly(n, [[x - w / 2, y], [x + w / 2, y], [x + w / 2, y - h * 0.6], [x - w / 2, y - h * 0.6]]),
        _jitter(rng, rng.choice([(0.85, 0.8, 0.7), (0.7, 0.4, 0.3), (0.6, 0.6, 0.65)]), 0.06) * dark,
        "house",
    )
    c.paint(
        _poly(n, [[x - w * 0.6, y - h * 0.6], [x + w * 0.6, y - h * 0.6], [x, y - h]]),
        _jitter(rng, (0.5, 0.15, 0.1), 0.08) * dark,
        "house",
    )
    light = (1.0, 0.85, 0.4) if spec["time"] == "night" else (0.2, 0.25, 0.35)
    for dx in (-0.25, 0.25):
        c.paint(_ellipse(n, x + dx * w, y - h * 0.35, w * 0.08, h * 0.08), light, "house")


def _person(c, rng, x, y, h, spec) -> None:
    n, dark = c.size, SHADE[spec["time"]]
    legs = _jitter(rng, (0.2, 0.2, 0.35), 0.08) * dark
    for dx in (-0.07, 0.07):
        c.paint(_poly(n, [[x + dx * h - h * 0.04, y], [x + dx * h + h * 0.04, y], [x, y - h * 0.45]]), legs, "person")
    c.paint(_ellipse(n, x, y - h * 0.62, h * 0.12, h * 0.2), _jitter(rng, (0.7, 0.2, 0.2), 0.25) * dark, "person")
    c.paint(_ellipse(n, x, y - h * 0.9, h * 0.09, h * 0.1), _jitter(rng, (0.85, 0.65, 0.5), 0.08) * dark, "person")


def _car(c, rng, x, y, h, spec) -> None:
    n, w, dark = c.size, h * 2.2, SHADE[spec["time"]]
    body = _jitter(rng, rng.choice([(0.8, 0.1, 0.1), (0.1, 0.2, 0.7), (0.85, 0.85, 0.85), (0.1, 0.1, 0.1)]), 0.05)
    c.paint(
        _poly(
            n, [[x - w / 2, y - h * 0.2], [x + w / 2, y - h * 0.2], [x + w / 2, y - h * 0.6], [x - w / 2, y - h * 0.6]]
        ),
        body * dark,
        "car",
    )
    c.paint(
        _poly(
            n, [[x - w * 0.3, y - h * 0.6], [x + w * 0.25, y - h * 0.6], [x + w * 0.15, y - h], [x - w * 0.2, y - h]]
        ),
        body * 0.8 * dark,
        "car",
    )
    for dx in (-0.3, 0.3):
        c.paint(_ellipse(n, x + dx * w, y - h * 0.2, h * 0.2, h * 0.2), (0.05, 0.05, 0.05), "car")


def _boat(c: _Canvas, rng, spec, water: np.ndarray, horizon: float) -> None:
    n = c.size
    ys, xs = np.nonzero(water[:, 4:-4])
    ys = ys[ys > horizon + 3] if horizon > 0 else ys
    if len(ys) == 0:
        return
    y = float(rng.choice(ys))
    x = rng.uniform(-4, n + 4)  # may stand partly outside the frame
    h = (3 + 12 * np.clip((y - max(horizon, 0)) / (n - max(horizon, 0)), 0, 1)) * rng.uniform(0.8, 1.4)
    w, dark = h * 1.6, SHADE[spec["time"]]
    c.paint(
        _poly(n, [[x - w / 2, y - h * 0.35], [x + w / 2, y - h * 0.35], [x + w * 0.35, y], [x - w * 0.35, y]]),
        _jitter(rng, rng.choice([(0.9, 0.9, 0.9), (0.45, 0.25, 0.1), (0.7, 0.1, 0.1)]), 0.05) * dark,
        "boat",
    )
    if rng.random() < 0.6:
        c.paint(
            _poly(n, [[x, y - h * 0.4], [x + w * 0.4, y - h * 0.4], [x, y - h * 1.5]]),
            np.float32([0.95, 0.95, 0.9]) * dark,
            "boat",
        )
    if rng.random() < 0.35:  # a wave crest hides the hull: only context says "boat"
        crest = np.clip(1 - np.abs(np.arange(n, dtype=np.float32)[:, None] - (y - h * 0.1)) / (h * 0.25), 0, 1)
        c.paint(crest * water, c.img[int(min(y + h * 0.4, n - 1)), int(np.clip(x, 0, n - 1))], None)


def _place_objects(c: _Canvas, rng, spec, ground: np.ndarray, horizon: float) -> None:
    n, items = c.size, []
    ys, xs = np.nonzero(ground[:, 2:-2])
    if len(ys) == 0:
        return
    for kind, (lo, hi) in {"tree": (1, 5), "house": (1, 3), "person": (1, 4), "car": (1, 3)}.items():
        for _ in range(rng.integers(lo, hi) if spec[kind] else 0):
            i = rng.integers(len(ys))
            items.append((float(ys[i]), float(xs[i] + 2), kind))
    for _ in range(rng.integers(0, 4)):  # clutter: rocks and bushes carry no label
        i = rng.integers(len(ys))
        items.append((float(ys[i]), float(xs[i] + 2), "rock" if rng.random() < 0.5 else "bush"))
    base = {"tree": 30, "house": 22, "person": 16, "car": 8, "rock": 5, "bush": 7}
    for y, x, kind in sorted(items):  # far first, so nearer objects occlude them
        depth = np.clip((y - max(horizon, -n * 0.3)) / (n - max(horizon, -n * 0.3)), 0, 1)
        h = base[kind] * (0.3 + 0.9 * depth) * rng.uniform(0.8, 1.25)
        if kind in PAINT:
            PAINT[kind](c, rng, x, y, h, spec)
        else:
            col = (0.45, 0.45, 0.45) if kind == "rock" else (0.15, 0.3, 0.12)
            c.paint(_ellipse(n, x, y - h / 2, h * 0.9, h / 2), _jitter(rng, col, 0.05) * SHADE[spec["time"]])


def _birds(c: _Canvas, rng, spec, horizon: float) -> None:
    n = c.size
    top = max(horizon, 0.4 * n) * 0.9
    for _ in range(rng.integers(1, 5)):
        x, y, s = rng.uniform(5, n - 5), rng.uniform(4, top), rng.uniform(2.5, 5)
        m = np.zeros((n, n), np.uint8)
        pts = np.int32(np.round(np.array([[x - s, y - s * 0.5], [x, y + s * 0.2], [x + s, y - s * 0.5]]) * 4))
        cv2.polylines(m, [pts], False, 255, 1 + int(s > 4), cv2.LINE_AA, shift=2)
        c.paint(m.astype(np.float32) / 255.0, _jitter(rng, (0.08, 0.08, 0.1), 0.03), "bird")


def render_scene(seed: int, size: int = SIZE) -> Scene:
    """Render scene `seed`: same seed, same pixels, labels and masks."""
    rng = np.random.default_rng(seed)
    spec = sample_spec(rng)
    c = _Canvas(size)
    horizon = size * rng.uniform(0.3, 0.6) if spec["view"] == "landscape" else -size * rng.uniform(0.1, 0.4)
    if spec["view"] == "landscape":
        _sky(c, rng, spec, horizon)
        if spec["clouds"]:
            _clouds(c, rng, spec, horizon)
        if spec["mountain"]:
            _mountains(c, rng, spec, horizon)
        _sun_moon(c, rng, spec, horizon)
    regions = _surface_and_clutter(c, rng, spec, horizon)
    if spec["view"] == "landscape" and rng.random() < 0.3:
        clutter.sky_specks(c, rng, horizon)
    if spec["boat"]:
        for _ in range(rng.integers(1, 3)):
            _boat(c, rng, spec, regions["water"], horizon)
    _place_objects(c, rng, spec, regions["ground"] & ~regions["water"], horizon)
    if spec["bird"]:
        _birds(c, rng, spec, horizon)
    masks = c.masks
    masks[INDEX["water"]] |= masks[INDEX["lake"]] | masks[INDEX["ocean"]]
    if spec["time"] == "sunset":
        # the sunset is the whole evening sky: its colours, the low sun and the lit clouds
        masks[INDEX["sunset"]] = masks[INDEX["sky"]] | masks[INDEX["sun"]] | masks[INDEX["clouds"]]
    if rng.random() < 0.4:
        clutter.haze(c, rng, spec, horizon)
    image = clutter.camera(c.img, rng)
    labels = (masks.reshape(len(masks), -1).sum(1) >= MIN_MASK_PIXELS).astype(np.float32)
    masks &= labels[:, None, None] > 0
    return Scene(image=image, labels=labels, masks=masks)
