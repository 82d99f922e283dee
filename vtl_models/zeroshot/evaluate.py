"""`python -m vtl_models eval zeroshot --json`: held-out scenes (ML / ZSL / GZSL), and photo mode on real photos
(its tuning check and its held-out set) in a block of its own: photo mode has no learned weights."""

from __future__ import annotations

import logging
import sys
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from vtl_models.backbones import Backbone
from vtl_models.claims import decide
from vtl_models.common import to_numpy
from vtl_models.images import to_tensor
from vtl_models.multilabel.vocab import LABELS
from vtl_models.zeroshot.data import N_TEST, TEST_SEED, pool_maps, scene_features, test_scenes
from vtl_models.zeroshot.graph import UNSEEN, scene_synsets
from vtl_models.zeroshot.metrics import mean_ap, setting_metrics
from vtl_models.zeroshot.photo_check import load_check, photo_mode_block
from vtl_models.zeroshot.photos import PhotoGraph
from vtl_models.zeroshot.scenes import (
    SEEN_IDS,
    UNSEEN_IDS,
    conse_scores,
    load_scene_model,
    model_scores,
    scene_adjacency,
    scene_likeness,
)
from vtl_models.zeroshot.wordnet import load_wordnet

log = logging.getLogger("vtl.zeroshot.eval")
KEYS = ("ML_mAP", "ZSL_mAP", "GZSL_mAP", "ML_F1_3", "ZSL_F1_3", "GZSL_F1_3")
BOOTSTRAP = 1000


def scene_scores(name: str, feats: torch.Tensor, prior: torch.Tensor, wordnet) -> tuple[np.ndarray, np.ndarray]:
    """(scores with the full graph (N, 18), seen-label scores with the seen-only graph (N, 13)) of one variant."""
    model, words, _ = load_scene_model(name)
    depth = model.cfg.sibling_depth
    full = model_scores(model, feats, words, scene_adjacency(wordnet, words, sibling_depth=depth), prior)
    seen_adj = scene_adjacency(wordnet, words, SEEN_IDS, depth)
    seen_only = model_scores(model, feats, words[SEEN_IDS], seen_adj, prior[:, SEEN_IDS], [True] * len(SEEN_IDS))
    if name == "embedding_only":  # the ConSE baseline: unseen labels from the predicted seen labels' word vectors
        words = to_numpy(words)
        full[:, UNSEEN_IDS] = conse_scores(full[:, SEEN_IDS], words[SEEN_IDS], words[UNSEEN_IDS])
    return full, seen_only


def settings(truth: np.ndarray, full: np.ndarray, seen_only: np.ndarray) -> dict:
    """The paper's three settings: ML (seen labels), ZSL (unseen only), GZSL (all labels)."""
    out = setting_metrics(truth[:, SEEN_IDS], seen_only, list(range(len(SEEN_IDS))), "ML")
    out |= setting_metrics(truth, full, UNSEEN_IDS, "ZSL")
    out |= setting_metrics(truth, full, list(range(truth.shape[1])), "GZSL")
    return out


def zsl_claim(truth: np.ndarray, model: np.ndarray, baseline: np.ndarray) -> dict:
    """ZSL mAP of the model minus a baseline (vtl_models.claims: test scenes resampled; one training seed a side)."""
    cols = UNSEEN_IDS
    zsl = lambda scores, idx: mean_ap(truth[idx][:, cols], scores[idx][:, cols])  # noqa: E731 (decide's statistic)
    return decide(zsl, [model], [baseline], len(truth), "ZSL_mAP", boot=BOOTSTRAP)


def ood_auroc(graph: PhotoGraph, scene_feats: torch.Tensor, name: str = "default") -> float:
    """How well the scene likeness (the auto mode's rule) tells the check's real photos from the test scenes."""
    model, _, card = load_scene_model(name)
    photos = load_check()  # as the predictor sees them: the whole photo at 224 px, one trunk pass
    photo_feats = torch.cat([pool_maps(*graph.trunk(to_tensor(p["image"], graph.input))[:2]) for p in photos])
    likeness = np.concatenate([scene_likeness(model, f, card) for f in (scene_feats, photo_feats)])
    is_photo = np.r_[np.zeros(len(scene_feats)), np.ones(len(photos))]
    return round(float(roc_auc_score(is_photo, -likeness)), 4)


def run(name: str = "default") -> dict:
    """Evaluate weights `name` and both baselines on regenerated test scenes; photo mode on its two photo sets."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    torch.set_num_threads(2)
    start = time.time()
    wordnet = load_wordnet()
    images, truth = test_scenes(N_TEST)
    backbone = Backbone()
    graph = PhotoGraph(wordnet)
    feats, probs = scene_features(backbone, images, graph)
    prior = torch.from_numpy(graph.label_prior(to_numpy(probs), scene_synsets(wordnet), list(LABELS)))
    log.info("test scenes and features in %.0f s", time.time() - start)
    scores = {key: scene_scores(key, feats, prior, wordnet) for key in (name, "fixed_propagation", "embedding_only")}
    report_metrics = {key: settings(truth, *value) for key, value in scores.items()}
    photo_mode, photo_details = photo_mode_block(graph)
    ood = ood_auroc(graph, feats)
    log.info("photo mode measured at %.0f s", time.time() - start)
    _, _, card = load_scene_model(name)

    report = {
        "task": "zeroshot",
        "model": name,
        "weights_sha256": card.sha256,
        "n_test": N_TEST,
        "metrics": {k: report_metrics[name][k] for k in KEYS} | {"ood_auroc": ood},
        "baselines": {
            key: {k: report_metrics[key][k] for k in KEYS} for key in ("embedding_only", "fixed_propagation")
        },
        "photo_mode": photo_mode,
        "claims": {
            "ZSL_mAP_vs_embedding_only": zsl_claim(truth, scores[name][0], scores["embedding_only"][0]),
            "ZSL_mAP_vs_fixed_propagation": zsl_claim(truth, scores[name][0], scores["fixed_propagation"][0]),
        },
        "details": {
            "scene_metrics_with_top3_precision_recall": report_metrics,
            "unseen_labels": list(UNSEEN),
            "test_seeds": [TEST_SEED, TEST_SEED + N_TEST],
            "photo_mode": photo_details,
            "per_label_ZSL_AP": {
                label: round(mean_ap(truth[:, [k]], scores[name][0][:, [k]]), 4)
                for label, k in zip(UNSEEN, UNSEEN_IDS, strict=True)
            },
        },
    }
    report["seconds"] = round(time.time() - start, 1)
    return report
