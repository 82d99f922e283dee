"""The label vocabulary of the procedural scenes; the one place it is defined (the zero-shot tab reuses it)."""

from __future__ import annotations

# Order is the output order of every model; do not reorder without retraining.
LABELS: tuple[str, ...] = (
    "sky",
    "clouds",
    "sun",
    "sunset",
    "moon",
    "bird",
    "mountain",
    "snow",
    "water",
    "lake",
    "ocean",
    "beach",
    "boat",
    "grass",
    "tree",
    "house",
    "person",
    "car",
)
INDEX: dict[str, int] = {name: i for i, name in enumerate(LABELS)}
NUM_LABELS = len(LABELS)

# What each label's evaluation mask covers (the label is present iff its mask has >= MIN_MASK_PIXELS pixels).
MASK_MEANING: dict[str, str] = {
    "sky": "visible sky, clouds and sun excluded",
    "sunset": "the whole sunset sky: sky, sun and clouds",
    "water": "visible lake or ocean surface",
    "lake": "visible lake surface (water with a far shore)",
    "ocean": "visible sea surface (water meeting the sky at the horizon)",
    "snow": "snow caps and snow-covered ground",
}
MIN_MASK_PIXELS = 6

# Implications the generator guarantees (left implies every label on the right).
IMPLIES: dict[str, tuple[str, ...]] = {
    "sunset": ("sun", "sky"),
    "lake": ("water",),
    "ocean": ("water",),
    "boat": ("water",),
    "sun": ("sky",),
    "moon": ("sky",),
}

TRAINED_ON = (
    "128x128 procedural outdoor scenes (sky, sea, lakes, mountains, snow, beaches, trees, houses, people, cars, "
    "boats, birds, sun and moon) drawn by vtl_models/multilabel/render.py; no real photos"
)
