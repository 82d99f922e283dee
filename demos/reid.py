"""Tab: Person search. (ARN, CVPRW 2018)"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from demos.common import (
    domain_note,
    eval_report,
    get_predictor,
    guarded,
    png_file,
    quality_accordion,
    readable_image,
)
from vtl_models.registry import tab
from vtl_models.reid.limits import MAX_PEOPLE
from vtl_models.reid.picture import boxes_picture, cmc_picture, matches_picture

TAB = tab("reid")
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples" / "reid"
TOP_K = 10
SHOWN_TOP_K = 20  # the most matches the tab offers to show: one row of them stays readable
REAL_PEOPLE = (
    "Real people, such as those in vtest.avi, are flagged like this: the model learnt from generated pedestrians "
    "only. The search still runs; how well it does on real video is under *How well does it work?* "
    "(real_rank1, real_mAP)."
)


def query_examples() -> list[list]:
    """The camera views a visitor can pick a query from, each with its person and camera where known: procedural
    indoor crops and a real vtest.avi frame (rows for gr.Examples of image, identity, camera)."""
    queries = json.loads((EXAMPLES_DIR / "queries.json").read_text())  # written with the views by reid.gallery
    return [[str(EXAMPLES_DIR / q["file"]), q["identity"], q["camera"]] for q in queries]


@guarded
def search(image, person: float = 1, top_k: float = TOP_K, identity: float | None = None, camera: float | None = None):
    """Image (crop or frame) + the query's person and camera where known -> (query picture: the crop, or the frame
    with numbered people; matches; summary). The query's own camera (1-based) is left out of the gallery."""
    if image is None:
        raise gr.Error("Give a person: pick a camera view below, or upload a person crop or a camera frame.")
    identity = None if identity is None else int(identity)
    camera = None if camera is None else int(camera) - 1
    predictor = get_predictor("reid")
    result = predictor.predict(image, person=int(person or 1), top_k=int(top_k or TOP_K), exclude_camera=camera)
    if len(result.boxes):
        query = boxes_picture(result.frame, result.boxes, result.person)
        found = f"{len(result.boxes)} people found; searching for person {result.person + 1}. "
    else:
        query, found = result.query, ""
    if identity is not None:
        correct = sum(m.identity == identity for m in result.matches)
        own = "" if camera is None else f" (its own camera, {camera + 1}, left out)"
        verdict = (
            f"The query is person {identity}{own}: {correct} of the top {len(result.matches)} are that person (green)."
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
            "Borders: **green** = the same person as the query, **red** = someone else (shown where the query's "
            "person is known: the example views fill it in, with their camera, which the search leaves out)."
        )
        with gr.Row():
            with gr.Column(scale=2):
                image = readable_image(
                    gr.Image(label="Query: a person crop or a camera frame", type="filepath", height=300)
                )
                person = gr.Number(value=1, precision=0, minimum=1, maximum=MAX_PEOPLE, label="Person # (in a frame)")
                top_k = gr.Slider(1, SHOWN_TOP_K, value=TOP_K, step=1, label="Matches to show")
                with gr.Row():
                    identity = gr.Number(None, precision=0, label="The query's person id, if known")
                    camera = gr.Number(None, precision=0, minimum=1, label="Its camera, if known (left out)")
                run = gr.Button("Search the other cameras", variant="primary")
                gr.Examples(query_examples(), inputs=[image, identity, camera], label="Camera views to pick from")
            with gr.Column(scale=3):
                query = gr.Image(label="Query (frames: detected people, numbered)", type="filepath", height=300)
                summary = gr.Markdown()
        matches = gr.Image(label="Top matches (rank, cosine similarity, camera)", type="filepath")
        run.click(search, [image, person, top_k, identity, camera], [query, matches, summary], api_name=TAB.api_name)
        for event in (image.upload, image.clear):  # a query of the visitor's own: who and where are unknown
            event(lambda: (None, None), None, [identity, camera], api_name=False)
        cmc = cmc_picture(report)
        if cmc is not None:
            gr.Image(png_file(cmc, "cmc"), label="CMC curve of these weights (card)", interactive=False, height=270)
        quality_accordion("reid")
    return demo
