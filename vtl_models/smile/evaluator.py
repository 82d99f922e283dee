"""The independent evaluator: a CNN trained on ground-truth factors of BOTH domains, used only to measure outputs.

It never takes part in CDRD training. Its penultimate features are the space of the realism tests (1-NN, FID).
Train once: `python -m vtl_models.smile.evaluator` writes weights/smile/evaluator.safetensors + card.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vtl_models.images import SIGNED
from vtl_models.smile.artwork import LICENCE
from vtl_models.smile.data import CARTOONS, FACTOR_CLASSES, cached_split, to_float

log = logging.getLogger("vtl.smile.evaluator")
HEADS = ("smile", "skin", "hair_colour", "eyes", "glasses", "hair_style")
FEATURES = 128
# the factors each cartoon painter draws: Lorelei faces take skin, hair colour, glasses and the smile from the factors
# and choose their own eyes and hair style, so those heads learn from photos alone there
DRAWN = {"procedural": HEADS, "lorelei": ("smile", "skin", "hair_colour", "glasses")}


def name_of(cartoons: str) -> str:
    return "evaluator" if cartoons == "procedural" else f"evaluator_{cartoons}"


class Evaluator(nn.Module):
    """Image (B, 3, S, S) in [-1, 1] -> penultimate features (B, 128) and one logit vector per factor."""

    def __init__(self, width: int = 32, stem_stride: int = 1):
        super().__init__()

        def block(cin: int, cout: int, stride: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True))

        w = width
        self.body = nn.Sequential(
            block(3, w, stem_stride), block(w, 2 * w, 2), block(2 * w, 2 * w, 1), block(2 * w, 4 * w, 2),
            block(4 * w, 8 * w, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(8 * w, FEATURES), nn.ReLU(True),
        )  # fmt: skip
        self.heads = nn.ModuleDict({k: nn.Linear(FEATURES, FACTOR_CLASSES[k]) for k in HEADS})

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        h = self.body(x)
        return h, {k: head(h) for k, head in self.heads.items()}


@torch.no_grad()
def predict(model: Evaluator, images: torch.Tensor, batch: int = 500) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Features (N, 128) and predicted class per factor for float images (N, 3, S, S)."""
    model.eval()
    feats, preds = [], {k: [] for k in HEADS}
    for i in range(0, len(images), batch):
        h, logits = model(images[i : i + batch])
        feats.append(h.numpy())
        for k in HEADS:
            preds[k].append(logits[k].argmax(1).numpy())
    return np.concatenate(feats), {k: np.concatenate(v) for k, v in preds.items()}


def load_evaluator(cartoons: str = "procedural") -> Evaluator:
    """The committed evaluator of the world with `cartoons` (weights/smile/evaluator[_<cartoons>])."""
    from vtl_models.hub import load_model

    return load_model(
        "smile", name_of(cartoons), lambda card: Evaluator(card.config["width"], card.config.get("stem_stride", 1))
    )[0]


def main(argv: list[str] | None = None) -> None:
    """Train the evaluator on the validation split of both domains (disjoint from CDRD's training faces)."""
    parser = argparse.ArgumentParser(prog="python -m vtl_models.smile.evaluator")
    parser.add_argument("--n", type=int, default=16_000, help="faces per domain")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cartoons", choices=CARTOONS, default="procedural")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    start = time.time()
    parts = [cached_split(d, args.n, args.size, "val", cartoons=args.cartoons) for d in ("photo", "cartoon")]
    x = torch.from_numpy(np.concatenate([p["images"] for p in parts]))
    y = {k: torch.from_numpy(np.concatenate([p[k] for p in parts])) for k in HEADS}
    drawn = {k: torch.from_numpy(np.r_[np.ones(args.n), np.full(args.n, k in DRAWN[args.cartoons])]) for k in HEADS}
    # 64-px faces enter through a stride-2 first layer: the rest of the network sees the 32-px maps it was sized
    # for, at the 32-px cost (a full-resolution first stage made each step ~5x slower on the 2-core machine)
    stem_stride = max(1, args.size // 32)
    model = Evaluator(args.width, stem_stride)
    opt = torch.optim.Adam(model.parameters(), 2e-3)
    steps = args.epochs * len(x) // 128
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
    gen = torch.Generator().manual_seed(0)
    model.train()
    for step in range(steps):
        idx = torch.randint(0, len(x), (128,), generator=gen)
        batch = torch.from_numpy(to_float(x[idx].numpy()))
        # light augmentation so the verdicts hold on slightly off generated images
        batch = batch + 0.05 * torch.randn_like(batch)
        batch = torch.roll(batch, shifts=tuple(torch.randint(-1, 2, (2,), generator=gen).tolist()), dims=(2, 3))
        _, logits = model(batch)
        loss = sum((F.cross_entropy(logits[k], y[k][idx], reduction="none") * drawn[k][idx]).mean() for k in HEADS)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 200 == 0:
            log.info("step %d/%d loss %.3f %.0fs", step, steps, loss.item(), time.time() - start)
    accuracy = {}
    for domain in ("photo", "cartoon"):
        test = cached_split(domain, 2000, args.size, "test", cartoons=args.cartoons)
        _, preds = predict(model, torch.from_numpy(to_float(test["images"])))
        heads = HEADS if domain == "photo" else DRAWN[args.cartoons]
        accuracy[domain] = {k: round(float((preds[k] == test[k]).mean()), 4) for k in heads}
    log.info("evaluator test accuracy %s", accuracy)
    from vtl_models.hub import save_weights

    card = {
        "config": {
            "width": args.width,
            "stem_stride": stem_stride,
            "heads": {k: FACTOR_CLASSES[k] for k in HEADS},
            "features": FEATURES,
        },
        "cartoons": args.cartoons,
        "heads_trained_on_cartoons": list(DRAWN[args.cartoons]),
        "input": {"size": args.size, **SIGNED},
        "labels": list(HEADS),
        "training": {
            "command": "python -m vtl_models.smile.evaluator " + " ".join(argv or []),
            "data_seed": "val split (seed base 50,000,000) of both domains, ground-truth factors",
            "seconds": round(time.time() - start),
            "steps": steps,
        },
        "test_accuracy_on_real_faces": accuracy,
        "licence": "no pretrained parts" + ("" if args.cartoons == "procedural" else f"; cartoons: {LICENCE}"),
        "trained_on": f"procedural photos and {args.cartoons} cartoon faces with their ground-truth factors, "
        f"{args.size} px; a measuring tool only",
    }
    save_weights("smile", name_of(args.cartoons), model.state_dict(), card)


if __name__ == "__main__":
    main(sys.argv[1:])
