"""The Person search tab's pictures: detected people in a frame, the ranked matches, the card's CMC curves.

Torch-free (the CMC curve is drawn while the UI is built)."""

from __future__ import annotations

import cv2
import numpy as np

TILE = 2  # matches are shown at twice the model's crop size


def boxes_picture(frame: np.ndarray, boxes: np.ndarray, chosen: int | None) -> np.ndarray:
    """The frame with each detected person in a numbered box (the chosen one thicker, in yellow)."""
    picture = frame.copy()
    for n, (x, y, w, h) in enumerate(boxes):
        colour, width = ((255, 220, 0), 3) if n == chosen else ((0, 160, 255), 2)
        cv2.rectangle(picture, (int(x), int(y)), (int(x + w), int(y + h)), colour, width)
        cv2.putText(picture, str(n + 1), (int(x) + 3, int(y) + 22), cv2.FONT_HERSHEY_SIMPLEX, 0.8, colour, 2)
    return picture


def matches_picture(matches, query_identity: int | None) -> np.ndarray:
    """Top matches side by side, each captioned with rank, score and camera; a green/red border when the query's
    identity is known (green: the same person)."""
    tiles = []
    for rank, match in enumerate(matches, start=1):
        crop = cv2.resize(match.crop, None, fx=TILE, fy=TILE, interpolation=cv2.INTER_NEAREST)
        colour = (200, 200, 200)
        if query_identity is not None and match.identity is not None:
            colour = (0, 190, 0) if match.identity == query_identity else (220, 0, 0)
        crop = cv2.copyMakeBorder(crop, 6, 6, 6, 6, cv2.BORDER_CONSTANT, value=colour)
        caption = np.full((44, crop.shape[1], 3), 255, np.uint8)
        camera = match.camera.replace("indoor camera", "cam").replace("vtest.avi, ", "vtest ")
        cv2.putText(caption, f"#{rank} {match.score:.2f}", (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
        cv2.putText(caption, camera, (4, 37), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (60, 60, 60), 1)
        tiles.append(np.concatenate([crop, caption], 0))
    gap = np.full((tiles[0].shape[0], 4, 3), 255, np.uint8)
    return np.concatenate([t for tile in tiles for t in (tile, gap)][:-1], 1)


def cmc_picture(report: dict | None) -> np.ndarray | None:
    """The card's CMC curves (target A test, ranks 1-20): ARN against the source-only and oracle baselines."""
    curves = (report or {}).get("cmc") or {}
    if "model" not in curves:
        return None
    w, h, margin = 460, 280, 40
    plot = np.full((h, w, 3), 255, np.uint8)
    cv2.rectangle(plot, (margin, 10), (w - 10, h - margin), (0, 0, 0), 1)
    styles = {
        "model": ((0, 90, 220), "ARN (these weights)"),
        "source_only": ((220, 60, 0), "source only"),
        "target_oracle": ((150, 150, 150), "target oracle (reported)"),
    }
    for n, (key, (colour, label)) in enumerate(styles.items()):
        if key not in curves:
            continue
        cmc = np.asarray(curves[key])
        xs = np.linspace(margin, w - 10, len(cmc))
        ys = (h - margin) - cmc * (h - margin - 10)
        cv2.polylines(plot, [np.stack([xs, ys], 1).astype(np.int32)], False, colour, 2, cv2.LINE_AA)
        cv2.putText(plot, label, (margin + 170, 95 + 18 * n), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)
    for value in (0.0, 0.5, 1.0):
        y = int((h - margin) - value * (h - margin - 10))
        cv2.putText(plot, f"{value:.1f}", (4, y + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    xs = np.linspace(margin, w - 10, len(curves["model"]))
    for k in (1, 5, 10, len(xs)):
        cv2.putText(
            plot,
            str(k),
            (int(xs[k - 1]) - 4 * len(str(k)), h - margin + 16),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4,
            (0, 0, 0),
            1,
        )
    cv2.putText(plot, "rank (target A test)", (w // 2 - 60, h - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
    return plot
