"""Builds the tab's shipped search gallery and example queries (run at training time, outputs committed).

    python -m vtl_models.reid.gallery

gallery.jpg: a mosaic of 1,000 crops of target A's gallery identities (250 people x 4 cameras) followed by the
vtest.avi tracklet crops; gallery.npz: each crop's identity (-1 unknown), camera index and the camera names.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from vtl_models.hub import has_card
from vtl_models.reid.data import HEIGHT, N_CAMERAS, SPLITS, WIDTH, render_rows, split_index
from vtl_models.reid.real import SAMPLES, VIDEO

EXAMPLES = Path(__file__).resolve().parents[2] / "demos" / "examples" / "reid"

COLUMNS = 40
VTEST_ID_OFFSET = 100_000  # tracklet pseudo-identities never collide with procedural ones
EXAMPLE_QUERIES = [(806, 0), (776, 1)]  # (identity, camera): found by the shipped weights (own id at rank 1-2)


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


def build() -> None:
    rows = split_index("target", "gallery", shots=1)
    crops, identity, camera = [render_rows("target", rows)], [rows[:, 0]], [rows[:, 1]]
    names = [f"indoor camera {c + 1}" for c in range(N_CAMERAS)]
    if SAMPLES.exists():
        real = np.load(SAMPLES)
        crops.append(real["crops"])
        identity.append(real["track"] + VTEST_ID_OFFSET)
        camera.append(N_CAMERAS + real["window"])
    names += ["vtest.avi, early", "vtest.avi, late"]
    crops = np.concatenate(crops)
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mosaic(crops)).save(EXAMPLES / "gallery.jpg", quality=90)
    np.savez(
        EXAMPLES / "gallery.npz",
        identity=np.concatenate(identity),
        camera=np.concatenate(camera),
        camera_names=np.array(names),
        n=len(crops),
    )
    # example queries: other shots (new pose, light, occlusion) of gallery people, one per camera; the first two
    # are people the shipped model finds (the predictor test's fixed case), the last two were drawn blind
    ids = list(SPLITS[("target", "gallery")])
    for person, cam in EXAMPLE_QUERIES + [(ids[42], 2), (ids[101], 3)]:
        query = render_rows("target", np.array([[person, cam, 7]]), workers=1)[0]
        Image.fromarray(query).save(EXAMPLES / f"indoor_id{person}_camera{cam + 1}.png")
    if VIDEO.exists():
        import cv2

        capture = cv2.VideoCapture(str(VIDEO))
        capture.set(cv2.CAP_PROP_POS_FRAMES, 120)
        ok, frame = capture.read()
        if ok:
            cv2.imwrite(str(EXAMPLES / "vtest_frame120.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"gallery: {len(crops)} crops -> {EXAMPLES}")
    if has_card("reid"):  # ship the default weights' gallery features: the tab's first search needs no embedding
        from vtl_models.reid.predictor import SHIPPED_FEATURES, ReidPredictor

        SHIPPED_FEATURES.unlink(missing_ok=True)
        predictor = ReidPredictor("cpu")
        features = predictor.gallery.numpy().astype(np.float16)
        np.savez(SHIPPED_FEATURES, features=features, sha256=predictor.sha256)


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


if __name__ == "__main__":
    build()
