"""Re-ID retrieval metrics, Market-1501 protocol: CMC rank-k and mAP, same-camera matches of the query excluded."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score


def cosine_distance(query: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """1 - cosine similarity, (Q, G)."""
    q = query / np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
    g = gallery / np.maximum(np.linalg.norm(gallery, axis=1, keepdims=True), 1e-12)
    return 1.0 - q @ g.T


def evaluate_ranking(
    distance: np.ndarray,
    query_ids: np.ndarray,
    query_cams: np.ndarray,
    gallery_ids: np.ndarray,
    gallery_cams: np.ndarray,
    max_rank: int = 20,
    per_query: bool = False,
) -> dict:
    """rank1/5/10, mAP and the CMC curve (up to `max_rank`) over queries that have a match in another camera.

    Gallery items of the query's identity seen by the query's own camera are left out (Market-1501 protocol);
    a query with no remaining true match is skipped. `per_query` adds each counted query's rank-1 hit, AP and
    identity ("hits", "aps", "ids").
    """
    cmc, aps, counted = [], [], []
    for i in range(len(distance)):
        keep = ~((gallery_ids == query_ids[i]) & (gallery_cams == query_cams[i]))
        truth = gallery_ids[keep] == query_ids[i]
        if not truth.any():
            continue
        d = distance[i, keep]
        order = np.argsort(d, kind="stable")
        hits = truth[order]
        first = int(np.argmax(hits))
        cmc.append(np.arange(max_rank) >= first)
        aps.append(average_precision_score(truth, -d))
        counted.append(query_ids[i])
    hits = np.asarray(cmc)[:, 0].astype(float)
    cmc = np.mean(cmc, axis=0)
    return {
        "rank1": round(float(cmc[0]), 4),
        "rank5": round(float(cmc[4]), 4),
        "rank10": round(float(cmc[9]), 4),
        "mAP": round(float(np.mean(aps)), 4),
        "cmc": [round(float(v), 4) for v in cmc],
        "n_queries": len(aps),
        **({"hits": hits, "aps": np.asarray(aps), "ids": np.asarray(counted)} if per_query else {}),
    }


def retrieval_metrics(
    features: np.ndarray, ids: np.ndarray, cams: np.ndarray, max_rank: int = 20, per_query: bool = False
) -> dict:
    """Every item is a query against all the others (cosine distance on `features`)."""
    distance = cosine_distance(features, features)
    np.fill_diagonal(distance, np.inf)  # never match itself (also removed as same id + same camera)
    return evaluate_ranking(distance, ids, cams, ids, cams, max_rank, per_query)
