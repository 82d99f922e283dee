"""`python -m vtl_models train multilabel`: render scenes, cache frozen-backbone maps, train the three heads.

Writes weights/multilabel/default (Order-Free RNN), cnn_bce and cnn_rnn_fixed_order (the baselines), each with a card;
`--seed N` (N > 0) writes <name>_seedN instead: the further training seeds of the eval's claims.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from multiprocessing import get_context

import torch
from torch.nn import functional as F
from tqdm import tqdm

from vtl_models import backbones
from vtl_models.backbones import Backbone
from vtl_models.common import seed_everything
from vtl_models.hub import save_weights
from vtl_models.multilabel.data import BACKBONE_INPUT, INPUT, TRAIN_SEED, VAL_SEED, cached_split
from vtl_models.multilabel.decode import beam_search
from vtl_models.multilabel.metrics import multilabel_metrics
from vtl_models.multilabel.model import CNNBCE, MultilabelConfig, OrderFreeRNN
from vtl_models.multilabel.scenes import SIZE
from vtl_models.multilabel.vocab import LABELS, TRAINED_ON

log = logging.getLogger("vtl.multilabel.train")
BEAMS = (1, 3, 5)
BCE_THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
SELECTION_RULE = "max (CF1 + OF1) / 2 on validation; beams 1/3/5 (RNN heads), thresholds 0.3-0.6 (cnn_bce)"
DEVIATIONS = [
    "backbone: ImageNet EfficientNet-Lite0 (frozen) instead of the paper's ResNet; stride-16 and stride-32 maps fused "
    "into a 14x14 grid by a trainable 1x1 conv + depthwise 3x3 conv",
    "data: procedural scenes with 18 labels instead of NUS-WIDE / MS-COCO",
    "the feature-mapping layer's label probability vector initialises the LSTM state (with the mean grid feature) "
    "and is trained with its own BCE loss",
    "labels already emitted are masked out of the softmax, in training and decoding",
    "LSTM input per step: an embedding of the previously emitted label and the attention context",
    "attention is computed from the previous LSTM state (Show-Attend-Tell style); the label is read from the new "
    "state and the context",
    "ranking score for mAP: a label's highest probability over the decoded steps of the best beam",
    "the attention query also sees the embedding of the label emitted last (its state has not read that label yet)",
    "an auxiliary cross-entropy (training only) on a linear read-out of each step's attended context alone, against "
    "the label the step is trained to emit: ties each label's attention map to that label",
    "pointing_acc: the peak of the emitting step's attention (14x14, bilinearly upsampled) must lie within 8 px of the "
    "label mask (the pointing game's 15 px at 224, scaled to 128 px)",
]


@torch.inference_mode()
def predict_rnn(model: OrderFreeRNN, split: dict, beam: int = 1, batch: int = 256):
    """Decode a cached split -> (predicted multi-hot, scores)."""
    model.eval()
    preds, scores = [], []
    for i in range(0, len(split["labels"]), batch):
        out = beam_search(model, split["f16"][i : i + batch], split["f32"][i : i + batch], beam=beam)
        scored = torch.from_numpy(out.scores)
        hot = torch.zeros_like(scored)
        for row, ids in enumerate(out.order):
            hot[row, ids] = 1
        preds.append(hot)
        scores.append(scored)
    return torch.cat(preds), torch.cat(scores)


@torch.inference_mode()
def predict_bce(model: CNNBCE, split: dict, batch: int = 256):
    """Sigmoid per label at 0.5 -> (predicted multi-hot, scores)."""
    model.eval()
    probs = torch.cat(
        [
            torch.sigmoid(model(split["f16"][i : i + batch], split["f32"][i : i + batch])[0])
            for i in range(0, len(split["labels"]), batch)
        ]
    )
    return (probs > 0.5).float(), probs


def fit(model, train: dict, val: dict, args, order: torch.Tensor | None = None, name: str = "") -> dict:
    """Train one head on cached features with AdamW + cosine decay; returns its validation metrics."""
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    n, steps_per_epoch = len(train["labels"]), math.ceil(len(train["labels"]) / args.batch)
    total = args.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total, pct_start=0.1)
    bar = tqdm(total=total, desc=name, file=sys.stderr, mininterval=5)
    began = time.time()
    for epoch in range(args.epochs):
        if args.minutes and time.time() - began > 60 * args.minutes:
            log.info("%s: --minutes budget reached after %d epochs", name, epoch)
            break
        model.train()
        perm = torch.randperm(n)
        for i in range(0, n, args.batch):
            idx = perm[i : i + args.batch]
            f16, f32, y = train["f16"][idx], train["f32"][idx], train["labels"][idx]
            if isinstance(model, CNNBCE):
                loss = F.binary_cross_entropy_with_logits(model(f16, f32)[0], y)
            else:
                seq_loss, ctx_loss, p0_logits = model(f16, f32, y, order=order)
                loss = seq_loss + args.ctx_loss * ctx_loss + F.binary_cross_entropy_with_logits(p0_logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", epoch=epoch)
        if epoch % 5 == 4 or epoch == args.epochs - 1:
            pred, score = predict_bce(model, val) if isinstance(model, CNNBCE) else predict_rnn(model, val)
            log.info(
                "%s epoch %d val %s",
                name,
                epoch,
                multilabel_metrics(val["labels"].numpy(), pred.numpy(), score.numpy()),
            )
    bar.close()


def select_decoding(model, val: dict) -> tuple[dict, dict]:
    """Pick the decoding setting on the validation scenes (never the test ones), the same rule for every head:
    the best mean of CF1 and OF1 over beam widths (RNN heads) or sigmoid thresholds (cnn_bce).

    Returns (setting, validation metrics at that setting)."""
    truth = val["labels"].numpy()
    if isinstance(model, CNNBCE):
        probs = predict_bce(model, val)[1].numpy()
        runs = {("threshold", t): ((probs > t), probs) for t in BCE_THRESHOLDS}
    else:
        runs = {("beam", b): tuple(x.numpy() for x in predict_rnn(model, val, beam=b)) for b in BEAMS}
    scored = {key: multilabel_metrics(truth, pred, score) for key, (pred, score) in runs.items()}
    best = max(scored, key=lambda key: (scored[key]["CF1"] + scored[key]["OF1"], -key[1]))
    log.info("decoding on validation: %s -> %s", {k[1]: (v["CF1"], v["OF1"]) for k, v in scored.items()}, best)
    setting = {best[0]: best[1], "selected_on": f"validation scenes, seeds {VAL_SEED}+", "rule": SELECTION_RULE}
    return setting, scored[best]


def card(name: str, cfg: MultilabelConfig, args, seconds: float, steps: int, val: dict, extra: dict) -> dict:
    """The model card fields shared by the three heads."""
    return {
        "architecture": {"order_free_rnn": "OrderFreeRNN", "cnn_bce": "CNNBCE"}.get(name, "OrderFreeRNN"),
        "config": cfg.to_dict(),
        "input": {
            "scene_size": SIZE,
            "backbone_input": BACKBONE_INPUT,
            "normalisation": "(x/255 - 0.5) / 0.5, RGB, bilinear resize to backbone_input",
            **INPUT,
        },
        "labels": list(LABELS),
        "backbone": {"name": "EfficientNet-Lite0 (ImageNet-1k)", "state": "frozen", "licence": backbones.LICENCE},
        "licence": backbones.LICENCE,
        "training": {
            "command": "python -m vtl_models train multilabel " + " ".join(args.argv),
            "data_seed": TRAIN_SEED,
            "n_train": args.n_train,
            "n_val": args.n_val,
            "seconds": round(seconds, 1),
            "steps": steps,
            "epochs": args.epochs,
            "ctx_loss_weight": args.ctx_loss if name != "cnn_bce" else None,
            "val_metrics": val,
        },
        "trained_on": TRAINED_ON,
        **extra,
    }


def main(argv: list[str]) -> None:
    """Entry point of `python -m vtl_models train multilabel [--epochs N ...]`."""
    parser = argparse.ArgumentParser(prog="python -m vtl_models train multilabel")
    parser.add_argument("--n-train", type=int, default=6000)
    parser.add_argument("--n-val", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ctx-loss", type=float, default=1.0, help="weight of the RNN heads' attention-context loss")
    # Small recurrent steps: one thread is as fast as two on a shared 2-core machine, and spares the other core.
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads for the heads")
    parser.add_argument("--only", choices=("default", "cnn_bce", "cnn_rnn_fixed_order"), action="append")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for the heads (1 or 2)")
    parser.add_argument("--minutes", type=float, default=None, help="stop each head's training after this long")
    parser.add_argument("--dry-run", action="store_true", help="train but write no weights")
    args = parser.parse_args(argv)
    args.argv = argv
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    torch.set_num_threads(2)  # the backbone pass (skipped when the feature cache exists)
    seed_everything(args.seed)
    start = time.time()
    backbone = Backbone()
    cached_split("val", VAL_SEED, args.n_val, backbone, load=False)
    cached_split("train", TRAIN_SEED, args.n_train, backbone, load=False)
    del backbone
    log.info("features ready in %.0f s", time.time() - start)
    groups = [g for g in (["default"], ["cnn_rnn_fixed_order", "cnn_bce"]) if not args.only or set(g) & set(args.only)]
    if args.jobs > 1 and len(groups) > 1:
        # Two processes of one thread each use both cores better than one process of two (small recurrent steps).
        with get_context("spawn").Pool(len(groups)) as pool:
            pool.starmap(train_heads, [(g, args, start) for g in groups])
    else:
        for group in groups:
            train_heads(group, args, start)
    log.info("all heads trained in %.0f s", time.time() - start)


def train_heads(names: list[str], args: argparse.Namespace, start: float) -> None:
    """Train and save the heads `names` on the cached features (run in a worker process when --jobs 2)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    torch.set_num_threads(args.threads)
    val = cached_split("val", VAL_SEED, args.n_val)
    train = cached_split("train", TRAIN_SEED, args.n_train)
    cfg = MultilabelConfig(num_labels=len(LABELS))
    # The CNN-RNN baseline's fixed order: most frequent label first, as in the paper's comparison.
    order = torch.argsort(train["labels"].mean(0), descending=True, stable=True)
    heads = {
        "default": (OrderFreeRNN, None, "Order-Free RNN with visual attention (order-free targets, beam search)"),
        "cnn_bce": (CNNBCE, None, "baseline: one sigmoid per label on the pooled grid; CAM for pointing"),
        "cnn_rnn_fixed_order": (OrderFreeRNN, order, "baseline: same attention LSTM, labels in frequency order"),
    }
    for name in names:
        if args.only and name not in args.only:
            continue
        build, fixed, what = heads[name]
        seed_everything(args.seed)
        model = build(cfg)
        t0 = time.time()
        fit(model, train, val, args, order=fixed, name=name)
        decoding, val_metrics = select_decoding(model, val)
        log.info("%s done in %.0f s: val %s", name, time.time() - t0, val_metrics)
        extra = {
            "description": what,
            "decoding": decoding,
            "deviations_from_paper": DEVIATIONS if name == "default" else [],
        }
        if fixed is not None:
            extra["label_order"] = [LABELS[i] for i in fixed.tolist()]
        if not args.dry_run:
            steps = args.epochs * math.ceil(args.n_train / args.batch)
            saved = name if args.seed == 0 else f"{name}_seed{args.seed}"  # further seeds: the claims' spread
            meta = card(name, cfg, args, time.time() - start, steps, val_metrics, extra)
            path = save_weights("multilabel", saved, model.state_dict(), meta, half=True)
            log.info("wrote %s", path)
