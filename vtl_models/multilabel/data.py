"""Seed ranges, batch rendering and the cached frozen-backbone feature maps the heads are trained on."""

from __future__ import annotations

import logging
import os
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch
from torch import nn

from vtl_models.backbones import efficientnet_lite0_features, normalize
from vtl_models.multilabel.render import render_scene
from vtl_models.multilabel.scenes import SIZE

log = logging.getLogger(__name__)

# Disjoint seed ranges: train, validation and test never share a scene.
TRAIN_SEED, VAL_SEED, TEST_SEED = 0, 1_000_000, 2_000_000
BACKBONE_INPUT = 224  # the ImageNet weights' native size; the 128 px scenes are upsampled to it
OUT_INDICES = (3, 4)  # stride 16 (112 ch, 14x14) and stride 32 (320 ch, 7x7)
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


class Backbone(nn.Module):
    """The frozen ImageNet EfficientNet-Lite0 trunk: uint8 images -> (stride-16 map, stride-32 map)."""

    def __init__(self, pretrained: bool = True):
        super().__init__()
        self.net = efficientnet_lite0_features(pretrained=pretrained, out_indices=OUT_INDICES).eval()
        for p in self.net.parameters():
            p.requires_grad_(False)

    @torch.inference_mode()
    def forward(self, images: torch.Tensor, size: int = BACKBONE_INPUT) -> tuple[torch.Tensor, torch.Tensor]:
        """images: uint8 (B, H, W, 3) -> f16 (B, 112, 14, 14), f32 (B, 320, 7, 7) at `size` (the maps scale with it)."""
        x = images.permute(0, 3, 1, 2).float() / 255.0
        if x.shape[-2:] != (size, size):
            x = nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        f16, f32 = self.net(normalize(x))
        return f16, f32


def extract_features(backbone: Backbone, images: np.ndarray, batch: int = 64, progress: bool = True):
    """Backbone maps of all `images` as fp16 tensors (kept small for the cache)."""
    from tqdm import tqdm

    f16s, f32s = [], []
    for i in tqdm(range(0, len(images), batch), desc="backbone", disable=not progress, leave=False):
        f16, f32 = backbone(torch.from_numpy(images[i : i + batch]).to(next(backbone.parameters()).device))
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
