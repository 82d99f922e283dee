"""Procedural outdoor scenes with multi-hot labels and one visibility mask per label, deterministic by seed.

A scene is first sampled as a small spec (time of day, surface, objects) whose rules give realistic co-occurrence
(sunset implies sun and sky, boats only on water, lake = water with a far shore, ocean = water meeting the sky,
snow with mountains or snowy ground and never with beaches), pruned to at most MAX_LABELS labels, then painted back
to front. Every paint occludes the masks below it, and a label is present iff its visible mask is large enough,
so labels and masks always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vtl_models.multilabel.vocab import INDEX, NUM_LABELS

SIZE = 128
MAX_LABELS = 6
_SUB = 4  # cv2 sub-pixel shift (2 bits)


@dataclass
class Scene:
    """One rendered scene: uint8 image (H, W, 3), multi-hot labels (K,), boolean masks (K, H, W)."""

    image: np.ndarray
    labels: np.ndarray
    masks: np.ndarray


class _Canvas:
    def __init__(self, size: int):
        self.size = size
        self.img = np.zeros((size, size, 3), np.float32)
        self.masks = np.zeros((NUM_LABELS, size, size), bool)

    def paint(self, alpha: np.ndarray, color, label: str | None = None) -> None:
        a = alpha[..., None]
        self.img = self.img * (1.0 - a) + np.asarray(color, np.float32) * a
        cover = alpha > 0.5
        self.masks[:, cover] = False  # what is painted over is no longer visible
        if label:
            self.masks[INDEX[label]] |= cover


def _poly(size: int, pts: np.ndarray) -> np.ndarray:
    m = np.zeros((size, size), np.uint8)
    cv2.fillPoly(m, [np.round(np.asarray(pts) * _SUB).astype(np.int32)], 255, cv2.LINE_AA, shift=2)
    return m.astype(np.float32) / 255.0


def _ellipse(size: int, cx: float, cy: float, rx: float, ry: float, angle: float = 0.0) -> np.ndarray:
    m = np.zeros((size, size), np.uint8)
    axes = (max(1, round(rx * _SUB)), max(1, round(ry * _SUB)))
    cv2.ellipse(m, (round(cx * _SUB), round(cy * _SUB)), axes, angle, 0, 360, 255, -1, cv2.LINE_AA, shift=2)
    return m.astype(np.float32) / 255.0


def _noise(rng: np.random.Generator, size: int, res: int) -> np.ndarray:
    """Smooth value noise in about [0, 1]."""
    return cv2.resize(rng.random((res, res), dtype=np.float32), (size, size), interpolation=cv2.INTER_CUBIC)


def _jitter(rng: np.random.Generator, color, amount: float = 0.08) -> np.ndarray:
    return np.clip(np.asarray(color, np.float32) + rng.normal(0, amount, 3), 0, 1)


def _scenery_spec(s: dict, rng: np.random.Generator, land: bool) -> None:
    """Fill in spec `s`'s mountains (snow caps), sun, moon, clouds and birds from its view (`land`: a landscape), time,
    water and ground: the rules both worlds share (the zero-shot world's landscape is this one)."""
    s["mountain"] = land and rng.random() < (0.12 if s["water"] == "ocean" else (0.9 if s["ground"] == "snow" else 0.4))
    s["snowcaps"] = s["mountain"] and s["water"] != "ocean" and rng.random() < 0.5
    s["sun"] = land and (s["time"] == "sunset" or (s["time"] == "day" and rng.random() < 0.45))
    s["moon"] = land and s["time"] == "night" and rng.random() < 0.8
    s["clouds"] = land and rng.random() < 0.4
    s["bird"] = rng.random() < (0.05 if s["time"] == "night" else 0.2)


def sample_spec(rng: np.random.Generator) -> dict:
    """Sample what a scene contains; the rules here are the co-occurrence statistics of the data."""
    s: dict = {"view": "landscape" if rng.random() < 0.88 else "ground"}
    s["time"] = rng.choice(["day", "sunset", "night"], p=[0.6, 0.25, 0.15]) if s["view"] == "landscape" else "day"
    land = s["view"] == "landscape"
    s["water"] = (
        rng.choice(["none", "lake", "ocean"], p=[0.4, 0.3, 0.3]) if land else ("plain", "none")[rng.random() < 0.6]
    )
    s["beach"] = s["water"] == "ocean" and rng.random() < 0.6
    if s["water"] == "ocean":
        s["ground"] = "sand" if s["beach"] else "none"
    else:
        s["ground"] = rng.choice(["grass", "snow", "dirt"], p=[0.55, 0.25, 0.2])
        if s["water"] == "plain":
            s["ground"] = "none"
    _scenery_spec(s, rng, land)
    has_ground = s["ground"] in ("grass", "snow", "dirt", "sand")
    s["boat"] = s["water"] != "none" and rng.random() < 0.45
    s["tree"] = s["ground"] in ("grass", "snow", "dirt") and rng.random() < 0.4
    s["house"] = s["ground"] in ("grass", "snow", "dirt") and rng.random() < 0.25
    s["person"] = has_ground and rng.random() < (0.4 if s["ground"] == "sand" else 0.2)
    s["car"] = s["ground"] in ("grass", "snow", "dirt") and s["water"] == "none" and rng.random() < 0.25
    if s["view"] == "ground" and s["ground"] == "dirt" and not any(s[k] for k in ("tree", "house", "person", "car")):
        s[("tree", "house", "person", "car")[rng.integers(4)]] = True
    droppable = ["clouds", "bird", "tree", "house", "person", "car", "boat", "mountain", "moon"]
    while len(spec_labels(s)) > MAX_LABELS:
        present = [k for k in droppable if s[k]]
        if not present and s["ground"] in ("grass", "snow"):
            s["ground"] = "dirt"
            continue
        key = present[rng.integers(len(present))]
        s[key] = False
        s["snowcaps"] = s["snowcaps"] and s["mountain"]
    return s


def spec_labels(s: dict) -> set[str]:
    """The labels a spec asks for (rendering may hide some; the masks decide)."""
    out = {k for k in ("sun", "moon", "clouds", "bird", "mountain", "boat", "tree", "house", "person", "car") if s[k]}
    if s["view"] == "landscape":
        out.add("sky")
    if s["time"] == "sunset":
        out.add("sunset")
    if s["snowcaps"] or s["ground"] == "snow":
        out.add("snow")
    if s["water"] != "none":
        out.add("water")
        if s["water"] in ("lake", "ocean"):
            out.add(s["water"])
    if s["beach"]:
        out.add("beach")
    if s["ground"] == "grass":
        out.add("grass")
    return out


SKY = {
    "day": [((0.2, 0.4, 0.8), (0.65, 0.8, 0.95))],
    "sunset": [((0.25, 0.15, 0.45), (0.95, 0.45, 0.3)), ((0.95, 0.45, 0.3), (1.0, 0.75, 0.35))],
    "night": [((0.02, 0.03, 0.1), (0.1, 0.15, 0.3))],
}
GROUND = {"grass": (0.25, 0.55, 0.2), "snow": (0.92, 0.94, 0.98), "dirt": (0.5, 0.38, 0.25), "sand": (0.9, 0.8, 0.55)}
SHADE = {"day": np.float32([1, 1, 1]), "sunset": np.float32([1.0, 0.75, 0.6]), "night": np.float32([0.3, 0.35, 0.55])}
