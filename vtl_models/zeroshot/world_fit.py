"""Scoring and training of ML-ZSL on the v2 world: label groups, the label graph over a set of nodes, one fit loop.

Nodes of a graph are positions in world.LABELS. Training sees SEEN nodes only (their targets); validation adds the
VALIDATION_UNSEEN nodes (blind, never targets) and every choice is made on their ZSL mAP; the test adds UNSEEN.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from functools import cache

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from vtl_models.common import seed_everything, to_numpy
from vtl_models.zeroshot.metrics import mean_ap
from vtl_models.zeroshot.model import MLZSL, ZeroShotConfig
from vtl_models.zeroshot.scenes import conse_scores
from vtl_models.zeroshot.train_card import fit_scene_basis
from vtl_models.zeroshot.wordnet import WordNet
from vtl_models.zeroshot.world import INDEX, LABELS, SEEN, UNSEEN, VALIDATION_UNSEEN
from vtl_models.zeroshot.world_graph import normalised, world_relations, world_synsets

SEEN_IDS = [INDEX[label] for label in SEEN]
VAL_UNSEEN_IDS = [INDEX[label] for label in VALIDATION_UNSEEN]
UNSEEN_IDS = [INDEX[label] for label in UNSEEN]
TRAIN_NODES = SEEN_IDS
VAL_NODES = sorted(SEEN_IDS + VAL_UNSEEN_IDS)
TEST_NODES = list(range(len(LABELS)))


@cache
def world_words() -> torch.Tensor:
    """Unit GloVe vectors (41, 50) of the world labels, from the committed vocabulary (as typed labels get theirs)."""
    from vtl_models.zeroshot.wordvectors import load_word_vectors

    vectors = load_word_vectors()
    return torch.from_numpy(np.stack([vectors.phrase(label) for label in LABELS]))


def world_adjacency(wordnet: WordNet, words: torch.Tensor, nodes: list[int], sibling_depth: int = 0) -> torch.Tensor:
    """Row-normalised (6, k, k) adjacency among world labels `nodes` (positions in LABELS); words (41, W)."""
    synsets = world_synsets(wordnet)
    adj = world_relations(wordnet, [synsets[i] for i in nodes], to_numpy(words)[nodes], sibling_depth)
    return normalised(adj)


@torch.inference_mode()
def node_scores(
    model: MLZSL,
    feats: torch.Tensor,
    words: torch.Tensor,
    adj: torch.Tensor,
    prior: torch.Tensor,
    seen: list[bool],
    steps: int | None = None,
) -> np.ndarray:
    """Sigmoid scores (N, k) of the graph's nodes; `seen` (k,) marks nodes with image input (when the model was
    trained with blind nodes); steps=0 reads out the initial beliefs (no propagation)."""
    blind = torch.tensor([not s for s in seen]) if model.cfg.mask_rate > 0 else None
    out = []
    for i in range(0, len(feats), 500):
        p = prior[i : i + 500] if model.cfg.use_prior else None
        h0 = model.initial_beliefs(feats[i : i + 500], words, blind, p)
        h = model.propagate_beliefs(h0, adj, steps)[-1]
        out.append(torch.sigmoid(model.read_out(h, h0, p)))
    return to_numpy(torch.cat(out))


def variant_scores(
    name: str, model: MLZSL, split: dict, words: torch.Tensor, adj: torch.Tensor, nodes: list[int], seen_ids: list[int]
) -> np.ndarray:
    """Scores (N, k) of graph `nodes` by a trained variant; embedding_only scores non-seen nodes by ConSE over the
    seen nodes' scores and word vectors (the paper's embedding baseline)."""
    seen = [n in seen_ids for n in nodes]
    scores = node_scores(model, split["feats"], words[nodes], adj, split["prior"][:, nodes], seen)
    if name == "embedding_only":
        s_cols = [j for j, n in enumerate(nodes) if n in seen_ids]
        u_cols = [j for j, n in enumerate(nodes) if n not in seen_ids]
        w = to_numpy(words)[nodes]
        scores[:, u_cols] = conse_scores(scores[:, s_cols], w[s_cols], w[u_cols])
    return scores


def fit(
    cfg: ZeroShotConfig,
    train: dict,
    words: torch.Tensor,
    adj: torch.Tensor,
    nodes: list[int],
    targets: list[int],
    select: Callable[[MLZSL], float],
    epochs: int = 20,
    minutes: float = 4.0,
    lr: float = 2e-3,
    batch: int = 128,
    seed: int = 0,
) -> tuple[MLZSL, dict]:
    """Train on graph `nodes` with loss on `targets` (positions in LABELS, a subset of nodes); keep the epoch with
    the best `select(model)` (a validation score). A random cfg.mask_rate share of target nodes is blind per batch."""
    seed_everything(seed)
    model = MLZSL(cfg)
    feats, labels, prior = train["feats"], train["labels"], train["prior"][:, nodes]
    model.feat_mean.copy_(feats.mean(0))
    model.feat_std.copy_(feats.std(0) + 1e-4)
    model.scene_words.copy_(words)
    fit_scene_basis(model, feats)
    node_words = words[nodes]
    cols = torch.tensor([nodes.index(t) for t in targets])
    truth = labels[:, targets].float()
    is_target = torch.zeros(len(nodes), dtype=torch.bool)
    is_target[cols] = True
    optim = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    best, best_score, history, steps, start = None, -1.0, [], 0, time.time()
    for _ in tqdm(range(epochs), desc=f"fit seed {seed}", leave=False):
        model.train()
        order = torch.randperm(len(feats))
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            blind = None
            if cfg.mask_rate > 0:  # non-target nodes always blind; a random share of target ones too
                blind = ~is_target | (is_target & (torch.rand(len(nodes)) < cfg.mask_rate))
            logits = model(feats[idx], node_words, adj, blind, prior[idx] if cfg.use_prior else None)
            loss = nn.functional.binary_cross_entropy_with_logits(logits[:, cols], truth[idx])
            optim.zero_grad()
            loss.backward()
            optim.step()
            steps += 1
        model.eval()
        score = select(model)
        history.append(round(score, 4))
        if score > best_score:
            best, best_score = copy.deepcopy(model.state_dict()), score
        if time.time() - start > minutes * 60:
            break
    model.load_state_dict(best)
    record = {"steps": steps, "epochs": len(history), "seconds": round(time.time() - start, 1)}
    return model.eval(), record | {"selected_score": round(best_score, 4), "score_per_epoch": history}


def zsl_map(truth: np.ndarray, scores: np.ndarray, nodes: list[int], columns: list[int]) -> float:
    """mAP of label positions `columns` from scores over graph `nodes`."""
    return mean_ap(truth[:, columns], scores[:, [nodes.index(c) for c in columns]])
