"""The Person search tab's shipped gallery as files: where they are and how they are read (no rendering here).

gallery.jpg: a mosaic of the gallery crops, COLUMNS to a row; gallery.npz: each crop's identity (-1 unknown), camera
index and the camera names; gallery_features.npz: the default weights' features of them. `python -m
vtl_models.reid.gallery` builds all three.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from vtl_models.reid.data import HEIGHT, N_CAMERAS, WIDTH

EXAMPLES = Path(__file__).resolve().parents[2] / "demos" / "examples" / "reid"
SHIPPED_FEATURES = EXAMPLES / "gallery_features.npz"
COLUMNS = 40


def mosaic(crops: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) -> one picture, COLUMNS crops per row (the last row padded with black)."""
    n = len(crops)
    pad = -n % COLUMNS
    crops = np.concatenate([crops, np.zeros((pad, *crops.shape[1:]), np.uint8)])
    rows = len(crops) // COLUMNS
    return crops.reshape(rows, COLUMNS, HEIGHT, WIDTH, 3).transpose(0, 2, 1, 3, 4).reshape(rows * HEIGHT, -1, 3)


def unmosaic(picture: np.ndarray, n: int) -> np.ndarray:
    """Inverse of `mosaic`: the first n crops."""
    rows = picture.shape[0] // HEIGHT
    crops = picture.reshape(rows, HEIGHT, COLUMNS, WIDTH, 3).transpose(0, 2, 1, 3, 4).reshape(-1, HEIGHT, WIDTH, 3)
    return crops[:n]


def load_gallery() -> dict:
    """The shipped gallery: crops (N, H, W, 3) uint8, identity (N,), camera (N,), camera_names."""
    meta = np.load(EXAMPLES / "gallery.npz")
    with Image.open(EXAMPLES / "gallery.jpg") as picture:
        crops = unmosaic(np.asarray(picture.convert("RGB")), int(meta["n"]))
    names = [str(c) for c in meta["camera_names"]]
    return {"crops": crops, "identity": meta["identity"], "camera": meta["camera"], "camera_names": names}


def real_samples() -> dict | None:
    """Target B as shipped in the gallery: vtest.avi tracklet crops, pseudo-identity and window (0 early, 1 late)."""
    gallery = load_gallery()
    real = gallery["camera"] >= N_CAMERAS
    if not real.any():
        return None
    return {
        "crops": gallery["crops"][real],
        "track": gallery["identity"][real],
        "window": gallery["camera"][real] - N_CAMERAS,
    }
