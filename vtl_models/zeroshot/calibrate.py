"""Calibration of the v2 world on validation, before ML-ZSL is trained: is there a gap for propagation to close?

    python -m vtl_models.zeroshot.calibrate [--seed 0]

On the validation scenes, the VALIDATION_UNSEEN labels (never targets; unseen labels are not read at all) scored by:
  prior_only       the ImageNet->WordNet prior alone (no training)
  embedding_only   ConSE over a no-graph model's seen scores (0 steps, no prior), trained on SEEN
  no_graph         the default's initial-belief network without propagation (0 steps, prior, blind nodes), trained
                   on SEEN: what an unseen node knows from its word vector and prior alone
  graph_rule       the max of the no_graph model's scores of the label's seen wholes and seen members, through the
                   WordNet part and hypernym edges: a hand-made read of the graph, what propagation could recover
  oracle           the same network trained on SEEN + VALIDATION_UNSEEN targets (the labels themselves)
Writes vtl_models/zeroshot/calibration.json (beside the code: weights/ holds cards only); the default's card copies it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
import torch

from vtl_models.zeroshot.metrics import mean_ap
from vtl_models.zeroshot.model import ZeroShotConfig
from vtl_models.zeroshot.photos import PhotoGraph
from vtl_models.zeroshot.train import load_splits
from vtl_models.zeroshot.wordnet import load_wordnet
from vtl_models.zeroshot.world import LABELS, VALIDATION_UNSEEN
from vtl_models.zeroshot.world_fit import (
    SEEN_IDS,
    TRAIN_NODES,
    VAL_NODES,
    VAL_UNSEEN_IDS,
    fit,
    variant_scores,
    world_adjacency,
    world_synsets,
    world_words,
)
from vtl_models.zeroshot.world_graph import world_relations

PATH = Path(__file__).with_name("calibration.json")
log = logging.getLogger("vtl.zeroshot.calibrate")


def graph_rule(scores: np.ndarray, relations: np.ndarray, nodes: list[int]) -> np.ndarray:
    """Per pseudo-unseen node: the max score of its seen wholes (part_of) and seen members (hyponyms of it)."""
    out = np.zeros((len(scores), len(VAL_UNSEEN_IDS)), np.float32)
    for j, label in enumerate(VAL_UNSEEN_IDS):
        v = nodes.index(label)
        sources = [u for u in range(len(nodes)) if nodes[u] in SEEN_IDS and (relations[2, v, u] or relations[1, v, u])]
        out[:, j] = scores[:, sources].max(1) if sources else 0.0
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    torch.set_num_threads(1)
    wordnet = load_wordnet()
    train, val = load_splits(PhotoGraph(wordnet))
    words, truth = world_words(), val["labels"].numpy()
    cols = [VAL_NODES.index(k) for k in VAL_UNSEEN_IDS]
    val_truth = truth[:, VAL_UNSEEN_IDS]
    val_adj = world_adjacency(wordnet, words, VAL_NODES)

    def zsl(scores: np.ndarray) -> float:
        return mean_ap(val_truth, scores)

    def per_label(scores: np.ndarray) -> dict:
        pairs = enumerate(VALIDATION_UNSEEN)
        return {label: round(mean_ap(val_truth[:, [j]], scores[:, [j]]), 4) for j, label in pairs}

    figures = {"prior_only": val["prior"].numpy()[:, VAL_UNSEEN_IDS]}
    base = {"num_labels": len(LABELS), "relations": 6, "steps": 0}
    runs = {
        "embedding_only": (ZeroShotConfig(**base, use_prior=False, mask_rate=0.3), TRAIN_NODES, SEEN_IDS),
        "no_graph": (ZeroShotConfig(**base, mask_rate=0.3), TRAIN_NODES, SEEN_IDS),
        "oracle": (ZeroShotConfig(**base, mask_rate=0.0), VAL_NODES, sorted(SEEN_IDS + VAL_UNSEEN_IDS)),
    }
    for name, (cfg, nodes, targets) in runs.items():
        adj = world_adjacency(wordnet, words, nodes)
        kind = "embedding_only" if name == "embedding_only" else "model"
        seen = targets if name == "oracle" else SEEN_IDS

        def select(model, kind=kind, seen=seen) -> float:
            return zsl(variant_scores(kind, model, val, words, val_adj, VAL_NODES, seen)[:, cols])

        model, _ = fit(cfg, train, words, adj, nodes, targets, select, args.epochs, 4.0, seed=args.seed)
        scores = variant_scores(kind, model, val, words, val_adj, VAL_NODES, seen)
        figures[name] = scores[:, cols]
        if name == "no_graph":
            synsets = world_synsets(wordnet)
            relations = world_relations(wordnet, [synsets[k] for k in VAL_NODES])
            figures["graph_rule"] = graph_rule(scores, relations, VAL_NODES)
        log.info("%s: %.4f", name, zsl(figures[name]))
    record = {
        "what": "validation scenes (seeds of world_data.VAL_SEED), ZSL mAP of the validation-unseen labels "
        f"({', '.join(VALIDATION_UNSEEN)}); unseen labels not read. Command: python -m vtl_models.zeroshot.calibrate "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "n_val": len(truth),
        "seed": args.seed,
        "val_ZSL_mAP": {name: round(zsl(s), 4) for name, s in figures.items()},
        "per_label_AP": {name: per_label(s) for name, s in figures.items()},
        "about": __doc__.split("\n\n")[2].strip(),
    }
    PATH.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record["val_ZSL_mAP"], indent=2))


if __name__ == "__main__":
    main()
