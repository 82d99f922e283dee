"""Pieces of the zero-shot card that training writes: the graph's record and the auto mode's scene rule."""

from __future__ import annotations

import numpy as np
import torch

from vtl_models.zeroshot.graph import NEGATIVE_COSINE, POSITIVE_COSINE
from vtl_models.zeroshot.model import MLZSL
from vtl_models.zeroshot.world_graph import PART_DEPTH, PART_GENERALISATION, RELATIONS

# card keys written by hand or by eval, kept when a variant is trained again
KEPT_KEYS = ("eval", "calibration", "training_note", "caveats", "deviations_from_paper", "mode_2_real_photos")


def graph_record(sibling_depth: int) -> dict:
    """What the label graph is made of (world_graph.py)."""
    source = (
        "WordNet 3.0 hypernym paths; WordNet part meronyms (part pointers %p, inherited from hypernyms, parts of "
        f"parts up to depth {PART_DEPTH}, a part label up to {PART_GENERALISATION} hypernym steps above the WordNet "
        "part); correlations from GloVe cosine"
    )
    if sibling_depth:
        source += f"; close co-hyponyms (common subsumer <= {sibling_depth} steps up both) negative"
    return {
        "relations": list(RELATIONS),
        "source": source,
        "positive_cosine": POSITIVE_COSINE,
        "negative_cosine": NEGATIVE_COSINE,
    }


def fit_scene_basis(model: MLZSL, feats: torch.Tensor) -> None:
    """The principal subspace of the standardised training features (for the auto mode's scene test)."""
    z = (feats - model.feat_mean) / model.feat_std
    center = z.mean(0)
    _, _, vt = torch.linalg.svd(z - center, full_matrices=False)
    model.scene_center.copy_(center)
    model.scene_basis.copy_(vt[: model.cfg.basis_dim])


def scene_likeness_setting(model: MLZSL, val_feats: torch.Tensor) -> dict:
    """The auto mode's rule, from validation scenes only: likeness = 2 ** (-residual / threshold), where threshold
    is the 99.5th percentile of validation scenes' residual; an image is a scene when its likeness >= 0.5."""
    with torch.no_grad():
        residual = model.scene_residual(val_feats).numpy()
    threshold = float(np.percentile(residual, 99.5))
    return {"residual_threshold": round(threshold, 5), "threshold": 0.5, "chosen_on": "99.5% of validation scenes"}
