"""The things of the zero-shot v2 world drawn part by part: each part's pixels belong to the part and its whole.

Cars and trucks (body, cabin, windshield, headlight, wheels; a car also a door), bicycles (wheels, frame, handlebar),
houses and barns (wall, roof, door, windows), trees (trunk, crown), boats and sailboats (hull; mast and sail).
"""

from __future__ import annotations

import cv2
import numpy as np

from vtl_models.multilabel.scenes import SHADE, _Canvas, _ellipse, _jitter, _poly
from vtl_models.multilabel.vocab import INDEX as MULTILABEL_INDEX
from vtl_models.zeroshot.world import INDEX, LABELS

RENAMED = {"clouds": "cloud"}  # multilabel label -> world label where the names differ


class WorldCanvas(_Canvas):
    """The multilabel canvas (its 18 masks drive its helpers) plus one mask per world label."""

    def __init__(self, size: int):
        super().__init__(size)
        self.world = np.zeros((len(LABELS), size, size), bool)

    def paint(self, alpha: np.ndarray, color, label: str | tuple[str, ...] | None = None) -> None:
        names = () if label is None else (label,) if isinstance(label, str) else tuple(label)
        super().paint(alpha, color, next((n for n in names if n in MULTILABEL_INDEX), None))
        cover = alpha > 0.5
        self.world[:, cover] = False
        for name in names:
            if RENAMED.get(name, name) in INDEX:
                self.world[INDEX[RENAMED.get(name, name)]] |= cover


def _wheel(c: WorldCanvas, x: float, y: float, r: float, whole: str, dark) -> None:
    c.paint(_ellipse(c.size, x, y, r, r), np.float32([0.06, 0.06, 0.06]), (whole, "wheel"))
    c.paint(_ellipse(c.size, x, y, r * 0.45, r * 0.45), np.float32([0.6, 0.6, 0.62]) * dark, (whole, "wheel"))


def motor(c: WorldCanvas, rng, x: float, y: float, h: float, spec, whole: str) -> None:
    """A car or a truck facing left or right: body, cabin with a windshield, headlight, wheels (car: a door)."""
    n, dark, face = c.size, SHADE[spec["time"]], rng.choice([-1.0, 1.0])
    w = h * (2.2 if whole == "car" else 2.8)
    body = _jitter(rng, rng.choice([(0.8, 0.1, 0.1), (0.1, 0.2, 0.7), (0.85, 0.85, 0.85), (0.2, 0.5, 0.2)]), 0.05)
    c.paint(
        _poly(
            n, [[x - w / 2, y - h * 0.2], [x + w / 2, y - h * 0.2], [x + w / 2, y - h * 0.6], [x - w / 2, y - h * 0.6]]
        ),
        body * dark,
        whole,
    )
    if whole == "car":
        cab = [[x - w * 0.3, y - h * 0.6], [x + w * 0.3, y - h * 0.6], [x + w * 0.2, y - h], [x - w * 0.2, y - h]]
        glass = [
            [x + face * w * 0.3, y - h * 0.6],
            [x + face * w * 0.2, y - h],
            [x + face * w * 0.08, y - h],
            [x + face * w * 0.12, y - h * 0.6],
        ]
    else:  # the cab at the front, a cargo box behind it
        box = [
            [x - face * w / 2, y - h * 0.6],
            [x + face * w * 0.1, y - h * 0.6],
            [x + face * w * 0.1, y - h * 1.2],
            [x - face * w / 2, y - h * 1.2],
        ]
        c.paint(_poly(n, box), _jitter(rng, (0.75, 0.75, 0.7), 0.08) * dark, whole)
        cab = [
            [x + face * w * 0.12, y - h * 0.6],
            [x + face * w / 2, y - h * 0.6],
            [x + face * w * 0.45, y - h],
            [x + face * w * 0.12, y - h],
        ]
        glass = [
            [x + face * w / 2, y - h * 0.62],
            [x + face * w * 0.45, y - h * 0.95],
            [x + face * w * 0.32, y - h * 0.95],
            [x + face * w * 0.34, y - h * 0.62],
        ]
    c.paint(_poly(n, cab), body * 0.8 * dark, whole)
    c.paint(_poly(n, glass), np.float32([0.55, 0.7, 0.85]) * dark, (whole, "windshield"))
    if whole == "car":
        door = np.zeros((n, n), np.uint8)
        x0, x1 = x - face * w * 0.05, x + face * w * 0.2
        pts = np.int32(
            np.round(np.array([[x0, y - h * 0.22], [x0, y - h * 0.58], [x1, y - h * 0.58], [x1, y - h * 0.22]]) * 4)
        )
        cv2.polylines(door, [pts], True, 255, 1, cv2.LINE_AA, shift=2)
        c.paint(door.astype(np.float32) / 255.0, body * 0.45 * dark, (whole, "door"))
    light = (1.0, 0.95, 0.6) if spec["time"] != "day" else (0.95, 0.9, 0.7)
    c.paint(_ellipse(n, x + face * (w / 2 - h * 0.08), y - h * 0.45, h * 0.08, h * 0.07), light, (whole, "headlight"))
    for dx in (-0.3, 0.3) if whole == "car" else (-0.35, 0.0, 0.35):
        _wheel(c, x + dx * w, y - h * 0.2, h * 0.2, whole, dark)


def bicycle(c: WorldCanvas, rng, x: float, y: float, h: float, spec) -> None:
    """Two wheel rings, a frame and a handlebar at the front."""
    n, dark, face = c.size, SHADE[spec["time"]], rng.choice([-1.0, 1.0])
    r, frame = h * 0.32, _jitter(rng, rng.choice([(0.8, 0.1, 0.1), (0.1, 0.3, 0.8), (0.1, 0.1, 0.1)]), 0.05) * dark
    back, front = (x - face * h * 0.5, y - r), (x + face * h * 0.5, y - r)
    for cx, cy in (back, front):
        ring = np.zeros((n, n), np.uint8)
        cv2.circle(ring, (round(cx * 4), round(cy * 4)), max(4, round(r * 4)), 255, 1 + int(h > 14), cv2.LINE_AA, 2)
        c.paint(ring.astype(np.float32) / 255.0, np.float32([0.08, 0.08, 0.08]), ("bicycle", "wheel"))
    seat, head = (x - face * h * 0.15, y - h * 0.75), (x + face * h * 0.35, y - h * 0.8)
    lines = np.zeros((n, n), np.uint8)
    for a, b in ((back, seat), (seat, (x, y - r)), ((x, y - r), back), (seat, head), ((x, y - r), head), (head, front)):
        cv2.line(lines, (round(a[0] * 4), round(a[1] * 4)), (round(b[0] * 4), round(b[1] * 4)), 255, 1, cv2.LINE_AA, 2)
    c.paint(lines.astype(np.float32) / 255.0, frame, "bicycle")
    bar = np.zeros((n, n), np.uint8)
    top = (head[0] + face * h * 0.05, head[1] - h * 0.18)
    cv2.line(
        bar, (round(head[0] * 4), round(head[1] * 4)), (round(top[0] * 4), round(top[1] * 4)), 255, 2, cv2.LINE_AA, 2
    )
    cv2.line(
        bar,
        (round((top[0] - h * 0.12) * 4), round(top[1] * 4)),
        (round((top[0] + h * 0.12) * 4), round(top[1] * 4)),
        255,
        2,
        cv2.LINE_AA,
        2,
    )
    c.paint(bar.astype(np.float32) / 255.0, np.float32([0.15, 0.15, 0.15]) * dark, ("bicycle", "handlebar"))


def building(c: WorldCanvas, rng, x: float, y: float, h: float, spec, whole: str) -> None:
    """A house (gable roof, a door, one or two windows) or a barn (red, high roof, a big door, a loft window)."""
    n, dark, night = c.size, SHADE[spec["time"]], spec["time"] == "night"
    w = h * (rng.uniform(1.0, 1.5) if whole == "house" else rng.uniform(1.2, 1.6))
    wall = (0.65, 0.15, 0.12) if whole == "barn" else rng.choice([(0.85, 0.8, 0.7), (0.7, 0.5, 0.35), (0.6, 0.6, 0.65)])
    top = y - h * (0.55 if whole == "house" else 0.6)
    c.paint(
        _poly(n, [[x - w / 2, y], [x + w / 2, y], [x + w / 2, top], [x - w / 2, top]]),
        _jitter(rng, wall, 0.05) * dark,
        (whole, "wall"),
    )
    roof_col = _jitter(rng, (0.35, 0.15, 0.1) if whole == "house" else (0.3, 0.3, 0.32), 0.06) * dark
    if whole == "house":
        roof = [[x - w * 0.6, top], [x + w * 0.6, top], [x, y - h]]
    else:
        roof = [
            [x - w * 0.55, top],
            [x + w * 0.55, top],
            [x + w * 0.35, y - h * 0.9],
            [x, y - h * 1.05],
            [x - w * 0.35, y - h * 0.9],
        ]
    c.paint(_poly(n, roof), roof_col, (whole, "roof"))
    light = np.float32([1.0, 0.85, 0.4]) if night else np.float32([0.25, 0.3, 0.4]) * dark
    dx = rng.uniform(-0.25, 0.25) * w
    door_w, door_h = (w * 0.12, h * 0.3) if whole == "house" else (w * 0.25, h * 0.38)
    c.paint(
        _poly(
            n,
            [[x + dx - door_w, y], [x + dx + door_w, y], [x + dx + door_w, y - door_h], [x + dx - door_w, y - door_h]],
        ),
        _jitter(rng, (0.3, 0.2, 0.12), 0.05) * dark,
        (whole, "door"),
    )
    if whole == "house":
        spots = [x + s * w * 0.3 for s in (-1, 1) if abs(x + s * w * 0.3 - (x + dx)) > door_w + w * 0.1]
        for sx in spots[: rng.integers(1, 3)]:
            sq = [
                [sx - w * 0.08, top + h * 0.1],
                [sx + w * 0.08, top + h * 0.1],
                [sx + w * 0.08, top + h * 0.25],
                [sx - w * 0.08, top + h * 0.25],
            ]
            c.paint(_poly(n, sq), light, (whole, "window"))
    elif rng.random() < 0.7:  # the loft window under the ridge
        c.paint(_ellipse(n, x, top - h * 0.15, w * 0.08, h * 0.07), light, (whole, "window"))


def tree(c: WorldCanvas, rng, x: float, y: float, h: float, spec) -> None:
    """A trunk and a crown (a conifer's cones or a broadleaf's round blobs)."""
    n, dark = c.size, SHADE[spec["time"]]
    tw = max(1.0, h * 0.07)
    c.paint(
        _poly(n, [[x - tw, y], [x + tw, y], [x + tw * 0.7, y - h * 0.55], [x - tw * 0.7, y - h * 0.55]]),
        _jitter(rng, (0.35, 0.22, 0.1), 0.04) * dark,
        ("tree", "trunk"),
    )
    green = _jitter(rng, (0.15, 0.4, 0.15), 0.06) * dark
    if spec["ground"] == "snow" or rng.random() < 0.4:
        for k in range(3):
            top, w = y - h * (0.5 + 0.15 * k) - h * 0.3, h * (0.32 - 0.07 * k)
            c.paint(_poly(n, [[x - w, top + h * 0.42], [x + w, top + h * 0.42], [x, top]]), green, "tree")
    else:
        for _ in range(rng.integers(3, 6)):
            r = h * rng.uniform(0.17, 0.27)
            c.paint(
                _ellipse(n, x + rng.uniform(-0.2, 0.2) * h, y - h * rng.uniform(0.65, 0.85), r, r),
                green * rng.uniform(0.8, 1.2),
                "tree",
            )


def vessel(c: WorldCanvas, rng, spec, water: np.ndarray, horizon: float, whole: str) -> None:
    """A boat (hull, maybe a cabin) or a sailboat (hull, mast, sail) on the water."""
    n, dark = c.size, SHADE[spec["time"]]
    ys, _ = np.nonzero(water[:, 4:-4])
    ys = ys[ys > horizon + 3]
    if len(ys) == 0:
        return
    y, x = float(rng.choice(ys)), rng.uniform(6, n - 6)
    h = (5 + 14 * np.clip((y - horizon) / (n - horizon), 0, 1)) * rng.uniform(0.9, 1.3)
    w = h * 1.6
    hull = _jitter(rng, rng.choice([(0.9, 0.9, 0.9), (0.45, 0.25, 0.1), (0.7, 0.1, 0.1), (0.1, 0.2, 0.5)]), 0.05) * dark
    c.paint(
        _poly(n, [[x - w / 2, y - h * 0.35], [x + w / 2, y - h * 0.35], [x + w * 0.35, y], [x - w * 0.35, y]]),
        hull,
        whole,
    )
    if whole == "boat":
        if rng.random() < 0.6:
            c.paint(
                _poly(
                    n,
                    [
                        [x - w * 0.2, y - h * 0.35],
                        [x + w * 0.15, y - h * 0.35],
                        [x + w * 0.1, y - h * 0.7],
                        [x - w * 0.2, y - h * 0.7],
                    ],
                ),
                hull * 0.8,
                whole,
            )
        return
    mast = np.zeros((n, n), np.uint8)
    cv2.line(
        mast,
        (round(x * 4), round((y - h * 0.35) * 4)),
        (round(x * 4), round((y - h * 1.9) * 4)),
        255,
        1 + int(h > 12),
        cv2.LINE_AA,
        2,
    )
    c.paint(mast.astype(np.float32) / 255.0, np.float32([0.3, 0.2, 0.1]) * dark, (whole, "mast"))
    side = rng.choice([-1.0, 1.0])
    sail = _jitter(rng, rng.choice([(0.95, 0.95, 0.9), (0.9, 0.6, 0.2), (0.8, 0.2, 0.2)]), 0.04) * dark
    c.paint(
        _poly(n, [[x + side, y - h * 0.45], [x + side * w * 0.45, y - h * 0.45], [x + side, y - h * 1.8]]),
        sail,
        (whole, "sail"),
    )
