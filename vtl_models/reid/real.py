"""Target B: real pedestrians in vtest.avi (Debian opencv-doc), found by OpenCV's HOG people detector and linked
into tracklets by a greedy IoU tracker. Tracklets are pseudo-identities; the query comes from the start of a
tracklet and its true matches from its end (time windows far apart play the role of cameras).

    python -m vtl_models.reid.real   # writes data/reid/vtest_tracklets.npz; gallery.py ships its crops
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from vtl_models.reid.data import HEIGHT, WIDTH

VIDEO = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
SAMPLES = Path(__file__).resolve().parents[2] / "data" / "reid" / "vtest_tracklets.npz"


MIN_FRAME = (256, 128)  # (height, width) below which a frame is enlarged before HOG (see detect_people)


def detect_people(frame: np.ndarray, min_height: int = 64) -> np.ndarray:
    """HOG + linear SVM people detector -> boxes (N, 4) as x, y, w, h (after non-maximum suppression), best first."""
    hog = _hog()
    scale = 1.0
    if max(frame.shape[:2]) > 1000:  # large frames: detect on a copy of at most ~1000 px
        scale = 1000 / max(frame.shape[:2])
        frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # OpenCV's HOG crashes the process (segfault) on frames smaller than a few detection windows (64x128):
    # small uploads are enlarged first, and the boxes scaled back below
    grow = max(MIN_FRAME[0] / frame.shape[0], MIN_FRAME[1] / frame.shape[1], 1.0)
    if grow > 1.0:
        frame = cv2.resize(frame, None, fx=grow, fy=grow, interpolation=cv2.INTER_LINEAR)
        scale *= grow
    rects, weights = hog.detectMultiScale(frame, winStride=(8, 8), padding=(8, 8), scale=1.05)
    if len(rects) == 0:
        return np.zeros((0, 4), np.int64)
    weights = np.asarray(weights, np.float64).reshape(-1)
    keep = cv2.dnn.NMSBoxes([list(map(int, r)) for r in rects], weights.tolist(), 0.3, 0.4)
    keep = np.asarray(keep, np.int64).reshape(-1)
    keep = keep[np.argsort(-weights[keep])]
    boxes = (np.asarray(rects)[keep] / scale).round().astype(np.int64)
    return boxes[boxes[:, 3] >= min_height * (1 if scale == 1 else scale)]


_HOG = None


def _hog() -> cv2.HOGDescriptor:
    global _HOG
    if _HOG is None:
        _HOG = cv2.HOGDescriptor()
        _HOG.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    return _HOG


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two x, y, w, h boxes."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


@dataclass
class Track:
    """One tracklet: the frames and boxes of a person followed by the tracker."""

    track_id: int
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)

    @property
    def last(self) -> np.ndarray:
        return self.boxes[-1]


class IoUTracker:
    """Greedy IoU tracker: each detection joins the live track it overlaps most (IoU >= threshold), else starts one;
    a track not seen for `max_gap` frames is closed."""

    def __init__(self, threshold: float = 0.3, max_gap: int = 6):
        self.threshold, self.max_gap = threshold, max_gap
        self.live: list[Track] = []
        self.done: list[Track] = []
        self._next = 0

    def update(self, frame_index: int, boxes: np.ndarray) -> None:
        """Add one frame's detections."""
        self.done += [t for t in self.live if frame_index - t.frames[-1] > self.max_gap]
        self.live = [t for t in self.live if frame_index - t.frames[-1] <= self.max_gap]
        pairs = sorted(
            ((iou(t.last, b), ti, bi) for ti, t in enumerate(self.live) for bi, b in enumerate(boxes)), reverse=True
        )
        used_t, used_b = set(), set()
        for score, ti, bi in pairs:
            if score < self.threshold:
                break
            if ti in used_t or bi in used_b:
                continue
            used_t.add(ti)
            used_b.add(bi)
            self.live[ti].frames.append(frame_index)
            self.live[ti].boxes.append(np.asarray(boxes[bi]))
        for bi, box in enumerate(boxes):
            if bi not in used_b:
                self.live.append(Track(self._next, [frame_index], [np.asarray(box)]))
                self._next += 1

    def tracks(self) -> list[Track]:
        """Every track, closed or live, by id."""
        return sorted(self.done + self.live, key=lambda t: t.track_id)


def crop(frame: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The box (slightly tightened: HOG boxes have a margin) resized to the model's HEIGHT x WIDTH."""
    x, y, w, h = (int(v) for v in box)
    x0, x1 = max(x + w // 8, 0), min(x + w - w // 8, frame.shape[1])
    y0, y1 = max(y + h // 16, 0), min(y + h - h // 16, frame.shape[0])
    return cv2.resize(frame[y0:y1, x0:x1], (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)


def build_tracklets(step: int = 2, min_length: int = 12, per_window: int = 3) -> dict:
    """Run detector + tracker over vtest.avi; keep tracklets long enough for a start and an end window.

    Returns {"crops": uint8 (N, H, W, 3), "track": (N,), "window": (N,) 0 = start, 1 = end, "frame": (N,)}.
    """
    capture = cv2.VideoCapture(str(VIDEO))
    tracker, track_crops, index = IoUTracker(threshold=0.3, max_gap=3 * step), {}, 0
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        if index % step == 0:
            rgb = bgr[..., ::-1].copy()
            tracker.update(index, detect_people(rgb))
            for track in tracker.live:  # crop as we go: keeping every frame would take ~0.5 GB
                if track.frames[-1] == index:
                    track_crops.setdefault(track.track_id, []).append(crop(rgb, track.last))
        index += 1
    crops, track_ids, windows, frame_ids = [], [], [], []
    for track in tracker.tracks():
        if len(track.frames) < min_length:
            continue
        n = len(track.frames)
        picks = {0: np.linspace(0, n // 3, per_window), 1: np.linspace(n - 1 - n // 3, n - 1, per_window)}
        for window, positions in picks.items():
            for p in positions.astype(int):
                crops.append(track_crops[track.track_id][p])
                track_ids.append(track.track_id)
                windows.append(window)
                frame_ids.append(track.frames[p])
    return {
        "crops": np.stack(crops),
        "track": np.array(track_ids),
        "window": np.array(windows),
        "frame": np.array(frame_ids),
    }


if __name__ == "__main__":
    data = build_tracklets()
    SAMPLES.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(SAMPLES, **data)
    print(f"{len(np.unique(data['track']))} tracklets, {len(data['crops'])} crops -> {SAMPLES}")
