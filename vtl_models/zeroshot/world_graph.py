"""The label graph of the v2 world: the paper's relations plus WordNet part meronymy, split by direction.

Relations (row v receives from column u):
  0 hyponym_of   u is a hypernym of v (any distance)          1 hypernym_of   the reverse
  2 part_of      v is a part of u (u is a whole of v)         3 has_part      the reverse: u is a part of v
  4 positive     GloVe cosine >= POSITIVE_COSINE              5 negative      GloVe cosine <= NEGATIVE_COSINE
Part meronymy is read from the committed WordNet file's part pointers (%p) and inherited: p is a part of w when a
part (or a part of a part) of w or of one of w's hypernyms lies at most PART_GENERALISATION hypernym steps below p
("wheel" of a car: a car is a wheeled vehicle, whose part is a wheel; "door" of a car through "car door").
Taxonomy first, then parts, then correlations (a pair has one relation); with sibling_depth, close co-hyponyms are
negative whatever their cosine (graph.close_siblings).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from vtl_models.zeroshot.graph import NEGATIVE_COSINE, POSITIVE_COSINE, close_siblings, cosine_matrix
from vtl_models.zeroshot.wordnet import WordNet
from vtl_models.zeroshot.world import SENSES

RELATIONS = ("hyponym_of", "hypernym_of", "part_of", "has_part", "positive", "negative")
PART_DEPTH = 2  # parts of parts
PART_GENERALISATION = 2  # hypernym steps from a WordNet part up to the label that stands for it
WHOLE_ANCESTRY = 6  # hypernym steps from a whole up to the synset that carries the part pointer


@lru_cache(maxsize=4096)
def _parts_of(wordnet: WordNet, whole: int) -> frozenset[int]:
    found, frontier = set(), []
    for ancestor, steps in wordnet.ancestors(whole).items():
        if steps <= WHOLE_ANCESTRY:
            frontier += [(p, 1) for p in wordnet.parts[ancestor]]
    while frontier:
        part, depth = frontier.pop()
        if part in found:
            continue
        found.add(part)
        if depth < PART_DEPTH:
            frontier += [(p, depth + 1) for p in wordnet.parts[part]]
    return frozenset(found)


def is_part(wordnet: WordNet, part: int, whole: int) -> bool:
    """Is synset `part` (or a synset at most PART_GENERALISATION steps below it) a WordNet part of `whole`?"""
    if part == whole or part in wordnet.ancestors(whole):
        return False
    for p in _parts_of(wordnet, whole):
        steps = wordnet.ancestors(p).get(part)
        if steps is not None and steps <= PART_GENERALISATION:
            return True
    return False


def world_relations(
    wordnet: WordNet, synsets: list[int], vectors: np.ndarray | None = None, sibling_depth: int = 0
) -> np.ndarray:
    """(6, K, K) 0/1 adjacency of labels `synsets`, correlations from the word vectors (K, W) when given."""
    k = len(synsets)
    adj = np.zeros((len(RELATIONS), k, k), np.float32)
    for v, sv in enumerate(synsets):
        ancestors = wordnet.ancestors(sv)
        for u, su in enumerate(synsets):
            if u != v and su in ancestors:
                adj[0, v, u] = adj[1, u, v] = 1.0
    for v, sv in enumerate(synsets):
        for u, su in enumerate(synsets):
            if u != v and not adj[:2, v, u].any() and is_part(wordnet, sv, su):
                adj[2, v, u] = adj[3, u, v] = 1.0
    cosine = cosine_matrix(vectors)
    for v in range(k):
        for u in range(k):
            if u == v or adj[:4, v, u].any() or adj[:4, u, v].any():
                continue
            if close_siblings(wordnet, synsets[v], synsets[u], sibling_depth):
                adj[5, v, u] = 1.0
            elif cosine is not None:
                adj[4, v, u] = float(cosine[v, u] >= POSITIVE_COSINE)
                adj[5, v, u] = float(cosine[v, u] <= NEGATIVE_COSINE)
    return adj


def world_synsets(wordnet: WordNet) -> list[int]:
    """The WordNet synset of every world label, in LABELS order."""
    return [wordnet.index[lemma][sense] for lemma, sense in SENSES.values()]


def normalised(adj: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """Mean over each node's neighbours of one relation (rows of zeros stay zero), on `device`."""
    degree = adj.sum(-1, keepdims=True)
    return torch.from_numpy(np.where(degree > 0, adj / np.maximum(degree, 1), 0.0).astype(np.float32)).to(device)
