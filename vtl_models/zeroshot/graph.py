"""The paper's label graph of ML-ZSL (the v2 world adds part relations on top: world_graph.py).

Relations (the paper's three, super-subordinate split by direction so a child->parent message is not a
parent->child one): 0 "hyponym of" (u is a hypernym of v, any distance), 1 "hypernym of", 2 positive correlation,
3 negative correlation. Correlations come from label similarity (no co-occurrence counts exist for unseen labels):
with word vectors given, GloVe cosine (positive >= POSITIVE_COSINE, negative <= NEGATIVE_COSINE; chosen on validation
scenes: ZSL mAP 0.22 against 0.17 with Wu-Palmer); without, WordNet Wu-Palmer (positive when WUP >= POSITIVE_WUP or
the pair is among either label's POSITIVE_NEIGHBOURS most similar, negative when WUP <= NEGATIVE_WUP).
With `sibling_depth` d > 0, close co-hyponyms (neither subsumes the other, and their lowest common subsumer is at most
d hypernym steps above each) are negative correlations whatever their similarity: alternatives of one kind (lake and
ocean under body of water, sun and moon under celestial body) tend to exclude each other, as in hierarchy-and-
exclusion label graphs.
"""

from __future__ import annotations

import numpy as np

from vtl_models.zeroshot.wordnet import WordNet

RELATIONS = ("hyponym_of", "hypernym_of", "positive", "negative")
POSITIVE_WUP, NEGATIVE_WUP, POSITIVE_NEIGHBOURS = 0.6, 0.25, 2
POSITIVE_COSINE, NEGATIVE_COSINE = 0.6, 0.35


def cosine_matrix(vectors: np.ndarray | None) -> np.ndarray | None:
    """(K, K) cosine similarity of the rows of `vectors` (None without vectors)."""
    if vectors is None:
        return None
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-8)
    return unit @ unit.T


def close_siblings(wordnet: WordNet, a: int, b: int, depth: int) -> bool:
    """Co-hyponyms whose lowest common subsumer is at most `depth` hypernym steps above both (neither subsumes
    the other)."""
    up_a, up_b = wordnet.ancestors(a), wordnet.ancestors(b)
    if depth <= 0 or a in up_b or b in up_a:
        return False
    return any(max(up_a[s], up_b[s]) <= depth for s in set(up_a) & set(up_b))


def relation_matrices(
    wordnet: WordNet, synsets: list[int], vectors: np.ndarray | None = None, sibling_depth: int = 0
) -> np.ndarray:
    """(R, K, K) 0/1 adjacency, entry [r, v, u] = 1 when u sends label v a message of relation r; `vectors` (K, W):
    the labels' word vectors, whose cosine then decides the correlations; `sibling_depth` > 0: close co-hyponyms
    are negative correlations."""
    k = len(synsets)
    adj = np.zeros((len(RELATIONS), k, k), np.float32)
    wup = np.array([[wordnet.wup(a, b) if a != b else 0.0 for b in synsets] for a in synsets], np.float32)
    nearest = np.argsort(-wup, axis=1)[:, :POSITIVE_NEIGHBOURS]
    for v, sv in enumerate(synsets):
        ancestors = wordnet.ancestors(sv)
        for u, su in enumerate(synsets):
            if u == v:
                continue
            if su in ancestors:
                adj[0, v, u] = adj[1, u, v] = 1.0
    taxonomic = adj[0] + adj[1] > 0
    cosine = cosine_matrix(vectors)
    for v in range(k):
        for u in range(k):
            if u == v or taxonomic[v, u]:
                continue
            if close_siblings(wordnet, synsets[v], synsets[u], sibling_depth):
                adj[3, v, u] = 1.0
            elif cosine is not None:
                adj[2, v, u] = float(cosine[v, u] >= POSITIVE_COSINE)
                adj[3, v, u] = float(cosine[v, u] <= NEGATIVE_COSINE)
            elif wup[v, u] >= POSITIVE_WUP or u in nearest[v] or v in nearest[u]:
                adj[2, v, u] = 1.0
            elif wup[v, u] <= NEGATIVE_WUP:
                adj[3, v, u] = 1.0
    return adj


def normalise_rows(adj: np.ndarray) -> np.ndarray:
    """Mean over each node's neighbours of one relation (rows of zeros stay zero)."""
    degree = adj.sum(-1, keepdims=True)
    return np.where(degree > 0, adj / np.maximum(degree, 1), 0.0).astype(np.float32)
