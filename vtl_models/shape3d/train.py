"""Train the image-to-3D model: semi-supervised (2D-3D self-consistency), its ablations, and fully supervised.

    python -m vtl_models train shape3d --mode all --steps 700
    python -m vtl_models train shape3d --select-default

`--mode all` runs semi, semi_noproj and sup10 one after the other at the same step budget and writes
weights/shape3d/<mode>.*; `--seed N` (N > 0) writes <mode>_seedN instead (further seeds for the eval's claims).
`--select-default` makes the run with the best validation IoU (never test) the default: weights/shape3d/default.json
points at its weight file.

`--pose-labels F --no-save` measures how much pose supervision the loop needs: only a share F of the 3D-labelled
shapes keeps its pose labels (0: the pose is learned through the projection alone); it logs validation figures only.

Self-consistency (the paper's loop): the voxel grid projected under the *predicted* pose must cover the silhouette.
On mask-only views nothing else about 3D or pose is known, so they carry no voxel, azimuth or elevation loss.
`--cross-view` (semi only) draws the mask-only half of a batch as pairs of views of one model and adds the loop across
the pair: the grid predicted from one view, projected under the pose predicted from the other, must cover the other's
silhouette (a single silhouette says nothing about depth; two views of one object do).
"""

from __future__ import annotations

import argparse
import logging
import math
import time

import numpy as np
import torch
from torch.nn import functional as F

from vtl_models.common import seed_everything
from vtl_models.hub import load_weights, resumed_stages, save_weights
from vtl_models.images import SIGNED, to_tensor
from vtl_models.shape3d.card import build_card
from vtl_models.shape3d.data import CAMERA_DISTANCE, CAMERA_FOV, ViewBatch, cached_split
from vtl_models.shape3d.model import (
    ShapeNet3D,
    ShapeNetConfig,
    azimuth_targets,
    predicted_pose_projection_loss,
)
from vtl_models.shape3d.selection import (
    MODES,
    calibrate_threshold,
    evaluate_val,
    labelled_share,
    select_default,
    validation_views,
)

log = logging.getLogger("vtl.shape3d.train")
FURNITURE_PREFIX = "furniture_"  # furniture runs are weights/shape3d/furniture_<mode>[_seedN]
PROJECTION_SIZE = 32


def rank_in_category(category: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
    """Each shape's position among the shapes of its category (only those in `among`, if given), in index order."""
    among = np.ones(len(category), bool) if among is None else among
    rank = np.zeros(len(category), np.int64)
    for c in np.unique(category):
        members = (category == c) & among
        rank[members] = np.arange(members.sum())
    return rank


def labelled_shapes(category: np.ndarray, fraction: float = 0.1) -> np.ndarray:
    """Boolean mask of the shapes whose 3D grid a semi/sup10 run may see: every round(1/fraction)-th shape of each
    category (procedural shape i is category i % 6; the furniture split lists its models category by category)."""
    return rank_in_category(category) % round(1 / fraction) == 0


def pose_labelled_shapes(labelled: np.ndarray, category: np.ndarray, fraction: float) -> np.ndarray:
    """The 3D-labelled shapes whose views keep their pose labels: the first `fraction` of them in every category
    (`--pose-labels`, 1.0 for every run but the pose-label budget measurement; the rest learn pose only through the
    self-consistency projection)."""
    rank = rank_in_category(category, labelled)
    budget = {c: round(fraction * (labelled & (category == c)).sum()) for c in np.unique(category)}
    return labelled & (rank < np.array([budget[c] for c in category], np.int64))


def mirror_symmetric(voxels: np.ndarray, tolerance: float = 0.02) -> np.ndarray:
    """(S,) bool: grids that equal their own x-mirror (up to `tolerance` of the occupied voxels).

    Only these may be flipped for augmentation: the flipped view of a mug (handle on +x) or a desk lamp (arm leaning
    to +x) shows an object that is not in the canonical frame, and its image is the same as the unflipped object's
    from another azimuth, so flipping them teaches two different grids and poses for one image.
    """
    return np.array([(v != v[:, :, ::-1]).sum() <= tolerance * max(v.sum(), 1) for v in voxels])


def projection_target(mask: torch.Tensor, kind: str = "soft") -> torch.Tensor:
    """(B, 64, 64) silhouettes in [0, 1] -> the (B, 32, 32) mask the projected grid is compared with.

    soft: the share of each pixel the object covers (procedural runs). any: 1 where the object touches the pixel at
    all (furniture runs): a 32^3 grid holds every voxel the surface touches, so its projection is wider than the
    silhouette by up to a voxel, and thin legs fill whole voxels while covering a fraction of a pixel. On the 25
    validation models x 12 views, the *true* grid projected under the *true* pose matches the soft target's
    half-covered pixels at IoU 0.697 (lamps 0.503; 29% of its projected pixels are outside), the any-coverage target
    at 0.919 (BCE at the true grid 0.038 against 0.217): with it, the loss's optimum is near the labelled grid.
    """
    if kind == "any":
        return (F.adaptive_max_pool2d(mask[:, None], PROJECTION_SIZE)[:, 0] > 0).float()
    return F.adaptive_avg_pool2d(mask[:, None], PROJECTION_SIZE)[:, 0]


def views_by_shape(shape_index: np.ndarray, allowed: np.ndarray) -> dict[int, list[int]]:
    """The view indices of each `allowed` shape (built once a run: the pairs are drawn from it every step)."""
    views_of: dict[int, list[int]] = {}
    for view, shape in enumerate(shape_index):
        if allowed[shape]:
            views_of.setdefault(int(shape), []).append(view)
    return views_of


def view_pairs(views_of: dict[int, list[int]], n: int, rng: np.random.Generator) -> np.ndarray:
    """(2n,) view indices [a1, b1, a2, b2, ...]: n models drawn from `views_of` (views_by_shape), two different views
    each."""
    shapes = rng.choice(sorted(views_of), n)
    return np.concatenate([rng.choice(views_of[s], 2, replace=False) for s in shapes]).astype(np.int64)


def make_batch(
    data: ViewBatch,
    index: np.ndarray,
    rng: np.random.Generator,
    mirrorable: np.ndarray | None = None,
    target: str = "soft",
) -> dict[str, torch.Tensor]:
    """Tensors for a batch of views; views of mirror-symmetric shapes are randomly mirrored left-right.

    Mirroring maps x -> -x, so azimuth -> -azimuth. `mirrorable` is `mirror_symmetric(data.voxels)` (None: all);
    `target` the projection's mask (projection_target).
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
        "masks_small": projection_target(mask, target),
        "voxels": torch.from_numpy(voxels).float(),
        "azimuth": torch.from_numpy(azimuth).float(),
        "elevation": torch.from_numpy(data.elevation[index]).float(),
        "symmetry": torch.from_numpy(data.symmetry[shapes]),
    }


def losses(
    model: ShapeNet3D,
    batch: dict,
    has_3d: torch.Tensor,
    project: bool = True,
    has_pose: torch.Tensor | None = None,
    pairs: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """All loss terms. The voxel term only where `has_3d`, azimuth and elevation terms only where `has_pose` (by
    default the same views: 3D + pose labels); the mask term and the self-consistency term (grid projected under the
    predicted pose) on every view. `project` False skips the projection (its weight is 0: the semi_noproj ablation).
    `pairs` (P, 2) batch rows that are two views of one model: the cross-view term projects each one's grid under
    the other's predicted pose against the other's silhouette."""
    has_pose = has_3d if has_pose is None else has_pose
    out = model(batch["images"])
    cfg = model.config
    terms = {}
    zero = out["voxel_logits"].sum() * 0
    if has_3d.any():
        logits, target = out["voxel_logits"][has_3d], batch["voxels"][has_3d]
        prob = torch.sigmoid(logits)
        soft_iou = (prob * target).sum((1, 2, 3)) / (prob + target - prob * target).sum((1, 2, 3)).clamp(min=1)
        terms["voxel"] = (
            F.binary_cross_entropy_with_logits(logits, target, pos_weight=torch.tensor(2.0)) + (1 - soft_iou).mean()
        )
    terms["mask"] = F.binary_cross_entropy_with_logits(out["mask_logits"], batch["masks"])
    if project:
        per_view = predicted_pose_projection_loss(
            torch.sigmoid(out["voxel_logits"]),
            out["azimuth_logits"],
            out["elevation"],
            batch["masks_small"],
            CAMERA_DISTANCE,
            CAMERA_FOV,
        )
        terms["projection"] = per_view.mean()
        if pairs is not None and len(pairs):
            source, other = torch.cat([pairs, pairs.flip(1)]).unbind(1)
            terms["cross_view"] = predicted_pose_projection_loss(
                torch.sigmoid(out["voxel_logits"][source]),
                out["azimuth_logits"][other],
                out["elevation"][other],
                batch["masks_small"][other],
                CAMERA_DISTANCE,
                CAMERA_FOV,
            ).mean()
    target = azimuth_targets(batch["azimuth"], batch["symmetry"], cfg.azimuth_bins)
    has_azimuth = (target.sum(1) > 0) & has_pose  # mask-only views have no pose label
    log_prob = F.log_softmax(out["azimuth_logits"], dim=1)
    terms["azimuth"] = -(target * log_prob).sum(1)[has_azimuth].mean() if has_azimuth.any() else zero
    terms["elevation"] = (
        F.smooth_l1_loss(out["elevation"][has_pose], batch["elevation"][has_pose], beta=2.0) / 10.0
        if has_pose.any()
        else zero
    )
    return terms


def weight_name(mode: str, seed: int, data: str = "procedural") -> str:
    """weights/shape3d/<name>: the mode for seed 0, <mode>_seedN for further seeds; furniture_<...> on furniture."""
    name = mode if seed == 0 else f"{mode}_seed{seed}"
    return FURNITURE_PREFIX + name if data == "furniture" else name


def train_one(mode: str, data: ViewBatch, val: ViewBatch, args: argparse.Namespace, minutes: float) -> dict:
    """One training run of `args.steps` steps (or within `minutes` when no step budget); returns the model card."""
    seed_everything(args.seed)
    rng = np.random.default_rng(args.seed)
    name = weight_name(mode, args.seed, args.data)
    model = ShapeNet3D(ShapeNetConfig(encoder=args.encoder))
    earlier: list[dict] = []
    kept: dict = {}  # card fields written by hand-run measurements, carried over to the resumed card
    if args.resume:  # warm start from the committed weights of this run: a second cosine cycle on top of the first
        state, old_card = load_weights("shape3d", name)
        model.load_state_dict(state)
        earlier = resumed_stages(old_card)
        kept = {k: old_card.raw[k] for k in ("encoder_measurement", "data_seeds") if k in old_card.raw}
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    full = mode == "supervised"
    labelled = np.ones(len(data.voxels), bool) if full else labelled_shapes(data.category, args.labelled)
    log.info("%s: %d of %d training shapes are 3D-labelled", name, labelled.sum(), len(labelled))
    view_labelled = labelled[data.shape_index]
    posed = pose_labelled_shapes(labelled, data.category, args.pose_labels)
    view_posed = posed[data.shape_index]
    # mirroring needs the 3D grid to know whether it is allowed: only views of 3D-labelled shapes are flipped
    mirrorable = mirror_symmetric(data.voxels) & labelled
    log.info("%d of %d shapes are 3D-labelled and mirror-symmetric (flipped)", mirrorable.sum(), len(mirrorable))
    pool_3d, pool_2d = np.flatnonzero(view_labelled), np.flatnonzero(~view_labelled)
    weights = dict(args.weights, projection=0.0) if mode == "semi_noproj" else args.weights
    cross_view = args.cross_view and mode == "semi"
    if cross_view:
        weights = dict(weights, cross_view=args.cross_view)
        mask_only_views = views_by_shape(data.shape_index, ~labelled)
    start, step, budget = time.time(), 0, minutes * 60
    history = []

    def progress() -> float:  # fraction of the budget used: steps when given (equal-step runs), else time
        return step / args.steps if args.steps else (time.time() - start) / budget

    while progress() < 1:
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * progress()))  # cosine over the budget
        for group in optimiser.param_groups:
            group["lr"] = lr
        pairs = None
        if mode in ("semi", "semi_noproj"):  # half of each batch has 3D labels, half only masks
            half = args.batch // 2
            if cross_view:
                unlabelled = view_pairs(mask_only_views, (args.batch - half) // 2, rng)
                pairs = torch.arange(half, half + unlabelled.size).view(-1, 2)
                index = np.concatenate([rng.choice(pool_3d, args.batch - unlabelled.size), unlabelled])
            else:
                index = np.concatenate([rng.choice(pool_3d, half), rng.choice(pool_2d, args.batch - half)])
        else:
            index = rng.choice(pool_3d, args.batch)
        batch = make_batch(data, index, rng, mirrorable, args.projection_target)
        has_3d, has_pose = torch.from_numpy(view_labelled[index]), torch.from_numpy(view_posed[index])
        terms = losses(model, batch, has_3d, project=weights["projection"] > 0, has_pose=has_pose, pairs=pairs)
        total = sum(weights.get(k, 1.0) * v for k, v in terms.items())
        optimiser.zero_grad(set_to_none=True)
        total.backward()
        optimiser.step()
        step += 1
        if step % 50 == 0:
            log.info(
                "%s step %d %.0fs lr %.2e %s",
                name,
                step,
                time.time() - start,
                lr,
                " ".join(f"{k}={v.item():.3f}" for k, v in terms.items()),
            )
        if step % args.eval_every == 0:
            history.append((step, round(time.time() - start), *(round(v, 4) for v in evaluate_val(model, val))))
            log.info("%s step %d val IoU %.3f val pose acc %.3f", name, step, *history[-1][2:])
    val_iou, val_pose = evaluate_val(model, val)
    seconds = time.time() - start
    log.info("%s done: %d steps in %.0fs, val IoU %.3f, val pose acc %.3f", name, step, seconds, val_iou, val_pose)
    if args.no_save:  # a measurement only (pose-label budget, calibration): validation figures, no weights
        figures = {"val_iou": round(val_iou, 4), "val_pose_acc": round(val_pose, 4), "steps": step}
        return {**figures, "seconds": round(seconds), "shapes_with_3d": int(labelled.sum())}
    card = build_card(
        model.config.to_dict(),
        args,
        mode,
        minutes,
        seconds,
        step,
        len(data.images),
        labelled,
        posed,
        weights,
        history,
        (val_iou, val_pose),
        earlier,
        kept,
    )
    save_weights("shape3d", name, model.state_dict(), card, half=True)
    calibrate_threshold(name, val)
    return card


def training_data(args: argparse.Namespace) -> tuple[ViewBatch, ViewBatch]:
    """(training views, validation views) of --data: furniture's train/val models, or the procedural seeds."""
    if args.data == "furniture":
        from vtl_models.shape3d.furniture_views import furniture_split

        return furniture_split("train", args.views), validation_views(args.data)
    return cached_split("train", args.shapes, args.views), validation_views(args.data)


def main(argv: list[str] | None = None) -> None:
    """CLI entry: `python -m vtl_models train shape3d [--mode ...] [--steps N | --minutes M] [--select-default]`."""
    parser = argparse.ArgumentParser(prog="python -m vtl_models train shape3d")
    parser.add_argument(
        "--mode", default="all", choices=("all", *MODES), help="all: semi, semi_noproj, sup10 (sup_few on furniture)"
    )
    parser.add_argument("--steps", type=int, default=0, help="step budget per run (equal-step comparisons)")
    parser.add_argument("--minutes", default="12", help="time budget per run when --steps is not given")
    parser.add_argument("--shapes", type=int, default=8000, help="procedural objects (--data procedural)")
    parser.add_argument(
        "--data", default="procedural", choices=("procedural", "furniture"), help="furniture: --views per model"
    )
    parser.add_argument("--views", type=int, default=2)
    parser.add_argument("--encoder", default="cnn", choices=("cnn", "lite0"))
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0, help="N > 0 writes <mode>_seedN")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-every", type=int, default=150, help="validation IoU and pose accuracy every N steps")
    parser.add_argument("--resume", action="store_true", help="continue from the weights this run would write")
    parser.add_argument("--select-default", action="store_true", help="only copy the best-on-validation run")
    parser.add_argument(
        "--pose-labels", type=float, default=1.0, help="share of the 3D-labelled shapes that keep pose labels"
    )
    parser.add_argument("--no-save", action="store_true", help="log the validation figures, write no weights")
    parser.add_argument(
        "--cross-view", type=float, default=0.0, help="semi: weight of the loop across two views of a mask-only model"
    )
    parser.add_argument(
        "--labelled", type=float, help="3D-labelled share (default 0.1; furniture: calibration.json's chosen share)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.select_default:
        select_default(tuple(weight_name(mode, 0, args.data) for mode in MODES))
        return
    torch.set_num_threads(args.threads)
    args.weights = {"voxel": 1.0, "mask": 0.5, "projection": 1.0, "azimuth": 0.5, "elevation": 0.5}
    few = "sup_few" if args.data == "furniture" else "sup10"
    modes = ["semi", "semi_noproj", few] if args.mode == "all" else [args.mode]
    args.labelled = labelled_share(args)
    args.projection_target = "any" if args.data == "furniture" else "soft"
    budgets = [float(m) for m in args.minutes.split(",")]
    budgets = budgets if len(budgets) == len(modes) else budgets[:1] * len(modes)
    data, val = training_data(args)
    for mode, minutes in zip(modes, budgets, strict=True):
        train_one(mode, data, val, args, minutes)
