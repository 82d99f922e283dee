"""Training batches: a random anchor task and its videos, with every ground truth a video has.

Shape Motion and a share of real vtest.avi clips have one truth. In issue 38's mode a share of the batch (in the
interpolation and prediction settings, where vtl_models.video.futures can draw them) are open clips: two
ground-truth futures that share the anchors, both targets of the K samples. Where the model's copy source is the
DIS-flow interpolation of the anchors, it is computed here, in the loader (OpenCV, metrics.flow_interpolation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vtl_models.video.data import SPLIT_OFFSET, TASKS, random_real_clips, random_task, shape_motion
from vtl_models.video.futures import FUTURES, open_futures
from vtl_models.video.metrics import flow_interpolation, to_input
from vtl_models.video.model import VideoConfig

TRAIN_SEEDS = SPLIT_OFFSET["val"]  # training seeds are drawn from 0 .. this - 1


@dataclass
class Batch:
    """A training batch; F = futures.FUTURES truths per video (a single-truth video's truth repeated)."""

    video: torch.Tensor  # (B, T, 3, H, W) in [-1, 1]: each video's first truth (every truth has its anchors)
    mask: torch.Tensor  # (B, T): 1 at the anchor steps
    truths: torch.Tensor  # (B, F, T, 3, H, W)
    open: torch.Tensor  # (B,) bool: an open clip, whose truths differ between or after the anchors
    interpolated: torch.Tensor | None = None  # (B, T, 3, H, W): the copy source when it is "dis_flow"

    @classmethod
    def of(cls, video: torch.Tensor, mask: torch.Tensor) -> Batch:
        """Single-truth videos (B, T, 3, H, W) with their anchor mask (B, T), blend copy source."""
        truths = video[:, None].expand(-1, FUTURES, *video.shape[1:])
        return cls(video, mask, truths, torch.zeros(len(video), dtype=torch.bool))


def training_clips(rng: np.random.Generator, n: int, length: int, size: int, real_share: float) -> np.ndarray:
    """`n` random training clips, uint8 (n, T, H, W, 3); `real_share` of them (binomially) are vtest.avi clips."""
    n_real = int(rng.binomial(n, real_share))
    seeds = rng.integers(0, TRAIN_SEEDS, n - n_real)
    videos = [np.stack([shape_motion(int(s), size, length) for s in seeds])] if n > n_real else []
    real = random_real_clips(rng, n_real, size, length) if n_real else None
    if real is not None:
        videos.append(real)
    return np.concatenate(videos)


def training_videos(rng: np.random.Generator, n: int, length: int, size: int, real_share: float) -> torch.Tensor:
    """`training_clips` as model input: float (n, T, 3, H, W) in [-1, 1]."""
    return to_input(training_clips(rng, n, length, size, real_share))


def task_batch(
    rng: np.random.Generator, batch: int, cfg: VideoConfig, real_share: float, open_share: float = 0.0
) -> Batch:
    """A random task (random_task) and a batch of `batch` training videos for it; in the interpolation and
    prediction settings round(open_share * batch) of them are open clips (train seeds, both futures as truths), in
    place of Shape Motion clips (the expected number of real clips stays real_share * batch)."""
    anchor_steps, length = random_task(rng)
    setting = next((name for name, task in TASKS.items() if task == (anchor_steps, length)), None)
    n_open = round(open_share * batch) if setting else 0
    parts = []
    if batch > n_open:
        if n_open:  # the open clips take Shape Motion's place: as many real clips a batch as without them
            real_share = min(1.0, real_share * batch / (batch - n_open))
        clips = training_clips(rng, batch - n_open, length, cfg.size, real_share)
        parts.append(np.repeat(clips[:, None], FUTURES, axis=1))
    if n_open:
        seeds = rng.integers(0, TRAIN_SEEDS, n_open)
        parts.append(np.stack([open_futures(int(s), setting, cfg.size) for s in seeds]))
    truths = np.concatenate(parts)  # (B, F, T, H, W, 3)
    mask = torch.zeros(len(truths), length)
    mask[:, list(anchor_steps)] = 1.0
    is_open = torch.arange(len(truths)) >= len(truths) - n_open
    tensors = to_input(truths.reshape(-1, *truths.shape[2:])).unflatten(0, truths.shape[:2])
    fill = flow_interpolation(truths[:, 0], anchor_steps, cfg)
    return Batch(tensors[:, 0], mask, tensors, is_open, fill)
