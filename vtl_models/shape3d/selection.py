"""Choices made on validation views only: each run's occupancy threshold, and which run the tab serves."""

from __future__ import annotations

import logging

import numpy as np

from vtl_models.shape3d.data import ViewBatch, cached_split

log = logging.getLogger("vtl.shape3d.train")
THRESHOLDS = np.arange(0.1, 0.65, 0.05)  # the one rule: each run's best of these on validation views (never test)
# semi_noproj: semi with projection weight 0 (the ablation); sup10 / sup_few: the 3D-labelled share alone (10% of
# the procedural shapes / the furniture share F of --labelled), at the same steps
MODES = ("semi", "semi_noproj", "sup10", "sup_few", "supervised")


def calibrate_threshold(name: str, val: ViewBatch | None = None) -> float:
    """Pick the occupancy threshold with the best mean IoU on the validation split and store it in the card.

    Runs differ in how confident their grids are (mask-only batches make the semi-supervised model's
    probabilities softer), so each model's threshold is fitted on validation views, never on test views.
    """
    from vtl_models.hub import update_card
    from vtl_models.shape3d.evaluate import predict, voxel_iou
    from vtl_models.shape3d.predictor import load_model

    val = val if val is not None else cached_split("val", 300, 1)
    model, card = load_model(name)
    probs = predict(model, card.raw["input"], val.images)["voxels"]
    true = val.voxels[val.shape_index]
    scores = {round(t, 2): float(voxel_iou(probs > t, true).mean()) for t in THRESHOLDS}
    best = max(scores, key=scores.get)
    update_card("shape3d", name, threshold=best, threshold_val_iou={str(k): round(v, 4) for k, v in scores.items()})
    log.info("%s: threshold %.2f (val IoU %.3f)", name, best, scores[best])
    return best


def select_default(candidates: tuple[str, ...] = MODES) -> str:
    """Make the run with the best validation IoU (at its validation-fitted threshold) weights/shape3d/default: its
    card points at that run's weight file.

    Only seed-0 runs compete; the test split plays no part. Returns the chosen run's name."""
    from vtl_models.hub import has_card, read_card, share_weights

    scores = {
        name: max(read_card("shape3d", name).raw["threshold_val_iou"].values())
        for name in candidates
        if has_card("shape3d", name)
    }
    if not scores:
        raise SystemExit("no shape3d run to select from: train one first")
    chosen = max(scores, key=scores.get)
    source = read_card("shape3d", chosen).raw
    keep = ("task", "name", "file", "sha256", "size_bytes", "dtype", "saved_at", "hub")
    card = {k: v for k, v in source.items() if k not in keep and k != "eval"}
    card["selected"] = {
        "from": chosen,
        "rule": "the run with the best mean IoU on 300 validation views at its own validation-fitted threshold",
        "val_iou": {k: round(v, 4) for k, v in scores.items()},
    }
    share_weights("shape3d", "default", chosen, card)
    log.info("default <- %s (val IoU %s)", chosen, card["selected"]["val_iou"])
    return chosen
