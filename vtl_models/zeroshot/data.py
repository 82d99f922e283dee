"""Scene features of mode 1: the multilabel tab's trunk input (imported, not copied) and the pooled maps."""

from __future__ import annotations

import torch

from vtl_models.multilabel.data import INPUT

__all__ = ["INPUT", "pool_maps"]


def pool_maps(f16: torch.Tensor, f32: torch.Tensor) -> torch.Tensor:
    """Backbone maps (B, 112, 14, 14), (B, 320, 7, 7) -> (B, 864): mean and max of each, fp32."""
    f16, f32 = f16.float(), f32.float()
    return torch.cat([f32.mean((2, 3)), f32.amax((2, 3)), f16.mean((2, 3)), f16.amax((2, 3))], 1)
