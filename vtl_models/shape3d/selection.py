"""Choices made on validation views only: each run's occupancy threshold, which run the tab serves, the validation
readings of a run in progress, and the furniture runs' 3D-labelled share (calibrated on validation models)."""

from __future__ import annotations

import argparse
import logging

import numpy as np
import torch

from vtl_models.images import SIGNED, to_tensor
from vtl_models.shape3d.data import ViewBatch, cached_split
from vtl_models.shape3d.model import ShapeNet3D, azimuth_error

log = logging.getLogger("vtl.shape3d.train")
# the one rule: each run's best of these on validation views (never test). From 0.02: furniture grids (thin legs,
# lamp stems) are predicted with low confidence, and every furniture run's best was the old floor of 0.10
THRESHOLDS = np.round(np.concatenate([np.arange(0.02, 0.1, 0.02), np.arange(0.1, 0.65, 0.05)]), 2)
FITTED_RANGE = f"{THRESHOLDS[0]:.2f}-{THRESHOLDS[-1]:.2f}"
# semi_noproj: semi with projection weight 0 (the ablation); sup10 / sup_few: the 3D-labelled share alone (10% of
# the procedural shapes / the furniture share F of --labelled), at the same steps
POSE_TOLERANCE = 30.0  # as the eval: azimuth within this many degrees modulo the object's symmetry
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


def evaluate_val(model: ShapeNet3D, data: ViewBatch, limit: int = 300) -> tuple[float, float]:
    """(mean voxel IoU at the best of THRESHOLDS, azimuth accuracy within POSE_TOLERANCE) on the first `limit` views
    (validation only; a log of progress, the card's threshold is fitted by calibrate_threshold)."""
    model.eval()
    ious, errors = {t: [] for t in THRESHOLDS}, []
    width = 360.0 / model.config.azimuth_bins
    with torch.inference_mode():
        for start in range(0, min(limit, len(data.images)), 100):
            index = np.arange(start, min(start + 100, limit, len(data.images)))
            out = model(to_tensor(data.images[index], SIGNED))
            prob, true = torch.sigmoid(out["voxel_logits"]), torch.from_numpy(data.voxels[data.shape_index[index]])
            for t, kept in ious.items():
                pred = prob > t
                kept += ((pred & true).sum((1, 2, 3)) / (pred | true).sum((1, 2, 3)).clamp(min=1)).tolist()
            symmetry = torch.from_numpy(data.symmetry[data.shape_index[index]])
            error = azimuth_error(
                out["azimuth_logits"].argmax(1) * width, torch.from_numpy(data.azimuth[index]), symmetry
            )
            errors += error[symmetry > 0].tolist()
    model.train()
    return max(float(np.mean(v)) for v in ious.values()), float(np.mean(np.array(errors) <= POSE_TOLERANCE))


def labelled_share(args: argparse.Namespace) -> float:
    """--labelled, else 0.1 on procedural data, else the share the furniture calibration chose on validation."""
    if args.labelled is not None:
        return args.labelled
    if args.data != "furniture":
        return 0.1
    from vtl_models.shape3d.card import read_calibration

    chosen = (read_calibration() or {}).get("chosen_share")
    if chosen is None:
        raise SystemExit("no calibrated share: run python -m vtl_models.shape3d.calibrate first, or pass --labelled")
    return float(chosen)


def validation_views(data: str) -> ViewBatch:
    """The validation views of a world (--data): furniture's validation models, or 300 procedural shapes."""
    if data == "furniture":
        from vtl_models.shape3d.furniture_views import VAL_VIEWS, furniture_split

        return furniture_split("val", VAL_VIEWS)
    return cached_split("val", 300, 1)


def refit_thresholds(names: list[str]) -> dict[str, float]:
    """Fit again the occupancy threshold of each run in `names` on its own world's validation views (after a change of
    THRESHOLDS): `python -m vtl_models.shape3d.selection NAME [NAME ...]`."""
    from vtl_models.hub import read_card

    worlds = {name: read_card("shape3d", name).raw["training"].get("data", "procedural") for name in names}
    val = {world: validation_views(world) for world in set(worlds.values())}
    return {name: calibrate_threshold(name, val[world]) for name, world in worlds.items()}


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(refit_thresholds(sys.argv[1:]))
