"""Train the image-to-3D model: supervised, semi-supervised (2D-3D self-consistency) and supervised on 10% alone.

    python -m vtl_models train shape3d --mode all --minutes 15,12,11

`--mode all` runs the three trainings one after the other and writes weights/shape3d/{default,semi,sup10}.*.
"""

from __future__ import annotations

import argparse
import logging
import math
import time

import numpy as np
import torch
from torch.nn import functional as F

from vtl_models.backbones import LICENCE
from vtl_models.common import seed_everything
from vtl_models.hub import load_weights, resumed_stages, save_weights, stage_fields
from vtl_models.images import SIGNED, to_tensor
from vtl_models.shape3d.data import CAMERA_DISTANCE, CAMERA_FOV, IMAGE_SIZE, ViewBatch, cached_split
from vtl_models.shape3d.model import ShapeNet3D, ShapeNetConfig, azimuth_targets, project_voxels
from vtl_models.shape3d.shapes import CATEGORIES

log = logging.getLogger("vtl.shape3d.train")
WEIGHT_NAMES = {"supervised": "default", "semi": "semi", "sup10": "sup10"}
PROJECTION_SIZE = 32


def labelled_shapes(n_shapes: int, fraction: float = 0.1) -> np.ndarray:
    """Boolean mask of the shapes whose 3D grid a semi/sup10 run may see: the same `fraction` of every category."""
    within_category = np.arange(n_shapes) // len(CATEGORIES)  # shape i is category i % 6
    return within_category % round(1 / fraction) == 0


def mirror_symmetric(voxels: np.ndarray, tolerance: float = 0.02) -> np.ndarray:
    """(S,) bool: grids that equal their own x-mirror (up to `tolerance` of the occupied voxels).

    Only these may be flipped for augmentation: the flipped view of a mug (handle on +x) or a desk lamp (arm leaning
    to +x) shows an object that is not in the canonical frame, and its image is the same as the unflipped object's
    from another azimuth, so flipping them teaches two different grids and poses for one image.
    """
    return np.array([(v != v[:, :, ::-1]).sum() <= tolerance * max(v.sum(), 1) for v in voxels])


def make_batch(
    data: ViewBatch, index: np.ndarray, rng: np.random.Generator, mirrorable: np.ndarray | None = None
) -> dict[str, torch.Tensor]:
    """Tensors for a batch of views; views of mirror-symmetric shapes are randomly mirrored left-right.

    Mirroring maps x -> -x, so azimuth -> -azimuth. `mirrorable` is `mirror_symmetric(data.voxels)` (None: all).
    """
    images, masks = data.images[index].copy(), data.masks[index].copy()
    shapes = data.shape_index[index]
    voxels = data.voxels[shapes].copy()
    azimuth = data.azimuth[index].copy()
    flip = rng.random(len(index)) < 0.5
    if mirrorable is not None:
        flip &= mirrorable[shapes]
    images[flip], masks[flip] = images[flip, :, ::-1], masks[flip, :, ::-1]
    voxels[flip] = voxels[flip, :, :, ::-1]  # grids are [z, y, x]
    azimuth[flip] = (360.0 - azimuth[flip]) % 360.0
    mask = torch.from_numpy(masks).float() / 255.0
    return {
        "images": to_tensor(images, SIGNED),
        "masks": mask,
        "masks_small": F.adaptive_avg_pool2d(mask[:, None], PROJECTION_SIZE)[:, 0],
        "voxels": torch.from_numpy(voxels).float(),
        "azimuth": torch.from_numpy(azimuth).float(),
        "elevation": torch.from_numpy(data.elevation[index]).float(),
        "symmetry": torch.from_numpy(data.symmetry[shapes]),
    }


def losses(model: ShapeNet3D, batch: dict, has_3d: torch.Tensor) -> dict[str, torch.Tensor]:
    """All loss terms; the voxel term only where `has_3d`, the 2D-3D consistency term everywhere."""
    out = model(batch["images"])
    cfg = model.config
    terms = {}
    if has_3d.any():
        logits, target = out["voxel_logits"][has_3d], batch["voxels"][has_3d]
        prob = torch.sigmoid(logits)
        soft_iou = (prob * target).sum((1, 2, 3)) / (prob + target - prob * target).sum((1, 2, 3)).clamp(min=1)
        terms["voxel"] = (
            F.binary_cross_entropy_with_logits(logits, target, pos_weight=torch.tensor(2.0)) + (1 - soft_iou).mean()
        )
    terms["mask"] = F.binary_cross_entropy_with_logits(out["mask_logits"], batch["masks"])
    # 2D-3D self-consistency: the grid seen from the view's pose must cover exactly the silhouette.
    projection = project_voxels(
        torch.sigmoid(out["voxel_logits"]),
        batch["azimuth"],
        batch["elevation"],
        CAMERA_DISTANCE,
        CAMERA_FOV,
        PROJECTION_SIZE,
    )
    terms["projection"] = F.binary_cross_entropy(projection.clamp(1e-5, 1 - 1e-5), batch["masks_small"])
    target = azimuth_targets(batch["azimuth"], batch["symmetry"], cfg.azimuth_bins)
    has_azimuth = target.sum(1) > 0
    log_prob = F.log_softmax(out["azimuth_logits"], dim=1)
    terms["azimuth"] = -(target * log_prob).sum(1)[has_azimuth].mean() if has_azimuth.any() else log_prob.sum() * 0
    terms["elevation"] = F.smooth_l1_loss(out["elevation"], batch["elevation"], beta=2.0) / 10.0
    return terms


def evaluate_iou(model: ShapeNet3D, data: ViewBatch, limit: int = 300) -> float:
    """Mean voxel IoU at 0.5 on the first `limit` views (validation only)."""
    model.eval()
    ious = []
    with torch.inference_mode():
        for start in range(0, min(limit, len(data.images)), 100):
            index = np.arange(start, min(start + 100, limit, len(data.images)))
            pred = torch.sigmoid(model(to_tensor(data.images[index], SIGNED))["voxel_logits"]) > 0.5
            true = torch.from_numpy(data.voxels[data.shape_index[index]])
            ious += ((pred & true).sum((1, 2, 3)) / (pred | true).sum((1, 2, 3)).clamp(min=1)).tolist()
    model.train()
    return float(np.mean(ious))


def train_one(mode: str, data: ViewBatch, val: ViewBatch, args: argparse.Namespace, minutes: float) -> dict:
    """One training run within `minutes`; returns the model card."""
    seed_everything(args.seed)
    rng = np.random.default_rng(args.seed)
    model = ShapeNet3D(ShapeNetConfig(encoder=args.encoder))
    earlier: list[dict] = []
    kept: dict = {}  # card fields written by hand-run measurements, carried over to the resumed card
    if args.resume:  # warm start from the committed weights of this run: a second cosine cycle on top of the first
        state, old_card = load_weights("shape3d", WEIGHT_NAMES[mode])
        model.load_state_dict(state)
        earlier = resumed_stages(old_card)
        kept = {k: old_card.raw[k] for k in ("encoder_measurement", "data_seeds") if k in old_card.raw}
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    labelled = labelled_shapes(len(data.voxels)) if mode != "supervised" else np.ones(len(data.voxels), bool)
    view_labelled = labelled[data.shape_index]
    mirrorable = mirror_symmetric(data.voxels)
    log.info("%d of %d shapes are mirror-symmetric (flip augmentation)", mirrorable.sum(), len(mirrorable))
    pool_3d, pool_2d = np.flatnonzero(view_labelled), np.flatnonzero(~view_labelled)
    start, step, budget = time.time(), 0, minutes * 60
    history = []
    while (elapsed := time.time() - start) < budget:
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * elapsed / budget))  # cosine over the time budget
        for group in optimiser.param_groups:
            group["lr"] = lr
        if mode == "semi":  # half of each batch has 3D labels, half only masks
            half = args.batch // 2
            index = np.concatenate([rng.choice(pool_3d, half), rng.choice(pool_2d, args.batch - half)])
        else:
            index = rng.choice(pool_3d, args.batch)
        batch = make_batch(data, index, rng, mirrorable)
        terms = losses(model, batch, torch.from_numpy(view_labelled[index]))
        total = sum(args.weights.get(k, 1.0) * v for k, v in terms.items())
        optimiser.zero_grad(set_to_none=True)
        total.backward()
        optimiser.step()
        step += 1
        if step % 50 == 0:
            log.info(
                "%s step %d %.0fs lr %.2e %s",
                mode,
                step,
                elapsed,
                lr,
                " ".join(f"{k}={v.item():.3f}" for k, v in terms.items()),
            )
        if step % 300 == 0:
            history.append((step, round(elapsed), evaluate_iou(model, val)))
            log.info("%s step %d val IoU %.3f", mode, step, history[-1][2])
    val_iou = evaluate_iou(model, val)
    log.info("%s done: %d steps in %.0fs, val IoU %.3f", mode, step, time.time() - start, val_iou)
    n_labelled = int(labelled.sum())
    # every option that shapes the weights, defaults included: the card's command reruns this stage as it ran
    command = (
        f"python -m vtl_models train shape3d --mode {mode} --minutes {minutes:g} --shapes {args.shapes} "
        f"--views {args.views} --encoder {args.encoder} --batch {args.batch} --lr {args.lr:g} --seed {args.seed}"
        + (" --resume" if args.resume else "")
    )
    card = {
        "config": model.config.to_dict(),
        "input": {"size": IMAGE_SIZE, **SIGNED},
        "labels": list(CATEGORIES),
        "camera": {"distance": CAMERA_DISTANCE, "fov": CAMERA_FOV, "elevation_range": [0, 40]},
        "training": {
            **stage_fields(earlier, command, time.time() - start, step),
            "mode": mode,
            "data_seed": "train split seeds 0..",
            "n_shapes": len(data.voxels),
            "views_per_shape": int(len(data.images) // len(data.voxels)),
            "shapes_with_3d": n_labelled,
            "seconds": round(time.time() - start),
            "steps": step,
            "batch": args.batch,
            "lr": args.lr,
            "loss_weights": args.weights,
            "val_iou_history": history,
            "final_val_iou": val_iou,
        },
        "licence": LICENCE if args.encoder == "lite0" else "no pretrained parts (encoder trained from scratch)",
        "trained_on": f"{len(data.voxels)} procedural objects ({', '.join(CATEGORIES)}), "
        f"rendered at 128 px (downsampled to {IMAGE_SIZE}) from azimuth 0-360, elevation 0-40",
        "deviations_from_paper": [
            "procedural objects in 6 categories instead of ShapeNet; 32^3 grids, 64 px inputs, minutes of CPU training",
            "the projection uses the rendering pose during training (pose labels are known for every render);"
            " the pose head is trained alongside and used at inference",
            "azimuth as 24 classification bins with symmetry-aware soft targets; elevation regressed",
            "semi-supervised batches are half 3D-labelled, half mask-only",
            "left-right flip augmentation only for mirror-symmetric shapes (not mugs or desk lamps)",
            "occupancy threshold fitted per model on 300 validation views (see threshold_val_iou)",
        ],
        **kept,
    }
    save_weights("shape3d", WEIGHT_NAMES[mode], model.state_dict(), card, half=True)
    calibrate_threshold(WEIGHT_NAMES[mode], val)
    return card


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
    scores = {round(t, 2): float(voxel_iou(probs > t, true).mean()) for t in np.arange(0.2, 0.65, 0.05)}
    best = max(scores, key=scores.get)
    update_card("shape3d", name, threshold=best, threshold_val_iou={str(k): round(v, 4) for k, v in scores.items()})
    log.info("%s: threshold %.2f (val IoU %.3f)", name, best, scores[best])
    return best


def main(argv: list[str] | None = None) -> None:
    """CLI entry: `python -m vtl_models train shape3d [--mode ...] [--minutes ...]`."""
    parser = argparse.ArgumentParser(prog="python -m vtl_models train shape3d")
    parser.add_argument("--mode", default="all", choices=("all", "supervised", "semi", "sup10"))
    parser.add_argument("--minutes", default="15,12,11", help="budget per run (one value, or three for --mode all)")
    parser.add_argument("--shapes", type=int, default=8000)
    parser.add_argument("--views", type=int, default=2)
    parser.add_argument("--encoder", default="cnn", choices=("cnn", "lite0"))
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--resume", action="store_true", help="continue from the weights this run would write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    args.weights = {"voxel": 1.0, "mask": 0.5, "projection": 1.0, "azimuth": 0.5, "elevation": 0.5}
    args.minutes_arg = args.minutes
    modes = ["supervised", "semi", "sup10"] if args.mode == "all" else [args.mode]
    budgets = [float(m) for m in args.minutes.split(",")]
    budgets = budgets if len(budgets) == len(modes) else budgets[:1] * len(modes)
    data = cached_split("train", args.shapes, args.views)
    val = cached_split("val", 300, 1)
    for mode, minutes in zip(modes, budgets, strict=True):
        train_one(mode, data, val, args, minutes)
