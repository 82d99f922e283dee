"""Seconds per training step of SR-cGAN at a given size, measured on a few steps (for planning a training budget).

    python -m vtl_models.video.timing [--size 32] [--steps 6] [--threads 1] [--gan] [--v2]

One step = the recurrent stage's step of train.py (a batch of training videos, K samples, every reconstruction term,
backward, Adam), with train's defaults or, with --v2, issue 38's mode (open clips, the posterior code, the DIS-flow
copy source computed in the loader, the wider latent); with --gan, also the discriminators' step and the generator's
adversarial term, as the GAN stage. The first step is a warm-up and not counted. Both the wall time and the
process's CPU time per step are given: on a shared machine the wall time carries the other jobs' load, while CPU
time per step at 1 thread is close to what the step takes on a free core.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch


def seconds_per_step(size: int, steps: int, gan: bool = False, v2: bool = False) -> dict[str, float]:
    """Median wall and CPU seconds per training step over `steps` steps after one warm-up, batch and K as train's."""
    from vtl_models.video.batches import task_batch
    from vtl_models.video.losses import adversarial_step, completion_losses, generator_loss
    from vtl_models.video.model import FrameDiscriminator, SRcGAN, VideoDiscriminator
    from vtl_models.video.train import config_of, parse_args

    args = parse_args(["--size", str(size)] + (["--v2"] if v2 else []))
    rng = np.random.default_rng(0)
    cfg = config_of(args)
    model, frame_d, video_d = SRcGAN(cfg), FrameDiscriminator(cfg), VideoDiscriminator(cfg)
    opt = torch.optim.Adam(model.parameters(), args.lr)
    d_opt = torch.optim.Adam([*frame_d.parameters(), *video_d.parameters()], args.lr_d)
    wall, cpu = [], []
    for _ in range(steps + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        batch = task_batch(rng, args.batch, cfg, args.real_share, args.open_share)
        terms = completion_losses(model, batch, args.samples, args)
        loss = generator_loss(terms, args)
        if gan:
            samples = terms["out"]["video"]
            loss = loss + args.w_adv * adversarial_step(frame_d, video_d, d_opt, batch.video, batch.mask, samples)[1]
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
    parser.add_argument("--v2", action="store_true", help="time issue 38's mode (train video --v2)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = {f"{s}x{s}": seconds_per_step(s, args.steps, args.gan, args.v2) for s in args.size}
    print(json.dumps({"seconds_per_step": out, "gan": args.gan, "v2": args.v2, "threads": args.threads}))


if __name__ == "__main__":
    main()
