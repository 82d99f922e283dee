"""`python -m vtl_models train reid [--method arn|mmd_only|source_only|target_oracle] [--minutes M]`.

Trains on cached trunk maps (features.py): ARN sees labelled source crops and unlabelled target crops; the
source_only baseline sees source labels alone; mmd_only (a DAN-style ablation) adds only MMD between the domains'
shared features to source_only: no private encoders, decoder or difference loss; target_oracle (reported, not a
bar) sees the target's train labels.
The checkpoint kept is the best rank-1 on the target's validation identities.
"""

from __future__ import annotations

import argparse
import copy
import logging
import shlex
import sys
import time

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from vtl_models.backbones import LICENCE, MEAN, STD
from vtl_models.common import seed_everything
from vtl_models.hub import save_weights
from vtl_models.reid.data import HEIGHT, SPLITS, WIDTH
from vtl_models.reid.features import GENERATOR_VERSION, load_split
from vtl_models.reid.metrics import retrieval_metrics
from vtl_models.reid.model import (
    ARN,
    ARNConfig,
    Trunk,
    contrastive_loss,
    difference_loss,
    mmd_loss,
    reconstruction_loss,
)

log = logging.getLogger("vtl.reid.train")
TRAINED_ON = (
    "procedural pedestrians: 600 labelled identities from a 4-camera outdoor street network (source) and 400 "
    "unlabelled identities from a 4-camera indoor network with warm/green light, muted clothes and half resolution "
    "(target A); the ImageNet EfficientNet-Lite0 trunk"
)

DEVIATIONS = [
    "Trunk: ImageNet EfficientNet-Lite0 (not ResNet-50); its stem..stage 5 is frozen and its stride-16 maps are "
    "cached once per crop; the encoders (shared E_c: two 3x3 conv layers; private: 3x3 + 1x1) train from scratch "
    "on them (fine-tuning the ImageNet stages 6-7 as E_c cost 9x more per step on 2 shared CPU cores).",
    "The decoder reconstructs the frozen trunk's 112x8x4 map of each crop (L1), not the pixels.",
    "Crops are 128x64 (the paper: 256x128); target A is rendered at half resolution and upsampled.",
    "Contrastive loss on all pairs of a PK source batch (16 identities x 4 crops), margin 0.7 on L2-normalised "
    "features; label-smoothed cross-entropy.",
    "Data: procedural pedestrians (street source, indoor target A), no Market-1501/DukeMTMC (not available offline).",
    "The checkpoint is chosen by rank-1 + mAP on target A's 100 validation identities (labels used only for that).",
    "ARN's shared-encoder batch-norm statistics are re-estimated on unlabelled target crops after training (each "
    "domain's batch is normalised on its own in training; the running averages mix both).",
]

UNIT_MMD = (
    "MMD compares the L2-normalised shared features (where retrieval's cosine distance compares them), not the raw "
    "ones (--mmd-space unit; the validation probes that chose it are in the training note)."
)


def pk_batch(ids: np.ndarray, rng: np.random.Generator, p: int, k: int) -> np.ndarray:
    """Indices of p identities x k crops each (crops may repeat when an identity has fewer than k)."""
    unique = np.unique(ids)
    chosen = rng.choice(unique, size=min(p, len(unique)), replace=False)
    out = [rng.choice(np.flatnonzero(ids == i), size=k, replace=(ids == i).sum() < k) for i in chosen]
    return np.concatenate(out)


def augment(maps: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Mirror half the maps left-right (a mirrored person is the same person) and drop 10% of positions."""
    flip = torch.rand(len(maps), generator=gen) < 0.5
    maps = torch.where(flip[:, None, None, None], maps.flip(-1), maps)
    keep = (torch.rand(maps.shape[0], 1, *maps.shape[2:], generator=gen) > 0.1).float()
    return maps * keep


@torch.inference_mode()
def embed_all(model: ARN, maps: torch.Tensor, batch: int = 512) -> np.ndarray:
    """Shared features e_c of cached maps."""
    model.eval()
    out = np.concatenate([model.embed(maps[i : i + batch]).numpy() for i in range(0, len(maps), batch)])
    model.train()
    return out


def with_target_statistics(model: ARN, target_maps: torch.Tensor, batch: int = 64) -> ARN:
    """A copy of the model whose shared-encoder batch norms hold target statistics alone.

    ARN passes each domain's batch through E_c separately, so in training E_c always normalises with one domain's
    statistics; the running averages mix both. Re-estimating them on unlabelled target crops makes inference match
    training (no labels, no gradient)."""
    adapted = copy.deepcopy(model)
    norms = [m for m in adapted.shared_encoder.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over all target batches
    adapted.train()
    with torch.no_grad():
        for start in range(0, len(target_maps), batch):
            adapted.shared_encoder(target_maps[start : start + batch])
    return adapted.eval()


def train(args: argparse.Namespace) -> tuple[ARN, dict]:
    seed_everything(args.seed)
    trunk = Trunk()
    source, target = load_split("source", "train", trunk), load_split("target", "train", trunk)
    val = load_split("target", "val", trunk)
    labelled = target if args.method == "target_oracle" else source
    source_maps = source["maps"]
    label_ids = labelled["rows"][:, 0]
    classes = np.unique(label_ids)
    labels = torch.from_numpy(np.searchsorted(classes, label_ids))
    cfg = ARNConfig(n_source_ids=len(classes))
    model = ARN(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    rng, gen = np.random.default_rng(args.seed), torch.Generator().manual_seed(args.seed)
    adapt = args.method in ("arn", "mmd_only")
    structure = args.method == "arn"  # private encoders, decoder, difference loss
    w = {"ce": 1.0, "ctrs": 1.0, "rec": args.w_rec, "diff": args.w_diff, "mmd": args.w_mmd}
    best, best_state, history, start, step = -1.0, None, [], time.time(), 0
    deadline = start + 60 * args.minutes
    bar = tqdm(total=args.steps, desc=f"reid {args.method}", mininterval=5)
    while step < args.steps and time.time() < deadline:
        idx = pk_batch(label_ids, rng, args.p, args.k)
        xs, ys = augment(labelled["maps"][idx], gen), labels[idx]
        out_s = model(xs, "source")
        loss = {"ce": torch.nn.functional.cross_entropy(out_s["logits"], ys, label_smoothing=0.1)}
        loss["ctrs"] = contrastive_loss(out_s["shared"], ys)
        if adapt:
            xt = augment(target["maps"][rng.choice(len(target["maps"]), size=len(idx), replace=False)], gen)
            out_t = model(xt, "target") if structure else {"shared": model.shared_encoder(xt).mean((2, 3))}
            if structure:
                loss["rec"] = reconstruction_loss(out_s["reconstruction"], xs) + reconstruction_loss(
                    out_t["reconstruction"], xt
                )
                loss["diff"] = difference_loss(out_s["shared"], out_s["private"]) + difference_loss(
                    out_t["shared"], out_t["private"]
                )
            # A PK batch (16 people x 4 crops) is clumpier than a random target batch of 64 people: a gap MMD can
            # only close by tearing the source clusters apart. --mmd-batch random gives MMD another, random batch.
            shared_s = out_s["shared"]
            if args.mmd_batch == "random":
                shared_s = model.shared_encoder(augment(source_maps[rng.choice(len(source_maps), len(idx))], gen))
                shared_s = shared_s.mean((2, 3))
            shared_t = out_t["shared"]
            if args.mmd_space == "unit":  # align where retrieval compares: the L2-normalised features
                shared_s, shared_t = F.normalize(shared_s, dim=1), F.normalize(shared_t, dim=1)
            loss["mmd"] = mmd_loss(shared_s, shared_t)
        total = sum(w[k] * v for k, v in loss.items())
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        step += 1
        bar.update(1)
        if step % args.eval_every == 0 or step == args.steps:
            scored = with_target_statistics(model, target["maps"]) if adapt and args.target_bn else model
            m = retrieval_metrics(embed_all(scored, val["maps"]), val["rows"][:, 0], val["rows"][:, 1])
            entry = {"step": step, "val_rank1": m["rank1"], "val_mAP": m["mAP"]}
            entry.update({k: round(float(v), 4) for k, v in loss.items()})
            history.append(entry)
            log.info("%s", entry)
            bar.set_postfix(val_r1=m["rank1"], val_mAP=m["mAP"])
            score = m["rank1"] + m["mAP"]
            if score > best:
                best, best_state = score, {k: v.detach().clone() for k, v in scored.state_dict().items()}
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    info = {
        "steps": step,
        "seconds": round(time.time() - start),
        "history": history,
        "best_val": history and max(history, key=lambda h: h["val_rank1"] + h["val_mAP"]),
    }
    return model, {"cfg": cfg, **info, "weights": w}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vtl_models train reid")
    parser.add_argument("--method", choices=("arn", "mmd_only", "source_only", "target_oracle"), default="arn")
    parser.add_argument("--name", default=None, help="card name (default: 'default' for arn, else the method)")
    parser.add_argument("--minutes", type=float, default=11.0)
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--p", type=int, default=16, help="identities per source batch")
    parser.add_argument("--k", type=int, default=4, help="crops per identity")
    parser.add_argument("--w-rec", type=float, default=0.1)
    parser.add_argument("--w-diff", type=float, default=0.1)
    parser.add_argument("--w-mmd", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--mmd-batch", choices=("pk", "random"), default="pk", help="source batch MMD sees: the PK batch or another"
    )
    parser.add_argument("--mmd-space", choices=("raw", "unit"), default="raw", help="MMD on raw or L2-normalised e_c")
    parser.add_argument(
        "--target-bn", type=int, default=1, help="arn, mmd_only: shared batch norms re-estimated on target"
    )
    parser.add_argument("--no-save", action="store_true", help="measure only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(1)  # small layers: a second thread gains little and stalls when other jobs share the CPU
    model, info = train(args)
    print({"steps": info["steps"], "seconds": info["seconds"], "best_val": info["best_val"]}, flush=True)
    if args.no_save:
        return
    name = args.name or ("default" if args.method == "arn" else args.method)
    state = model.state_dict()
    if args.method != "arn":  # baselines keep what retrieval uses
        state = {k: v for k, v in state.items() if k.startswith("shared_encoder.")}
    card = {
        "method": args.method,
        "config": info["cfg"].to_dict(),
        "input": {
            "size": [HEIGHT, WIDTH],
            "mean": list(MEAN),
            "std": list(STD),
            "trunk": "EfficientNet-Lite0 stem..stage 5, frozen",
        },
        "training": {
            "command": "python -m vtl_models train reid " + shlex.join(argv if argv is not None else sys.argv[1:]),
            "seconds": info["seconds"],
            "steps": info["steps"],
            "loss_weights": info["weights"],
            "data": {
                "generator_version": GENERATOR_VERSION,
                "identities": {f"{d}/{s}": [r.start, r.stop] for (d, s), r in SPLITS.items()},
            },
            "best_val": info["best_val"],
            "history": info["history"][-10:],
        },
        "trained_on": TRAINED_ON,
        "deviations_from_paper": DEVIATIONS + ([UNIT_MMD] if args.mmd_space == "unit" else []),
        "licence": {"trunk and shared-encoder initialisation": LICENCE},
    }
    path = save_weights("reid", name, state, card, half=True)
    print(f"wrote {path}")
    if name == "default":  # else the tab's first search would embed the whole gallery first (~7 s on 2 cores)
        from vtl_models.reid.gallery import ship_features

        ship_features()
