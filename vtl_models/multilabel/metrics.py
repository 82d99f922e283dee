"""The paper's multi-label metrics (mAP, per-class and overall P/R/F1) and the attention pointing game."""

from __future__ import annotations

import cv2
import numpy as np
from sklearn.metrics import average_precision_score, precision_score, recall_score

# The pointing game's 15-pixel tolerance at 224 px, scaled to the 128 px scenes.
POINTING_TOLERANCE = 8


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def multilabel_metrics(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """truth, predicted: (N, K) 0/1; scores: (N, K) ranking scores. CF1 and OF1 from CP/CR and OP/OR, as the paper."""
    truth, predicted = truth.astype(int), predicted.astype(int)
    has_pos = truth.sum(0) > 0
    m_ap = float(np.mean([average_precision_score(truth[:, k], scores[:, k]) for k in np.nonzero(has_pos)[0]]))
    cp = float(precision_score(truth, predicted, average="macro", zero_division=0))
    cr = float(recall_score(truth, predicted, average="macro", zero_division=0))
    op = float(precision_score(truth, predicted, average="micro", zero_division=0))
    orec = float(recall_score(truth, predicted, average="micro", zero_division=0))
    out = {"mAP": m_ap, "CP": cp, "CR": cr, "CF1": _f1(cp, cr), "OP": op, "OR": orec, "OF1": _f1(op, orec)}
    return {key: round(value, 4) for key, value in out.items()}


def peak(attention: np.ndarray, size: int) -> tuple[int, int]:
    """(row, col) of the maximum of a (h, w) map upsampled bilinearly to size x size."""
    up = cv2.resize(attention.astype(np.float32), (size, size), interpolation=cv2.INTER_LINEAR)
    return tuple(int(i) for i in np.unravel_index(int(up.argmax()), up.shape))


def pointing_hits(attention: np.ndarray, mask: np.ndarray, tolerance: int = POINTING_TOLERANCE) -> bool:
    """Whether the peak of `attention` (h, w) lies within `tolerance` pixels of `mask` (H, W bool)."""
    row, col = peak(attention, mask.shape[0])
    r0, r1 = max(0, row - tolerance), row + tolerance + 1
    c0, c1 = max(0, col - tolerance), col + tolerance + 1
    window = mask[r0:r1, c0:c1]
    if not window.any():
        return False
    rr, cc = np.nonzero(window)
    return bool((((rr + r0 - row) ** 2 + (cc + c0 - col) ** 2) <= tolerance**2).any())
