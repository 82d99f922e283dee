"""What `eval shape3d` reads when the weights were trained on furniture (the card's `training.data`).

Test set: every test model of vtl_models/shape3d/furniture_split.json (25), TEST_VIEWS views each, rendered as the
training views are (furniture_views.render_models: seeded by model id, so regenerated identically; cached under
data/shape3d/, git-ignored, never committed). Baselines read REFERENCE_VIEWS views of each training model (never a
validation or test model): its grid is what the nearest-neighbour baseline returns, and the category means come
from the training grids. Claims: furniture runs are weights/shape3d/furniture_<mode>[_seedN]; their items are the
test models (a model's views are not independent draws: the bootstrap resamples models, each the mean of its views).
"""

from __future__ import annotations

import numpy as np

from vtl_models.shape3d.data import DATA_DIR, ViewBatch
from vtl_models.shape3d.furniture import read_split

TEST_VIEWS = 24  # x 25 test models = 600 views, as many as the procedural test set
REFERENCE_VIEWS = 4  # x 111 training models: the nearest-neighbour baseline's gallery
PREFIX = "furniture_"
RUNS = ("semi", "semi_noproj", "sup_few", "supervised")  # metrics.<run>_iou of furniture_<run>
CLAIMS = {"semi_vs_sup_few": ("semi", "sup_few"), "self_consistency_vs_none": ("semi", "semi_noproj")}


def test_views() -> ViewBatch:
    """TEST_VIEWS views of each furniture test model (cached after the first call)."""
    from vtl_models.shape3d.furniture_views import furniture_split

    return furniture_split("test", TEST_VIEWS)


def reference_views() -> ViewBatch:
    """REFERENCE_VIEWS views of each furniture training model: the baselines' gallery.

    A model's views are drawn in sequence from its own seed, so the first REFERENCE_VIEWS of a larger training cache
    (the one a training run left, e.g. 24 views) are these same views: sliced from it when present, else rendered."""
    from vtl_models.shape3d.furniture_views import furniture_split

    n = len(read_split("train"))
    for views in sorted(v for v in cached_view_counts("train") if v > REFERENCE_VIEWS):
        batch = furniture_split("train", views)
        keep = (np.arange(n)[:, None] * views + np.arange(REFERENCE_VIEWS)).ravel()
        fields = {k: getattr(batch, k)[keep] for k in ("images", "masks", "azimuth", "elevation", "shape_index")}
        return ViewBatch(**fields, voxels=batch.voxels, category=batch.category, symmetry=batch.symmetry)
    return furniture_split("train", REFERENCE_VIEWS)


def cached_view_counts(split: str) -> list[int]:
    """The views-per-model counts of a split's view caches under data/shape3d/ (of the committed split's ids)."""
    from vtl_models.shape3d.furniture_views import cache_path

    found = []
    for path in DATA_DIR.glob(f"furniture_{split}_*.npz"):
        views = int(path.stem.split("_")[2])
        if path == cache_path(split, views):
            found.append(views)
    return found


def notes(n_reference: int, n_models: int) -> dict[str, str]:
    """The eval's notes that differ from the procedural ones."""
    return {
        "test": f"{n_models} furniture test models x {TEST_VIEWS} views (furniture_split.json; split by model)",
        "claims": "mean voxel IoU over the test models (each the mean of its views), each run at its "
        "validation-fitted threshold, bootstrap over test models paired across runs; semi_vs_sup_few = "
        "furniture_semi vs furniture_sup_few (3D labels on the calibrated share only), self_consistency_vs_none = "
        "furniture_semi vs furniture_semi_noproj",
        "nearest_neighbour": f"nearest of {n_reference} views of the training models ({REFERENCE_VIEWS} each) in "
        "this model's encoder feature; returns that model's grid",
    }
