"""Shape Motion (procedural, deterministic by seed), real clips from Debian opencv-doc, and the anchor tasks.

A Shape Motion sequence holds 1-3 coloured shapes (circle, square, triangle) on a dark background, each moving
linearly, bouncing off the walls, rotating and scaling; most shapes also turn once by 45-135 degrees at a time drawn
uniformly over the sequence. The turn time is not visible in the anchors: between two anchors (or after the last
one) several futures fit them, which is what the model's stochastic code is for. Frames are drawn with cv2
(anti-aliased, sub-pixel) straight at the model's size. Real clips: vtest.avi (training, a small share) and tree.avi
(held out for the test, its 68 distinct frames), read with imageio's ffmpeg.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

FRAMES = 16
SPLIT_OFFSET = {"train": 0, "val": 10_000_000, "test": 20_000_000}  # disjoint seed ranges (train: 0..9,999,999)
KINDS = ("circle", "square", "triangle")
TURN_PROBABILITY = 0.75
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
REAL_STRIDE = 2  # training clips of vtest.avi take every 2nd frame: at 32x32 consecutive frames barely differ
REAL_VAL_SHARE = 0.2  # the last 20% of vtest.avi's frames give the validation clips and are never trained on
SHIFT = 4  # cv2 sub-pixel bits: coordinates are given in 1/16 pixel


@dataclass
class ShapeState:
    """One shape's initial state; positions and radii are fractions of the frame side."""

    kind: str
    colour: tuple[int, int, int]
    x: float
    y: float
    vx: float
    vy: float
    radius: float
    growth: float  # radius multiplier per frame
    angle: float
    spin: float  # radians per frame
    turn_time: int | None  # frame index from which the velocity is turned (None: no turn)
    turn_angle: float


def _random_shape(rng: np.random.Generator) -> ShapeState:
    kind = KINDS[rng.integers(len(KINDS))]
    hsv = np.uint8([[[rng.integers(180), rng.integers(150, 256), rng.integers(180, 256)]]])
    colour = tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])
    radius = rng.uniform(0.11, 0.2)
    speed, direction = rng.uniform(0.02, 0.05), rng.uniform(0, 2 * np.pi)
    turn = rng.random() < TURN_PROBABILITY
    turn_time = int(rng.integers(1, FRAMES))
    turn_angle = rng.choice([-1, 1]) * rng.uniform(np.pi / 4, 3 * np.pi / 4)
    return ShapeState(
        kind=kind,
        colour=colour,
        x=rng.uniform(radius, 1 - radius),
        y=rng.uniform(radius, 1 - radius),
        vx=speed * np.cos(direction),
        vy=speed * np.sin(direction),
        radius=radius,
        growth=float(np.exp(rng.uniform(-0.03, 0.03))),
        angle=rng.uniform(0, 2 * np.pi),
        spin=rng.uniform(-0.25, 0.25) if kind != "circle" else 0.0,
        turn_time=turn_time if turn else None,
        turn_angle=float(turn_angle),
    )


def trajectory(shape: ShapeState, frames: int = FRAMES) -> np.ndarray:
    """(frames, 4) per frame: x, y, radius, angle. Turns at turn_time, bounces off the walls."""
    out = np.zeros((frames, 4))
    x, y, vx, vy, r, a = shape.x, shape.y, shape.vx, shape.vy, shape.radius, shape.angle
    for t in range(frames):
        out[t] = x, y, r, a
        if shape.turn_time is not None and t + 1 == shape.turn_time:
            c, s = np.cos(shape.turn_angle), np.sin(shape.turn_angle)
            vx, vy = c * vx - s * vy, s * vx + c * vy
        r = float(np.clip(r * shape.growth, 0.08, 0.25))
        x, y, a = x + vx, y + vy, a + shape.spin
        if x < r or x > 1 - r:  # bounce: reflect position and velocity
            vx = -vx
            x = 2 * r - x if x < r else 2 * (1 - r) - x
        if y < r or y > 1 - r:
            vy = -vy
            y = 2 * r - y if y < r else 2 * (1 - r) - y
    return out


def _draw(canvas: np.ndarray, kind: str, colour, x: float, y: float, r: float, a: float) -> None:
    scale = canvas.shape[0] * (1 << SHIFT)
    if kind == "circle":
        centre = (int(round(x * scale)), int(round(y * scale)))
        cv2.circle(canvas, centre, int(round(r * scale)), colour, -1, cv2.LINE_AA, SHIFT)
        return
    corners = 4 if kind == "square" else 3
    reach = r * (1.0 if kind == "triangle" else 0.9 * np.sqrt(2))  # a square's corners at 0.9 r * sqrt 2
    angles = a + np.arange(corners) * 2 * np.pi / corners
    points = np.stack([x + reach * np.cos(angles), y + reach * np.sin(angles)], 1) * scale
    cv2.fillPoly(canvas, [np.round(points).astype(np.int32)], colour, cv2.LINE_AA, SHIFT)


def shape_motion(seed: int, size: int = 32, frames: int = FRAMES, turn_time: int | None = -1) -> np.ndarray:
    """One Shape Motion sequence, uint8 (frames, size, size, 3), a pure function of `seed`.

    `turn_time` (>= 0) overrides every shape's turn time (0: no turn) without changing anything else: the same seed
    with two turn times gives identical frames up to the earlier turn, and different ones after it."""
    rng = np.random.default_rng(seed)
    background = tuple(int(c) for c in rng.integers(0, 70, 3))
    shapes = [_random_shape(rng) for _ in range(int(rng.integers(1, 4)))]
    if turn_time is None or turn_time >= 0:
        for shape in shapes:
            shape.turn_time = turn_time or None
    video = np.empty((frames, size, size, 3), np.uint8)
    video[:] = background
    paths = [trajectory(shape, frames) for shape in shapes]
    for t in range(frames):
        for shape, path in zip(shapes, paths, strict=True):
            _draw(video[t], shape.kind, shape.colour, *path[t])
    return video


def shape_batch(split: str, start: int, n: int, size: int = 32, frames: int = FRAMES) -> np.ndarray:
    """Sequences `start`..`start+n` of `split`: uint8 (n, frames, size, size, 3)."""
    offset = SPLIT_OFFSET[split]
    return np.stack([shape_motion(offset + start + i, size, frames) for i in range(n)])


# ---------------------------------------------------------------- real clips


@functools.lru_cache(maxsize=4)
def read_video(name: str, longest: int = 192) -> np.ndarray | None:
    """The distinct frames of an opencv-doc video as uint8 RGB, downscaled so the longer side is `longest`; None if
    the file is absent (Debian opencv-doc not installed)."""
    path = OPENCV_DATA / name
    if not path.exists():
        return None
    import imageio  # ffmpeg decodes all 444 frames of tree.avi; cv2.VideoCapture stops after 68 here

    frames = []
    with imageio.get_reader(str(path), "ffmpeg") as reader:
        for frame in reader:
            height, width = frame.shape[:2]
            scale = longest / max(height, width)
            size = (round(width * scale), round(height * scale))
            small = cv2.resize(np.asarray(frame), size, interpolation=cv2.INTER_AREA)
            # tree.avi repeats each picture ~6 times (68 distinct of 449): keep a frame only if it is new
            if not frames or np.abs(small.astype(np.int16) - frames[-1]).max() > 8:
                frames.append(small)
    return np.stack(frames) if frames else None


def random_real_clips(rng: np.random.Generator, n: int, size: int, frames: int, name: str = "vtest.avi"):
    """`n` random clips (random start, random square crop of 1/2 to 3/4 of the height) from the training part of a
    real video (all but its last REAL_VAL_SHARE), or None."""
    video = read_video(name)
    if video is None:
        return None
    video = video[: int(len(video) * (1 - REAL_VAL_SHARE))]
    total, height, width = video.shape[:3]
    clips = np.empty((n, frames, size, size, 3), np.uint8)
    for i in range(n):
        start = rng.integers(0, total - frames * REAL_STRIDE)
        side = int(rng.integers(height // 2, 3 * height // 4 + 1))
        top, left = rng.integers(0, height - side + 1), rng.integers(0, width - side + 1)
        for t in range(frames):
            crop = video[start + t * REAL_STRIDE, top : top + side, left : left + side]
            clips[i, t] = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return clips


def test_real_clips(
    size: int,
    frames: int = 8,
    name: str = "tree.avi",
    every: int = 4,
    stride: int = 1,
    validation: bool = False,
    half: int | None = None,
) -> np.ndarray | None:
    """Held-out real clips: runs of `frames` distinct frames (every `stride`-th) starting every `every` frames, centre
    square; or None. `validation`: only the video's last REAL_VAL_SHARE (vtest.avi's part kept from training);
    `half` (with it): 0 its first half (checkpoint choice in training), 1 its second (the test's vtest clips)."""
    video = read_video(name)
    if video is None:
        return None
    if validation:
        video = video[int(len(video) * (1 - REAL_VAL_SHARE)) :]
        if half is not None:
            video = np.array_split(video, 2)[half]
    video = video[::stride]
    height, width = video.shape[1:3]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    clips = []
    for start in range(0, len(video) - frames + 1, every):
        clip = video[start : start + frames, top : top + side, left : left + side]
        clips.append(np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in clip]))
    return np.stack(clips)


# ---------------------------------------------------------------- anchor tasks

TASKS = {  # the seed's settings, 0-based: interpolation (anchors t=1 and t=8 of 8), prediction (t=1..6 of 16)
    "interpolation": ((0, 7), 8),
    "prediction": (tuple(range(6)), 16),
}


def anchor_mask(anchor_steps, length: int) -> np.ndarray:
    """(length,) float32: 1 at the anchor steps (0-based), 0 elsewhere. Steps must lie inside the sequence."""
    steps = sorted({int(s) for s in anchor_steps})
    if not steps:
        raise ValueError("at least one anchor step is needed")
    if steps[0] < 0 or steps[-1] >= length:
        raise ValueError(f"anchor steps {steps} fall outside a sequence of {length} frames")
    mask = np.zeros(length, np.float32)
    mask[steps] = 1.0
    return mask


def random_task(rng: np.random.Generator) -> tuple[tuple[int, ...], int]:
    """A training task: each seed setting 40% of the time, else 2-4 random anchors in 8-16 frames."""
    draw = rng.random()
    if draw < 0.4:
        return TASKS["interpolation"]
    if draw < 0.8:
        return TASKS["prediction"]
    length = int(rng.integers(8, FRAMES + 1))
    count = int(rng.integers(2, 5))
    steps = rng.choice(length, count, replace=False)
    return tuple(sorted(int(s) for s in steps)), length


def domain_images(split: str, n: int) -> np.ndarray:
    """n frames of `split`, one a clip: what the out-of-domain check is fitted on."""
    from vtl_models.hub import read_card

    # one frame a clip, in the default model's training mix: Shape Motion and its share of vtest.avi clips
    # (validation and test share the video's held-out end: validation its first half, test its second)
    rng = np.random.default_rng({"train": 0, "val": 1, "test": 2}[split])
    n_real = int(n * read_card("video").raw["training"]["real_share"])
    shapes = shape_batch(split, 0, n - n_real, frames=1)[:, 0]
    if split == "train":
        clips = random_real_clips(rng, n_real, 32, 1)
        real = None if clips is None else clips[:, 0]
    else:
        held_out = test_real_clips(32, 1, "vtest.avi", every=1, validation=True)
        half = None if held_out is None else np.array_split(held_out[:, 0], 2)[split == "test"]
        real = None if half is None else half[np.sort(rng.choice(len(half), min(n_real, len(half)), False))]
    return shapes if real is None else np.concatenate([shapes, real])
