"""Builds the tab's shipped search gallery and example queries (run at training time, outputs committed).

    python -m vtl_models.reid.gallery [--features]

gallery.jpg: a mosaic of 1,000 crops of target A's gallery identities (250 people x 4 cameras) followed by the
vtest.avi tracklet crops; gallery.npz: each crop's identity (-1 unknown), camera index and the camera names.
"""

from __future__ import annotations

import json
import sys

import numpy as np
from PIL import Image

from vtl_models.common import to_numpy
from vtl_models.hub import has_card
from vtl_models.reid.data import N_CAMERAS, SPLITS, render_rows, split_index
from vtl_models.reid.real import SAMPLES, VIDEO
from vtl_models.reid.shipped import EXAMPLES, SHIPPED_FEATURES, mosaic

VTEST_ID_OFFSET = 100_000  # tracklet pseudo-identities never collide with procedural ones
EXAMPLE_QUERIES = [(806, 0), (776, 1)]  # (identity, camera): found by the shipped weights (own id at rank 1-2)


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
    queries = []  # the tab's example queries with their person and camera (1-based), which the tab shows
    for person, cam in EXAMPLE_QUERIES + [(ids[42], 2), (ids[101], 3)]:
        query = render_rows("target", np.array([[person, cam, 7]]), workers=1)[0]
        Image.fromarray(query).save(EXAMPLES / f"indoor_id{person}_camera{cam + 1}.png")
        queries.append({"file": f"indoor_id{person}_camera{cam + 1}.png", "identity": int(person), "camera": cam + 1})
    if VIDEO.exists():
        import cv2

        capture = cv2.VideoCapture(str(VIDEO))
        capture.set(cv2.CAP_PROP_POS_FRAMES, 120)
        ok, frame = capture.read()
        if ok:
            cv2.imwrite(str(EXAMPLES / "vtest_frame120.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
            queries.append({"file": "vtest_frame120.jpg", "identity": None, "camera": None})  # people unknown
    queries.sort(key=lambda q: (q["identity"] is None, q["file"]))
    (EXAMPLES / "queries.json").write_text(json.dumps(queries, indent=1) + "\n")
    print(f"gallery: {len(crops)} crops -> {EXAMPLES}")
    if has_card("reid"):
        ship_features()


def ship_features() -> None:
    """The default weights' gallery features, shipped so the tab's first search embeds nothing (rerun whenever the
    default reid weights change: `python -m vtl_models.reid.gallery --features`; a test compares the sha256)."""
    import torch

    from vtl_models.reid.predictor import ReidPredictor

    SHIPPED_FEATURES.unlink(missing_ok=True)
    predictor = ReidPredictor(torch.device("cpu"))
    features = to_numpy(predictor.gallery).astype(np.float16)
    np.savez(SHIPPED_FEATURES, features=features, sha256=predictor.sha256)
    print(f"gallery features for {predictor.sha256[:12]} -> {SHIPPED_FEATURES}")


if __name__ == "__main__":
    ship_features() if sys.argv[1:] == ["--features"] else build()
