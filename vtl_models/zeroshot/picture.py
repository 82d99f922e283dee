"""The picture of the graph neighbourhood of the top labels: each path that carried belief, edges coloured by kind."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

if TYPE_CHECKING:  # photos.py imports torch and timm: the UI is built before any model code is (app.py)
    from vtl_models.zeroshot.photos import Evidence

EDGE_COLOURS = {  # RGB per edge kind (photo paths and GGNN relations)
    "hypernym": (40, 90, 200),
    "part": (230, 120, 20),
    "context": (140, 60, 170),
    "similar": (120, 120, 120),
    "stuff": (30, 150, 60),
    "subordinate": (0, 150, 150),
    "node": (0, 0, 0),
    "hyponym_of": (40, 90, 200),
    "hypernym_of": (0, 150, 150),
    "positive": (30, 150, 60),
    "negative": (210, 40, 40),
    "part_of": (230, 120, 20),
    "has_part": (170, 90, 0),
}
SCENE_LEGEND = ("hyponym_of", "hypernym_of", "part_of", "has_part", "positive", "negative")
PHOTO_LEGEND = ("hypernym", "part", "context", "stuff", "subordinate", "similar", "embedding")
EDGE_COLOURS["embedding"] = (0, 0, 0)
WIDTH, ROW, BOX_H, GAP, TOP = 960, 44, 28, 34, 54
MAX_NODES = 5  # longer hypernym paths keep their two ends and an ellipsis
PATHS_PER_LABEL, MESSAGES_PER_NODE = 2, 3
MOVED_TOP, MOVED_ROW, BAR_X, BAR_W = 26, 24, 220, 420  # the before/after bars of scene mode
MOVED_COLOURS = {"before": (170, 170, 170), "up": (30, 150, 60), "down": (210, 40, 40)}


@cache  # parsing the bundled font took ~1 ms a call
def _font(size: int = 14) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _shorten(path: list[str]) -> list[str]:
    return path if len(path) <= MAX_NODES else path[:2] + ["…"] + path[-2:]


def _rows(evidence: dict[str, list[Evidence]], scores: dict[str, float], top: int) -> list[tuple[str, list[str], str]]:
    """(edge kind, node names, caption) per drawn row, for the `top` best-scoring labels."""
    rows = []
    for label in sorted(scores, key=lambda k: -scores[k])[:top]:
        found = evidence.get(label, [])
        beliefs = [e for e in found if e.score >= 0.005][:PATHS_PER_LABEL]
        messages = sorted((e for e in found if e.strength > 0), key=lambda e: -e.strength)[:MESSAGES_PER_NODE]
        if not beliefs:
            rows.append(("similar", [label], f"{label}: {scores[label]:.2f} (no path carried belief)"))
        for e in beliefs:
            source = e.source.split(":", 1)[-1]
            nodes = [source] + [n for n in e.path if n != source and n != label]
            if e.edge == "node":  # seen nodes see the image; unseen and typed ones only the ImageNet prior
                start = "image + word vector" if "(seen)" in source else "ImageNet prior + word vector"
                nodes = [start, f"{source} node"]
            rows.append((e.edge, _shorten(nodes) + [f"{label} {e.score:.2f}"], f"{e.edge} edge"))
        for e in messages:
            caption = f"GGNN message ({e.edge}) {e.strength:.1f}"
            rows.append((e.edge, [*e.path, f"{label} {scores[label]:.2f}"], caption))
    return rows


def graph_picture(
    evidence: dict[str, list[Evidence]],
    scores: dict[str, float],
    mode: str,
    top: int = 5,
    moved: dict[str, tuple[float, float]] | None = None,
) -> np.ndarray:
    """uint8 RGB picture: one row per belief path (source -> ... -> label), edge colour = kind, legend on top; in
    scene mode, below them, one bar pair per unseen label: its score before and after propagation (`moved`)."""
    rows = _rows(evidence, scores, top)
    moved = moved or {}
    font, small = _font(14), _font(12)
    height = TOP + ROW * max(len(rows), 1) + 10 + (MOVED_TOP + MOVED_ROW * len(moved) if moved else 0)
    canvas = Image.new("RGB", (WIDTH, height), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    title = "scene mode: the GGNN's label graph" if mode == "scene" else "photo mode: ImageNet classes and detectors"
    draw.text((10, 8), title + " -> WordNet -> your labels", fill=(0, 0, 0), font=font)
    x_legend = 10
    kinds = SCENE_LEGEND if mode == "scene" else PHOTO_LEGEND
    for kind in kinds:
        draw.line([(x_legend, 35), (x_legend + 18, 35)], fill=EDGE_COLOURS[kind], width=3)
        draw.text((x_legend + 22, 28), kind, fill=(60, 60, 60), font=small)
        x_legend += 22 + int(draw.textlength(kind, font=small)) + 12
    for i, (kind, nodes, caption) in enumerate(rows):
        y, x = TOP + i * ROW, 10
        colour = EDGE_COLOURS.get(kind, (0, 0, 0))
        for j, name in enumerate(nodes):
            text = name[:28]
            w = int(draw.textlength(text, font=font)) + 12
            if x + w > WIDTH - 10:
                break
            last = j == len(nodes) - 1
            fill = (255, 244, 200) if last else (238, 242, 250)
            draw.rounded_rectangle([x, y, x + w, y + BOX_H], radius=6, fill=fill, outline=(90, 90, 90))
            draw.text((x + 6, y + 6), text, fill=(0, 0, 0), font=font)
            x += w
            if not last:
                draw.line([(x, y + BOX_H // 2), (x + GAP - 6, y + BOX_H // 2)], fill=colour, width=3)
                draw.polygon(
                    [(x + GAP, y + BOX_H // 2), (x + GAP - 8, y + BOX_H // 2 - 5), (x + GAP - 8, y + BOX_H // 2 + 5)],
                    fill=colour,
                )
                x += GAP
        draw.text((x + 10, y + 8), caption, fill=(110, 110, 110), font=small)
    if moved:
        _draw_moved(draw, moved, TOP + ROW * max(len(rows), 1) + 10)
    return np.asarray(canvas)


def _draw_moved(draw: ImageDraw.ImageDraw, moved: dict[str, tuple[float, float]], y0: int) -> None:
    """Bars of each unseen label's score before (grey) and after (green up, red down) the GGNN's propagation."""
    font, small = _font(14), _font(12)
    draw.text((10, y0), "what propagation did to each unseen label: score before -> after", fill=(0, 0, 0), font=font)
    for i, (label, (before, after)) in enumerate(sorted(moved.items(), key=lambda item: -abs(item[1][1] - item[1][0]))):
        y = y0 + MOVED_TOP + i * MOVED_ROW
        draw.text((10, y + 2), label[:24], fill=(0, 0, 0), font=font)
        draw.rectangle([BAR_X, y + 2, BAR_X + int(BAR_W * before), y + 9], fill=MOVED_COLOURS["before"])
        colour = MOVED_COLOURS["up" if after >= before else "down"]
        draw.rectangle([BAR_X, y + 12, BAR_X + int(BAR_W * after), y + 19], fill=colour)
        text = f"{before:.2f} -> {after:.2f} ({after - before:+.2f})"
        draw.text((BAR_X + BAR_W + 12, y + 4), text, fill=(60, 60, 60), font=small)
