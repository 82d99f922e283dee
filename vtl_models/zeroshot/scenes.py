"""Mode 1 scoring on pooled scene features: the ML-ZSL model, and the ConSE-style embedding baseline."""

from __future__ import annotations

import numpy as np
import torch

from vtl_models.common import to_numpy
from vtl_models.hub import ModelCard, load_model
from vtl_models.multilabel.vocab import INDEX, LABELS
from vtl_models.zeroshot.graph import SEEN, UNSEEN, normalise_rows, relation_matrices, scene_synsets
from vtl_models.zeroshot.model import MLZSL, ZeroShotConfig
from vtl_models.zeroshot.wordnet import WordNet

SEEN_IDS = [INDEX[label] for label in SEEN]
UNSEEN_IDS = [INDEX[label] for label in UNSEEN]
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


def scene_adjacency(
    wordnet: WordNet, words: torch.Tensor, labels: list[int] | None = None, sibling_depth: int = 0
) -> torch.Tensor:
    """Row-normalised (R, K, K) adjacency among the scene labels `labels` (positions in LABELS; default all), their
    correlations from the word vectors `words` (18, W) (and close co-hyponyms, `sibling_depth`)."""
    labels = list(range(len(LABELS))) if labels is None else labels
    synsets = scene_synsets(wordnet)
    vectors = to_numpy(words)[labels]
    return torch.from_numpy(
        normalise_rows(relation_matrices(wordnet, [synsets[i] for i in labels], vectors, sibling_depth))
    ).to(words.device)


def blind_nodes(model: MLZSL, seen: list[bool]) -> torch.Tensor | None:
    """Nodes without direct image input: those not seen in training, if the model was trained with masking."""
    return torch.tensor([not s for s in seen], device=model.scene_words.device) if model.cfg.mask_rate > 0 else None


@torch.inference_mode()
def model_scores(
    model: MLZSL,
    feats: torch.Tensor,
    words: torch.Tensor,
    adj: torch.Tensor,
    prior: torch.Tensor,
    seen: list[bool] | None = None,
) -> np.ndarray:
    """Sigmoid scores (N, K) of every label node in `adj`, in batches; `seen` (K,) marks the trained labels
    (default: all 18 scene labels in LABELS order)."""
    seen = [label in SEEN for label in LABELS] if seen is None else seen
    blind = blind_nodes(model, seen)
    out = [
        torch.sigmoid(model(feats[i : i + 500], words, adj, blind, prior[i : i + 500]))
        for i in range(0, len(feats), 500)
    ]
    return to_numpy(torch.cat(out))


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
