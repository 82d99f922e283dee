"""Tab: Person search. (ARN, CVPRW 2018)"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import gradio as gr
import numpy as np

from demos.common import (
    domain_note,
    eval_report,
    get_predictor,
    guarded,
    png_file,
    quality_accordion,
    readable_image,
)
from vtl_models.images import fit_longest_side, to_rgb
from vtl_models.registry import tab

TAB = tab("reid")
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples" / "reid"
TOP_K = 10
TILE = 2  # matches are shown at twice the model's 128x64 crop size
REAL_PEOPLE = (
    "Real people, such as those in vtest.avi, are flagged like this: the model learnt from generated pedestrians "
    "only. The search still runs; how well it does on real video is under *How well does it work?* "
    "(real_rank1, real_mAP)."
)
_QUERY_NAME = re.compile(r"_id(\d+)_camera(\d+)")  # example queries name their identity and camera


def query_examples() -> list[str]:
    """The camera views a visitor can pick a query from: procedural indoor crops and a real vtest.avi frame."""
    files = sorted(EXAMPLES_DIR.glob("indoor_id*.png")) + sorted(EXAMPLES_DIR.glob("vtest_*.jpg"))
    return [str(p) for p in files]


def _known_query(image) -> tuple[int | None, int | None]:
    """(identity, 0-based camera) of an example query, from its file name; (None, None) for uploads."""
    found = _QUERY_NAME.search(Path(str(image)).name) if isinstance(image, (str, Path)) else None
    return (int(found[1]), int(found[2]) - 1) if found else (None, None)


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


@guarded
def search(image, person: float = 1, top_k: float = TOP_K):
    """Image (crop or frame) -> (query picture: the crop, or the frame with numbered people; matches; summary)."""
    if image is None:
        raise gr.Error("Give a person: pick a camera view below, or upload a person crop or a camera frame.")
    identity, camera = _known_query(image)
    rgb = fit_longest_side(to_rgb(image), 1280)
    predictor = get_predictor("reid")
    result = predictor.predict(rgb, person=int(person or 1), top_k=int(top_k or TOP_K), exclude_camera=camera)
    if len(result.boxes):
        query = boxes_picture(rgb, result.boxes, result.person)
        found = f"{len(result.boxes)} people found; searching for person {result.person + 1}. "
    else:
        query, found = result.query, ""
    if identity is not None:
        correct = sum(m.identity == identity for m in result.matches)
        verdict = (
            f"The query is person {identity} (its own camera, {camera + 1}, left out): {correct} of the top "
            f"{len(result.matches)} are that person (green)."
        )
    else:
        verdict = "The query's identity is unknown here, so matches have no green/red border."
    summary = found + verdict + domain_note(result.domain, REAL_PEOPLE)
    return png_file(query, "query"), png_file(matches_picture(result.matches, identity), "matches"), summary


def create_demo() -> gr.Blocks:
    """The Person search tab (UI only; the model is built on the first request)."""
    report = eval_report("reid")
    with gr.Blocks() as demo:
        gr.Markdown(
            "Pick a person seen by one camera, or upload a person crop or a whole camera frame (people are found by "
            "OpenCV's HOG detector; choose one by number). The model ranks a gallery of 1,000 crops of 250 people "
            "seen by 4 indoor cameras (procedural, the unlabelled target domain the model adapted to) plus real "
            "pedestrians tracked in OpenCV's vtest.avi, by cosine similarity of ARN's shared feature.\n\n"
            "Borders: **green** = the same person as the query, **red** = someone else (shown where identities are "
            "known: for the example views, whose names carry the person's id)."
        )
        with gr.Row():
            with gr.Column(scale=2):
                image = readable_image(
                    gr.Image(label="Query: a person crop or a camera frame", type="filepath", height=300)
                )
                person = gr.Number(value=1, precision=0, minimum=1, maximum=12, label="Person # (in a frame)")
                top_k = gr.Slider(1, 20, value=TOP_K, step=1, label="Matches to show")
                run = gr.Button("Search the other cameras", variant="primary")
                gr.Examples([[p] for p in query_examples()], inputs=[image], label="Camera views to pick from")
            with gr.Column(scale=3):
                query = gr.Image(label="Query (frames: detected people, numbered)", type="filepath", height=300)
                summary = gr.Markdown()
        matches = gr.Image(label="Top matches (rank, cosine similarity, camera)", type="filepath")
        run.click(search, [image, person, top_k], [query, matches, summary], api_name=TAB.api_name)
        cmc = cmc_picture(report)
        if cmc is not None:
            gr.Image(png_file(cmc, "cmc"), label="CMC curve of these weights (card)", interactive=False, height=270)
        quality_accordion("reid")
    return demo
