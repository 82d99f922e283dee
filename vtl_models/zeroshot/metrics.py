"""Multi-label zero-shot metrics: label-wise mAP and precision/recall/F1 of each image's top-3 labels."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score


def mean_ap(truth: np.ndarray, scores: np.ndarray) -> float:
    """Mean over labels (columns with at least one positive) of the average precision."""
    cols = [k for k in range(truth.shape[1]) if truth[:, k].any()]
    return float(np.mean([average_precision_score(truth[:, k], scores[:, k]) for k in cols]))


def top_k_prf(truth: np.ndarray, scores: np.ndarray, k: int = 3) -> tuple[float, float, float]:
    """Overall precision, recall and F1 when each image is given its k highest-scoring labels."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    hits = float(np.take_along_axis(truth, top, 1).sum())
    precision, recall = hits / top.size, hits / max(float(truth.sum()), 1.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def setting_metrics(truth: np.ndarray, scores: np.ndarray, columns: list[int], name: str) -> dict[str, float]:
    """`name`_mAP and `name`_P_3/R_3/F1_3 on `columns`, over the images with at least one of those labels."""
    truth, scores = truth[:, columns], scores[:, columns]
    rows = truth.sum(1) > 0
    p, r, f1 = top_k_prf(truth[rows], scores[rows])
    out = {f"{name}_mAP": mean_ap(truth, scores), f"{name}_P_3": p, f"{name}_R_3": r, f"{name}_F1_3": f1}
    return {key: round(value, 4) for key, value in out.items()}


def per_photo_map(photos: list[dict], scores: list[dict[str, float]]) -> float:
    """Mean over photos of the average precision of the present labels among the photo's labels."""
    aps = []
    for photo, score in zip(photos, scores, strict=True):
        labels = photo["present"] + photo["absent"]
        truth = [1] * len(photo["present"]) + [0] * len(photo["absent"])
        aps.append(average_precision_score(truth, [score[label] for label in labels]))
    return round(float(np.mean(aps)), 4)


def fast_average_precision(truth: np.ndarray, scores: np.ndarray) -> float:
    """sklearn's average_precision_score for one label (ties as one threshold), without its checks: for bootstraps."""
    order = np.argsort(-scores, kind="mergesort")
    y, s = truth[order], scores[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]  # the last item of each run of equal scores
    tps = np.cumsum(y)[last]
    precision = tps / (last + 1)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def fast_mean_ap(truth: np.ndarray, scores: np.ndarray) -> float:
    """mean_ap with fast_average_precision (labels with at least one positive)."""
    cols = [k for k in range(truth.shape[1]) if truth[:, k].any()]
    return float(np.mean([fast_average_precision(truth[:, k], scores[:, k]) for k in cols]))
