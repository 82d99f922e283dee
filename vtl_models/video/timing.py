"""Seconds per training step of SR-cGAN at a given size, measured on a few steps (for planning a training budget).

    python -m vtl_models.video.timing [--size 32] [--steps 6] [--threads 1]

One step = the recurrent stage's step of train.py (a batch of training videos, K samples, every reconstruction term,
backward, Adam); with --gan, also the discriminators' step and the generator's adversarial term, as the GAN stage.
The first step is a warm-up and not counted. Both the wall time and the process's CPU time per step are given: on a
shared machine the wall time carries the other jobs' load, while CPU time per step at 1 thread is close to what the
step takes on a free core.
"""

from __future__ import annotations

import argparse
import json
import time
from types import SimpleNamespace

import numpy as np
import torch


def seconds_per_step(size: int, steps: int, batch: int = 12, samples: int = 2, gan: bool = False) -> dict[str, float]:
    """Median wall and CPU seconds per training step over `steps` steps after one warm-up."""
    from vtl_models.video.model import FrameDiscriminator, SRcGAN, VideoConfig, VideoDiscriminator
    from vtl_models.video.train import adversarial_step, completion_losses, task_batch

    rng = np.random.default_rng(0)
    cfg = VideoConfig(size=size)
    model, frame_d, video_d = SRcGAN(cfg), FrameDiscriminator(cfg), VideoDiscriminator(cfg)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    d_opt = torch.optim.Adam([*frame_d.parameters(), *video_d.parameters()], 2e-4)
    args = SimpleNamespace(beta=1e-3, w_mean=0.1)
    wall, cpu = [], []
    for _ in range(steps + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        video, mask = task_batch(rng, batch, size, 0.2)
        terms = completion_losses(model, video, mask, samples, args)
        loss = terms["variety"] + terms["mean"] + terms["anchor"] + terms["vae"] + terms["decoded"] + terms["copy"]
        if gan:
            loss = loss + 0.01 * adversarial_step(frame_d, video_d, d_opt, video, mask, terms["out"]["video"])[1]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"wall": round(float(np.median(wall[1:])), 3), "cpu": round(float(np.median(cpu[1:])), 3)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vtl_models.video.timing", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, nargs="+", default=[32])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--gan", action="store_true", help="time the GAN stage's step (discriminators too)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = {f"{s}x{s}": seconds_per_step(s, args.steps, gan=args.gan) for s in args.size}
    print(json.dumps({"seconds_per_step": out, "gan": args.gan, "threads": args.threads, "batch": 12, "samples": 2}))


if __name__ == "__main__":
    main()
