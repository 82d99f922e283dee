"""Mode 1 on pooled scene features: loading an ML-ZSL variant, the ConSE embedding baseline, the scene likeness."""

from __future__ import annotations

import numpy as np
import torch

from vtl_models.common import to_numpy
from vtl_models.hub import ModelCard, load_model
from vtl_models.zeroshot.model import MLZSL, ZeroShotConfig

CONSE_TOP = 3  # ConSE: the unseen label's vector is compared with the top-T predicted seen labels


def build(card: ModelCard) -> MLZSL:
    """An untrained MLZSL shaped as the card says."""
    return MLZSL(ZeroShotConfig(**card.config))


def load_scene_model(
    name: str = "default", device: torch.device | str = "cpu"
) -> tuple[MLZSL, torch.Tensor, ModelCard]:
    """A trained MLZSL variant, its scene-label word vectors (K, 50) and its card."""
    model, card = load_model("zeroshot", name, build, device)
    return model, model.scene_words, card


def conse_scores(seen_probs: np.ndarray, seen_words: np.ndarray, unseen_words: np.ndarray) -> np.ndarray:
    """ConSE: unseen score = sum over the top-T seen labels of p(seen) cos(w_unseen, w_seen), over sum p(seen)."""

    def unit(x: np.ndarray) -> np.ndarray:
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    cos = unit(seen_words) @ unit(unseen_words).T  # S U
    top = np.argsort(-seen_probs, axis=1)[:, :CONSE_TOP]
    weights = np.zeros_like(seen_probs)
    np.put_along_axis(weights, top, np.take_along_axis(seen_probs, top, 1), 1)
    return weights @ cos / np.maximum(weights.sum(1, keepdims=True), 1e-8)


@torch.inference_mode()
def scene_likeness(model: MLZSL, feats: torch.Tensor, card: ModelCard) -> np.ndarray:
    """(N,) in (0, 1]: 2 ** (-residual / the card's validation threshold); >= 0.5 reads as a generated scene."""
    residual = to_numpy(model.scene_residual(feats))
    return np.exp2(-residual / card.raw["scene_likeness"]["residual_threshold"])
