"""What makes the scenes hard: unlabelled look-alikes, haze, and a cheap camera (cast, blur, noise, JPEG).

Look-alikes carry no label and hide what is under them like any object: islands on the sea (a lake's far shore?),
buoys and logs on water (boats?), posts and crates on the ground (people? cars?), specks in the sky (birds?).
"""

from __future__ import annotations

import cv2
import numpy as np

from vtl_models.multilabel.scenes import SHADE, _Canvas, _ellipse, _jitter, _poly
from vtl_models.multilabel.vocab import INDEX


def islands(c: _Canvas, rng, spec, horizon: float) -> None:
    """Land on the sea's horizon that covers part of it, never all of it (that would be a lake's far shore)."""
    n = c.size
    for _ in range(rng.integers(1, 3)):
        x0, width, height = rng.uniform(-20, n), rng.uniform(0.15, 0.5) * n, rng.uniform(2, 7)
        xs = np.linspace(x0, x0 + width, 9)
        ys = horizon - height * np.sin(np.linspace(0, np.pi, 9)) ** rng.uniform(0.5, 2) + 1
        pts = np.concatenate([np.stack([xs, ys], 1), [[x0 + width, horizon + 2], [x0, horizon + 2]]])
        c.paint(_poly(n, pts), _jitter(rng, (0.2, 0.32, 0.22), 0.05) * SHADE[spec["time"]])


def sky_specks(c: _Canvas, rng, horizon: float) -> None:
    """Dots and dashes in the sky that are not birds."""
    n = c.size
    for _ in range(rng.integers(1, 4)):
        x, y, r = rng.uniform(3, n - 3), rng.uniform(3, max(4, horizon - 3)), rng.uniform(0.8, 2.0)
        c.paint(_ellipse(n, x, y, r * rng.uniform(1, 2.5), r, rng.uniform(0, 180)), _jitter(rng, (0.1, 0.1, 0.1), 0.05))


def water_clutter(c: _Canvas, rng, spec, water: np.ndarray) -> None:
    """Buoys and floating logs: small things on water that are not boats."""
    n = c.size
    ys, xs = np.nonzero(water)
    for _ in range(rng.integers(1, 4) if len(ys) else 0):
        i = rng.integers(len(ys))
        y, x, s = float(ys[i]), float(xs[i]), rng.uniform(1.5, 4)
        if rng.random() < 0.5:
            color = _jitter(rng, rng.choice([(0.9, 0.4, 0.1), (0.9, 0.9, 0.9), (0.8, 0.1, 0.1)]), 0.05)
            c.paint(_ellipse(n, x, y - s * 0.6, s * 0.6, s), color * SHADE[spec["time"]])
        else:
            c.paint(_ellipse(n, x, y, s * 2.5, s * 0.4, rng.uniform(-10, 10)), (0.3, 0.2, 0.1))


def ground_clutter(c: _Canvas, rng, spec, ground: np.ndarray, horizon: float) -> None:
    """Posts, poles and crates on the ground: upright or boxy things that are not people or cars."""
    n = c.size
    ys, xs = np.nonzero(ground)
    for _ in range(rng.integers(0, 5) if len(ys) else 0):
        i = rng.integers(len(ys))
        y, x = float(ys[i]), float(xs[i])
        depth = np.clip((y - max(horizon, -0.3 * n)) / (n - max(horizon, -0.3 * n)), 0, 1)
        h = (4 + 14 * depth) * rng.uniform(0.7, 1.3)
        dark = SHADE[spec["time"]]
        if rng.random() < 0.6:  # a post with a cap
            w = max(0.6, h * 0.06)
            c.paint(_poly(n, [[x - w, y], [x + w, y], [x + w, y - h], [x - w, y - h]]), (0.25, 0.2, 0.15) * dark)
            c.paint(_ellipse(n, x, y - h, w * 2, w * 1.5), _jitter(rng, (0.5, 0.5, 0.5), 0.2) * dark)
        else:  # a crate or hay bale
            w = h * rng.uniform(0.6, 1.6)
            color = _jitter(rng, rng.choice([(0.7, 0.6, 0.3), (0.5, 0.35, 0.2), (0.3, 0.4, 0.6)]), 0.08)
            c.paint(
                _poly(n, [[x - w / 2, y], [x + w / 2, y], [x + w / 2, y - h * 0.5], [x - w / 2, y - h * 0.5]]),
                color * dark,
            )


def haze(c: _Canvas, rng, spec, horizon: float) -> None:
    """Aerial perspective: far things fade towards the haze colour (the sky and what is in it stay clear)."""
    n = c.size
    strength = rng.uniform(0.2, 0.55)
    depth = np.clip((np.arange(n, dtype=np.float32) - horizon) / max(n - horizon, 1), 0, 1)[:, None]
    weight = strength * (1 - depth) * np.ones((1, n), np.float32)
    skyish = c.masks[[INDEX["sky"], INDEX["clouds"], INDEX["sun"], INDEX["moon"]]].any(0)
    weight = np.where(skyish, 0.0, weight)[..., None]
    colour = {"day": (0.75, 0.8, 0.85), "sunset": (0.85, 0.6, 0.5), "night": (0.12, 0.14, 0.22)}[spec["time"]]
    c.img = c.img * (1 - weight) + np.float32(colour) * weight


def camera(img: np.ndarray, rng) -> np.ndarray:
    """Exposure, white balance, contrast, vignette, blur, sensor noise and JPEG: float image -> uint8."""
    size = img.shape[0]
    img = img * rng.uniform(0.8, 1.15) * rng.uniform(0.88, 1.12, 3).astype(np.float32) + rng.uniform(-0.08, 0.08)
    mean = img.mean()
    img = (img - mean) * rng.uniform(0.7, 1.2) + mean
    yy, xx = np.mgrid[:size, :size].astype(np.float32) / size - 0.5
    img = img * (1 - rng.uniform(0, 0.5) * (xx**2 + yy**2))[..., None]
    if rng.random() < 0.4:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.2))
    img = img + rng.normal(0, rng.uniform(0.01, 0.07), img.shape).astype(np.float32)
    image = (np.clip(img, 0, 1) * 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 70))])
        image = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    return image
