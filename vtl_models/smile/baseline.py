"""The source-only baseline at CDRD's budget: `python -m vtl_models train smile --source-only --steps 40679 --seed N`.

D's classifier path (D_S, the shared layers and the attribute head) trained on the labelled photos alone, with the
same training cache (40,000 photos), batch, optimiser and number of steps as the default CDRD run, so that the
cdrd_vs_source_only claim compares the adaptation and not the training budget. No cartoon is ever read. Written as
weights/smile/source_only_seed<N> (fp16); the eval reads them as baselines.source_only.
"""

from __future__ import annotations

import logging
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from vtl_models.common import seed_everything
from vtl_models.hub import load_model, save_weights
from vtl_models.images import SIGNED, to_tensor
from vtl_models.smile.data import cached_split
from vtl_models.smile.model import CDRDConfig, Discriminator

log = logging.getLogger("vtl.smile.baseline")


def name_of(seed: int, cartoons: str = "procedural") -> str:
    """The baseline's weights name; a world other than the procedural one has its own (its size and data differ)."""
    return f"source_only_seed{seed}" if cartoons == "procedural" else f"source_only_{cartoons}_seed{seed}"


def load_source_only(seed: int, cartoons: str = "procedural") -> Discriminator:
    """The committed source-only baseline of training seed `seed` (weights/smile/source_only[_<world>]_seed<N>)."""
    return load_model("smile", name_of(seed, cartoons), lambda card: Discriminator(CDRDConfig(**card.config)))[0]


def train_classifier(
    images: np.ndarray, labels: np.ndarray, cfg: CDRDConfig, steps: int, seed: int, batch: int = 32, lr: float = 2e-4
) -> Discriminator:
    """D's classifier path (low-level layer 0, shared layers, attribute head) trained on (images, labels): the
    source-only baseline on photos, and the calibration's oracle on labelled cartoons (smile/calibrate.py)."""
    net = Discriminator(cfg)
    opt = torch.optim.Adam(net.parameters(), lr, betas=(0.5, 0.999))
    y = torch.from_numpy(labels).long()
    rng = np.random.default_rng(seed)
    for step in tqdm(range(steps), file=sys.stderr, mininterval=30):
        i = rng.integers(0, len(images), batch)
        loss = F.cross_entropy(net(to_tensor(images[i], SIGNED), 0)[1], y[i])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 2000 == 0:
            log.info("step %d loss %.4f", step, loss.item())
    return net


def train_source_only(args, argv: list[str]) -> None:
    """Train and write weights/smile/source_only_seed<N>; `args` are train.py's (steps, batch, lr, n_train, seed)."""
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    cfg = CDRDConfig(size=args.size, width=args.width, shared_stages=args.shared_stages)
    photos = cached_split("photo", args.n_train, args.size, "train")
    steps = args.steps  # the default CDRD run's 40,679 (both its stages: weights/smile/default.json)
    start = time.time()
    net = train_classifier(photos["images"], photos["smile"], cfg, steps, args.seed, args.batch, args.lr)
    card = {
        "config": cfg.to_dict(),
        "input": {"size": cfg.size, **SIGNED, "domains": ["photo", "cartoon"]},
        "labels": ["no_smile", "smile"],
        "training": {
            "command": "python -m vtl_models train smile " + " ".join(argv),
            "what": "source-only baseline: D's classifier path on labelled photos only, CDRD's data and steps",
            "data_seed": "train split (seed base 0), photos only",
            "seconds": round(time.time() - start),
            "steps": steps,
            "batch": args.batch,
            "n_train_per_domain": args.n_train,
            "lr": args.lr,
            "seed": args.seed,
        },
        "licence": "no pretrained parts; trained here on procedural data (vtl_models/smile/data.py)",
        "trained_on": f"procedural shaded 'photo' faces with smile labels, {cfg.size}x{cfg.size}; no cartoons",
        "paired_world": args.cartoons,
    }
    path = save_weights("smile", name_of(args.seed, args.cartoons), net.state_dict(), card, half=True)
    log.info("saved %s after %d steps, %.0f s", path, steps, time.time() - start)
