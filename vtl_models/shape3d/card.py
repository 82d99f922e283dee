"""The model card of an image-to-3D training run (what train.py writes beside the weights).

Moved out of train.py unchanged for procedural runs; furniture runs also carry `training.data`, the 3D-labelled
share and who has pose labels (declared: only the 3D-labelled models), and the validation `calibration`
(vtl_models/shape3d/calibration.json, written by `python -m vtl_models.shape3d.calibrate`).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from vtl_models.backbones import LICENCE
from vtl_models.hub import stage_fields
from vtl_models.images import SIGNED
from vtl_models.shape3d.data import CAMERA_DISTANCE, CAMERA_FOV, IMAGE_SIZE
from vtl_models.shape3d.model import TOP_POSES
from vtl_models.shape3d.selection import FITTED_RANGE
from vtl_models.shape3d.shapes import CATEGORIES

# the models, their creators and licences (CC0 / CC-BY: attribution travels with the weights) are listed there
FURNITURE_SOURCE = "the train models of vtl_models/shape3d/furniture_split.json (Debian sweethome3d-furniture)"
DEVIATIONS = [
    "procedural objects in 6 categories instead of ShapeNet; 32^3 grids, 64 px inputs, minutes of CPU training",
    "the self-consistency projection uses the predicted pose: the expected mask loss over the 3 most probable"
    " azimuth bins (softmax renormalised over them, each at its bin centre) and the regressed elevation, instead of"
    " the paper's pose sampling; mask-only views carry no pose or voxel loss",
    "azimuth as 24 classification bins with symmetry-aware soft targets; elevation regressed",
    "semi-supervised batches are half 3D-labelled, half mask-only (10% of the shapes have 3D and pose labels)",
    "left-right flip augmentation only for 3D-labelled mirror-symmetric shapes (not mugs or desk lamps)",
    f"occupancy threshold: one rule for every run, the best of {FITTED_RANGE} on the validation views"
    " (threshold_val_iou)",
]
FURNITURE_DEVIATIONS = [
    "161 human-made furniture models (Debian sweethome3d-furniture, split by model 111/25/25) instead of ShapeNet;"
    " 32^3 grids, 64 px inputs, minutes of CPU training",
    *DEVIATIONS[1:3],
    "semi-supervised batches are half 3D-labelled, half mask-only; the 3D-labelled share F was chosen on"
    " validation models before the claim (card's calibration); pose labels only on the same 3D-labelled models",
    "the projected grid is compared with an any-coverage mask at 32 px (1 where the object touches the pixel), not"
    " the covered share: 32^3 grids of thin furniture parts are wider than their silhouettes",
    *DEVIATIONS[4:],
]
CROSS_VIEW_DEVIATION = (
    "--cross-view: mask-only training images come as two views of one model (which two pictures show the same object"
    " is known, their poses are not), and the loop also projects one view's grid under the other's predicted pose;"
    " the paper's semi-supervised setting pairs each image with its own mask only"
)


def read_calibration() -> dict | None:
    """vtl_models/shape3d/calibration.json (the validation record of the few-label regime), None if not yet run."""
    from vtl_models.shape3d.calibrate import PATH

    return json.loads(PATH.read_text()) if PATH.exists() else None


def build_card(
    model_config: dict,
    args: argparse.Namespace,
    mode: str,
    minutes: float,
    seconds: float,
    step: int,
    n_views: int,
    labelled: np.ndarray,
    posed: np.ndarray,
    weights: dict,
    history: list,
    val: tuple[float, float],
    earlier: list[dict],
    kept: dict,
) -> dict:
    """The card of one run: every option that shapes the weights, defaults included, so its command reruns it."""
    furniture = args.data == "furniture"
    budget_option = f"--steps {args.steps}" if args.steps else f"--minutes {minutes:g}"
    data_option = f"--data furniture --labelled {args.labelled:g}" if furniture else f"--shapes {args.shapes}"
    command = (
        f"python -m vtl_models train shape3d --mode {mode} {budget_option} {data_option} "
        f"--views {args.views} --encoder {args.encoder} --batch {args.batch} --lr {args.lr:g} --seed {args.seed}"
        + (f" --cross-view {args.cross_view:g}" if args.cross_view and mode == "semi" else "")
        + (" --resume" if args.resume else "")
    )
    training = {
        **stage_fields(earlier, command, seconds, step),
        "mode": mode,
        "seed": args.seed,
        "data": args.data,
        "data_seed": FURNITURE_SOURCE if furniture else "train split seeds 0..",
        "n_shapes": len(labelled),
        "views_per_shape": int(n_views // len(labelled)),
        "shapes_with_3d": int(labelled.sum()),
        "seconds": round(seconds),
        "steps": step,
        "batch": args.batch,
        "lr": args.lr,
        "loss_weights": weights,
        "top_poses": TOP_POSES,
        "val_history": {"columns": ["step", "seconds", "val_iou_best_threshold", "val_pose_acc"], "rows": history},
        "final_val_iou": round(val[0], 4),
        "final_val_pose_acc": round(val[1], 4),
    }
    card = {
        "config": model_config,
        "input": {"size": IMAGE_SIZE, **SIGNED},
        "labels": list(CATEGORIES),
        "camera": {"distance": CAMERA_DISTANCE, "fov": CAMERA_FOV, "elevation_range": [0, 40]},
        "training": training,
        "licence": LICENCE if args.encoder == "lite0" else "no pretrained parts (encoder trained from scratch)",
        "trained_on": f"{len(labelled)} {'furniture models' if furniture else 'procedural objects'}"
        f" ({', '.join(CATEGORIES)}), rendered at 128 px (downsampled to {IMAGE_SIZE})"
        " from azimuth 0-360, elevation 0-40",
        "deviations_from_paper": FURNITURE_DEVIATIONS if furniture else DEVIATIONS,
        **kept,
    }
    if furniture:
        training["labelled_share"] = args.labelled
        training["projection_target"] = "any coverage (train.projection_target)"
        training["shapes_with_pose"] = int(posed.sum())
        training["pose_labels"] = (
            "declared: azimuth and elevation labels only on the 3D-labelled training models"
            if mode != "supervised"
            else "every training model (full supervision)"
        )
        card["calibration"] = read_calibration()
    if "cross_view" in weights:
        card["deviations_from_paper"] = [*card["deviations_from_paper"], CROSS_VIEW_DEVIATION]
        training["cross_view"] = (
            "the mask-only half of each batch is drawn as pairs of views of one model; each view's grid is projected "
            "under the pose predicted from the other view against the other's silhouette (loss_weights.cross_view)"
        )
    return card
