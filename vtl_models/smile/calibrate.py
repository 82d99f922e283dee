"""`python -m vtl_models.smile.calibrate`: the gap a domain-adaptation method could close, read on validation only.

Before CDRD trains on a cartoon world, two classifiers of the same architecture (the discriminator's classifier path:
low-level layer, shared layers, attribute head) are trained for the same steps and read on the labelled validation
cartoons (val split, disjoint seeds from train and test; test is read by eval alone):
- `source_only`: trained on labelled photos only, no cartoon seen: the claim's baseline; the gap needs it weak;
- `target_oracle`: trained on labelled training cartoons: an upper bound (labels CDRD never has), never served.
Writes vtl_models/smile/calibration.json (a record beside the code: weights/ holds cards only), which the CDRD run
on that world copies into its card as `calibration`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from vtl_models.images import SIGNED, to_tensor
from vtl_models.smile.baseline import train_classifier
from vtl_models.smile.data import CARTOONS, cached_split
from vtl_models.smile.model import CDRDConfig, Discriminator

PATH = Path(__file__).with_name("calibration.json")
BARS = {"source_only": ("<=", 0.70), "target_oracle": (">=", 0.95)}


@torch.no_grad()
def accuracy(net: Discriminator, images: np.ndarray, labels: np.ndarray) -> float:
    probability = torch.cat([net.smile_probability(to_tensor(b, SIGNED), 0) for b in np.array_split(images, 10)])
    return round(float(((probability > 0.5).numpy() == labels).mean()), 4)


def calibrate(cartoons: str, size: int, n_train: int, n_val: int, steps: int, seed: int) -> dict:
    torch.set_num_threads(2)
    start = time.time()
    cfg = CDRDConfig(size=size)
    photos = cached_split("photo", n_train, size, "train")
    train_cartoons = cached_split("cartoon", n_train, size, "train", cartoons=cartoons)
    val = {d: cached_split(d, n_val, size, "val", cartoons=cartoons) for d in ("photo", "cartoon")}
    nets = {}
    for name, faces in (("source_only", photos), ("target_oracle", train_cartoons)):
        torch.manual_seed(seed)
        nets[name] = train_classifier(faces["images"], faces["smile"], cfg, steps, seed).eval()
    read = {
        name: {f"val_{d}_attr_acc": accuracy(net, val[d]["images"], val[d]["smile"]) for d in val}
        for name, net in nets.items()
    }
    met = {
        name: (read[name]["val_cartoon_attr_acc"] <= bar) if op == "<=" else (read[name]["val_cartoon_attr_acc"] >= bar)
        for name, (op, bar) in BARS.items()
    }
    return {
        "command": f"python -m vtl_models.smile.calibrate --cartoons {cartoons} --size {size} --n-train {n_train} "
        f"--n-val {n_val} --steps {steps} --seed {seed}",
        "cartoons": cartoons,
        "split": f"val: {n_val} labelled faces per domain (seeds from 50,000,000); train: {n_train} per domain",
        "steps": steps,
        "batch": 32,
        **read,
        "bars": {name: f"val_cartoon_attr_acc {op} {bar}" for name, (op, bar) in BARS.items()},
        "met": met,
        "gap": round(read["target_oracle"]["val_cartoon_attr_acc"] - read["source_only"]["val_cartoon_attr_acc"], 4),
        "seconds": round(time.time() - start),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vtl_models.smile.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--cartoons", choices=CARTOONS, default="lorelei")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--n-train", type=int, default=20_000)
    parser.add_argument("--n-val", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    entry = calibrate(args.cartoons, args.size, args.n_train, args.n_val, args.steps, args.seed)
    PATH.write_text(json.dumps(entry, indent=1) + "\n")
    print(json.dumps(entry, indent=1))


if __name__ == "__main__":
    main()
