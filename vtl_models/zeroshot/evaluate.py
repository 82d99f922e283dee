"""`python -m vtl_models eval zeroshot --json`: the v2 world's held-out scenes (ML / ZSL / GZSL) for the default and
every baseline, each seed, in one run; the claim against the best baseline; photo mode in a block of its own (it has
no learned weights).

Settings: ML = seen labels scored with a graph of seen labels only; ZSL = unseen labels; GZSL = seen and unseen
labels together. The test graph holds all 41 labels (unseen and validation-unseen nodes blind). Baselines:
prior_only (the ImageNet->WordNet prior, untrained), no_propagation (the trained default read with 0 propagation
steps), embedding_only (ConSE), fixed_propagation (the default's configuration, ungated propagation).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from vtl_models.claims import decide
from vtl_models.hub import has_card
from vtl_models.images import to_tensor
from vtl_models.zeroshot.data import pool_maps
from vtl_models.zeroshot.metrics import fast_mean_ap, mean_ap, setting_metrics
from vtl_models.zeroshot.photo_check import load_check, photo_mode_block
from vtl_models.zeroshot.photos import PhotoGraph
from vtl_models.zeroshot.scenes import load_scene_model, scene_likeness
from vtl_models.zeroshot.wordnet import load_wordnet
from vtl_models.zeroshot.world import LABELS, UNSEEN
from vtl_models.zeroshot.world_data import N_TEST, TEST_SEED, test_world
from vtl_models.zeroshot.world_fit import (
    SEEN_IDS,
    TEST_NODES,
    UNSEEN_IDS,
    node_scores,
    variant_scores,
    world_adjacency,
    world_synsets,
)

log = logging.getLogger("vtl.zeroshot.eval")
BASELINES = ("prior_only", "no_propagation", "embedding_only", "fixed_propagation")
KEYS = ("ML_mAP", "ZSL_mAP", "GZSL_mAP", "ML_F1_3", "ZSL_F1_3", "GZSL_F1_3")
CLAIM_AGAINST = ("prior_only", "no_propagation", "embedding_only")
BOOTSTRAP = 1000
# the calibration's name of each claim baseline (no_graph: the seen-label model read without propagation)
VALIDATION_NAME = {"prior_only": "prior_only", "no_propagation": "no_graph", "embedding_only": "embedding_only"}
CHOSEN = "the baseline with the highest validation ZSL mAP of the validation-unseen labels (calibration.json)"


def strongest_on_validation() -> str:
    """The claim's baseline, chosen before test: the best of CLAIM_AGAINST in the calibration on validation."""
    from vtl_models.zeroshot.calibrate import PATH

    scores = json.loads(PATH.read_text())["val_ZSL_mAP"]
    return max(CLAIM_AGAINST, key=lambda key: scores[VALIDATION_NAME[key]])


def seed_names(variant: str) -> list[str]:
    """Weight names of a variant's training seeds that exist: variant, variant_seed1, ..."""
    names, seed = [variant], 1
    while has_card("zeroshot", f"{variant}_seed{seed}"):
        names.append(f"{variant}_seed{seed}")
        seed += 1
    return names


def variant_runs(variant: str, test: dict, wordnet) -> list[dict]:
    """Per seed: scores over all 41 labels (N, 41) and the seen labels' scores with a seen-only graph (N, 25);
    the default also gives the no_propagation run (the same weights, 0 steps)."""
    runs = []
    for name in seed_names(variant):
        model, words, _ = load_scene_model(name)
        depth = model.cfg.sibling_depth
        adj = world_adjacency(wordnet, words, TEST_NODES, depth)
        seen_adj = world_adjacency(wordnet, words, SEEN_IDS, depth)
        feats, prior = test["feats"], test["prior"]
        kind = "embedding_only" if variant == "embedding_only" else "model"
        run = {"full": variant_scores(kind, model, test, words, adj, TEST_NODES, SEEN_IDS)}
        run["seen"] = node_scores(model, feats, words[SEEN_IDS], seen_adj, prior[:, SEEN_IDS], [True] * len(SEEN_IDS))
        if variant == "default":
            seen = [k in SEEN_IDS for k in TEST_NODES]
            run["no_propagation"] = {
                "full": node_scores(model, feats, words, adj, prior, seen, steps=0),
                "seen": node_scores(model, feats, words[SEEN_IDS], seen_adj, prior[:, SEEN_IDS], [True] * 25, steps=0),
            }
        runs.append(run)
    return runs


def settings(truth: np.ndarray, run: dict) -> dict:
    """The paper's three settings on one run's scores."""
    out = setting_metrics(truth[:, SEEN_IDS], run["seen"], list(range(len(SEEN_IDS))), "ML")
    out |= setting_metrics(truth, run["full"], UNSEEN_IDS, "ZSL")
    return out | setting_metrics(truth, run["full"], sorted(SEEN_IDS + UNSEEN_IDS), "GZSL")


def claim(truth: np.ndarray, model_runs: list[dict], baseline_runs: list[dict], columns: list[int], metric: str):
    """vtl_models.claims.decide on mAP of `columns`: test scenes resampled, seeds paired by index."""

    def statistic(run: dict, idx: np.ndarray) -> float:
        return fast_mean_ap(truth[idx][:, columns], run["full"][idx][:, columns])

    return decide(statistic, model_runs, baseline_runs, len(truth), metric, boot=BOOTSTRAP)


def ood_auroc(graph: PhotoGraph, scene_feats: torch.Tensor) -> float:
    """How well the scene likeness (the auto mode's rule) tells the check's real photos from the test scenes."""
    model, _, card = load_scene_model("default")
    photos = load_check()
    photo_feats = torch.cat([pool_maps(*graph.trunk(to_tensor(p["image"], graph.input))[:2]) for p in photos])
    likeness = np.concatenate([scene_likeness(model, f, card) for f in (scene_feats, photo_feats)])
    is_photo = np.r_[np.zeros(len(scene_feats)), np.ones(len(photos))]
    return round(float(roc_auc_score(is_photo, -likeness)), 4)


def mean_figures(figures: list[dict]) -> dict:
    return {k: round(float(np.mean([f[k] for f in figures])), 4) for k in figures[0]}


def run(name: str = "default") -> dict:
    """Evaluate the default, its seeds and every baseline on regenerated test scenes; photo mode on its photos."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", 2)))  # 2 cores by default; 1 beside a training
    start = time.time()
    wordnet = load_wordnet()
    graph = PhotoGraph(wordnet)
    feats, probs, truth = test_world(graph)
    prior = torch.from_numpy(graph.label_prior(probs.numpy(), world_synsets(wordnet), list(LABELS)))
    test = {"feats": feats, "prior": prior}
    log.info("test scenes and features in %.0f s", time.time() - start)
    runs = {variant: variant_runs(variant, test, wordnet) for variant in ("default", "embedding_only")}
    runs["no_propagation"] = [r.pop("no_propagation") for r in runs["default"]]
    runs["fixed_propagation"] = variant_runs("fixed_propagation", test, wordnet)
    runs["prior_only"] = [{"full": prior.numpy(), "seen": prior.numpy()[:, SEEN_IDS]}] * len(runs["default"])
    figures = {key: [settings(truth, r) for r in value] for key, value in runs.items()}
    best = strongest_on_validation()
    gzsl = sorted(SEEN_IDS + UNSEEN_IDS)
    claims = {"zsl_vs_best_baseline": claim(truth, runs["default"], runs[best], UNSEEN_IDS, "ZSL_mAP")}
    claims["zsl_vs_best_baseline"] |= {"baseline_name": best, "chosen": CHOSEN}
    claims["zsl_vs_best_baseline"]["GZSL_mAP_beside"] = claim(truth, runs["default"], runs[best], gzsl, "GZSL_mAP")
    for other in BASELINES:
        n = min(len(runs["default"]), len(runs[other]))
        claims[f"zsl_vs_{other}"] = claim(truth, runs["default"][:n], runs[other][:n], UNSEEN_IDS, "ZSL_mAP")
    log.info("scene figures at %.0f s", time.time() - start)
    photo_mode, photo_details = photo_mode_block(graph)
    ood = ood_auroc(graph, feats)
    log.info("photo mode measured at %.0f s", time.time() - start)
    _, _, card = load_scene_model(name)
    pick = {key: {k: value[0][k] for k in KEYS} for key, value in figures.items()}
    return {
        "task": "zeroshot",
        "model": name,
        "weights_sha256": card.sha256,
        "n_test": N_TEST,
        "metrics": pick["default"] | {"ood_auroc": ood},
        "baselines": {key: pick[key] for key in BASELINES},
        "photo_mode": photo_mode,
        "claims": claims,
        "details": {
            "metrics_and_baselines_are": "training seed 0 (the served default); mean_over_seeds below",
            "mean_over_seeds": {key: mean_figures(value) for key, value in figures.items()},
            "seeds": {key: len(value) for key, value in runs.items()},
            "scene_metrics_with_top3_precision_recall": {key: value[0] for key, value in figures.items()},
            "unseen_labels": list(UNSEEN),
            "test_seeds": [TEST_SEED, TEST_SEED + N_TEST],
            "per_label_ZSL_AP": {
                key: {
                    label: round(mean_ap(truth[:, [k]], runs[key][0]["full"][:, [k]]), 4)
                    for label, k in zip(UNSEEN, UNSEEN_IDS, strict=True)
                }
                for key in runs
            },
            "photo_mode": photo_details,
        },
        "seconds": round(time.time() - start, 1),
    }
