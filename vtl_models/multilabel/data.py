"""Seed ranges, batch rendering and the cached frozen-backbone feature maps the heads are trained on."""

from __future__ import annotations

import logging
import os
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch

from vtl_models import backbones
from vtl_models.backbones import INPUT_SIZE, Backbone
from vtl_models.images import to_tensor
from vtl_models.multilabel.render import render_scene
from vtl_models.multilabel.scenes import SIZE

log = logging.getLogger(__name__)

# Disjoint seed ranges: train, validation and test never share a scene.
TRAIN_SEED, VAL_SEED, TEST_SEED = 0, 1_000_000, 2_000_000
BACKBONE_INPUT = INPUT_SIZE  # the ImageNet weights' native size; the 128 px scenes are upsampled to it
# what the heads were trained on (the default card's "input" says the same): scenes upsampled without antialiasing
INPUT = {**backbones.INPUT, "antialias": False}
GENERATOR_VERSION = 2  # bump when render.py changes: the feature cache is keyed on it
CACHE_DIR = Path(__file__).resolve().parents[2] / "data" / "multilabel"


def _render(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scene = render_scene(seed)
    return scene.image, scene.labels, np.packbits(scene.masks, axis=-1)


def render_many(seeds: range, workers: int = 2, with_masks: bool = False):
    """Render scenes `seeds` -> images (N, H, W, 3) uint8, labels (N, K), and masks (N, K, H, W) bool if asked."""
    if workers > 1:
        with get_context("fork").Pool(workers) as pool:
            out = pool.map(_render, seeds, chunksize=64)
    else:
        out = [_render(s) for s in seeds]
    images = np.stack([o[0] for o in out])
    labels = np.stack([o[1] for o in out])
    if not with_masks:
        return images, labels
    masks = np.unpackbits(np.stack([o[2] for o in out]), axis=-1, count=SIZE).astype(bool)
    return images, labels, masks


def extract_features(backbone: Backbone, images: np.ndarray, batch: int = 64, progress: bool = True):
    """Backbone maps of all `images` as fp16 tensors (kept small for the cache)."""
    from tqdm import tqdm

    f16s, f32s = [], []
    for i in tqdm(range(0, len(images), batch), desc="backbone", disable=not progress, leave=False):
        f16, f32 = backbone(to_tensor(images[i : i + batch], INPUT, next(backbone.parameters()).device))
        f16s.append(f16.half())
        f32s.append(f32.half())
    return torch.cat(f16s), torch.cat(f32s)


def cached_split(
    name: str, start: int, count: int, backbone: Backbone | None = None, load: bool = True
) -> dict[str, torch.Tensor] | None:
    """Features + labels of scenes [start, start+count), computed once and cached under data/multilabel/.

    With load=False only make sure the cache exists (returns None if it already did)."""
    path = CACHE_DIR / f"{name}_v{GENERATOR_VERSION}_{start}_{count}_{BACKBONE_INPUT}.pt"
    if path.exists():
        return torch.load(path, weights_only=True) if load else None
    backbone = backbone or Backbone()
    log.info("rendering %d %s scenes", count, name)
    images, labels = render_many(range(start, start + count), workers=min(2, os.cpu_count() or 1))
    f16, f32 = extract_features(backbone, images)
    split = {"f16": f16, "f32": f32, "labels": torch.from_numpy(labels).to(f16.device)}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(split, path)
    return split


def domain_images(split: str, n: int) -> np.ndarray:
    """n procedural scenes of `split`: what the out-of-domain check is fitted on."""
    first = {"train": TRAIN_SEED, "val": VAL_SEED, "test": TEST_SEED}[split]
    return render_many(range(first, first + n))[0]
