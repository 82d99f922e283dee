"""The Labels + attention tab's picture: each emitted label's attention overlay, captioned, on one sheet."""

from __future__ import annotations

import cv2
import numpy as np

SHEET_COLUMNS = 4
CAPTION = 30  # px of caption strip under each attention panel


def attention_sheet(overlays: list[np.ndarray], captions: list[str]) -> np.ndarray:
    """The per-label attention overlays as one picture, each captioned underneath, up to SHEET_COLUMNS per row.

    One picture instead of a gallery of one file per label: gradio_client fetches each output file with a new
    connection (what that costs: p50_no_download_ms in benchmarks/serve.py)."""
    side = overlays[0].shape[0]
    panels = []
    for picture, caption in zip(overlays, captions, strict=True):
        strip = np.full((CAPTION, side, 3), 255, np.uint8)
        cv2.putText(strip, caption, (6, CAPTION - 9), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
        panels.append(np.concatenate([picture, strip], 0))
    if len(panels) > SHEET_COLUMNS:  # blank panels complete the last row
        panels += [np.full_like(panels[0], 255)] * (-len(panels) % SHEET_COLUMNS)
    rows = [np.concatenate(panels[i : i + SHEET_COLUMNS], 1) for i in range(0, len(panels), SHEET_COLUMNS)]
    return np.concatenate(rows, 0)
