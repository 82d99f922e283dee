"""Scene data of mode 1: the multilabel tab's generator and frozen backbone (imported, not copied), pooled features."""

from __future__ import annotations

import numpy as np
import torch

from vtl_models.backbones import Backbone
from vtl_models.images import to_tensor
from vtl_models.multilabel.data import INPUT, TEST_SEED, TRAIN_SEED, VAL_SEED, cached_split, render_many
from vtl_models.zeroshot.photos import PhotoGraph

N_TRAIN, N_VAL, N_TEST = 6000, 500, 1000
__all__ = ["N_TEST", "N_TRAIN", "N_VAL", "TEST_SEED", "TRAIN_SEED", "VAL_SEED", "pool_maps", "scene_features"]


def pool_maps(f16: torch.Tensor, f32: torch.Tensor) -> torch.Tensor:
    """Backbone maps (B, 112, 14, 14), (B, 320, 7, 7) -> (B, 864): mean and max of each, fp32."""
    f16, f32 = f16.float(), f32.float()
    return torch.cat([f32.mean((2, 3)), f32.amax((2, 3)), f16.mean((2, 3)), f16.amax((2, 3))], 1)


def cached_features(name: str, start: int, count: int, graph: PhotoGraph) -> tuple[torch.Tensor, ...]:
    """Pooled features (N, 864), 0/1 labels (N, 18) and ImageNet probabilities (N, 1000) of scenes
    [start, start+count), from the shared multilabel feature cache."""
    split = cached_split(name, start, count)
    feats, probs = [], []
    for i in range(0, count, 500):
        feats.append(pool_maps(split["f16"][i : i + 500], split["f32"][i : i + 500]))
        probs.append(torch.from_numpy(graph.head_probs(split["f32"][i : i + 500])).to(split["f32"].device))
    return torch.cat(feats), split["labels"].float(), torch.cat(probs)


@torch.inference_mode()
def scene_features(
    backbone: Backbone, images: np.ndarray, graph: PhotoGraph, batch: int = 50
) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 scenes (N, H, W, 3) -> pooled features (N, 864) and ImageNet probabilities (N, 1000)."""
    feats, probs, device = [], [], next(backbone.parameters()).device
    for i in range(0, len(images), batch):
        f16, f32 = backbone(to_tensor(images[i : i + batch], INPUT, device))
        feats.append(pool_maps(f16, f32))
        probs.append(torch.from_numpy(graph.head_probs(f32)).to(f32.device))
    return torch.cat(feats), torch.cat(probs)


def test_scenes(count: int = N_TEST) -> tuple[np.ndarray, np.ndarray]:
    """The held-out test scenes (regenerated from their seeds, never cached): images and labels."""
    return render_many(range(TEST_SEED, TEST_SEED + count), workers=2)
