"""Tab: Zero-shot labels. (ML-ZSL: multi-label zero-shot learning with structured knowledge graphs, CVPR 2018)"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from demos.common import get_predictor, guarded, png_file, quality_accordion, readable_image
from vtl_models.hub import read_card
from vtl_models.registry import tab
from vtl_models.zeroshot.limits import DEFAULT_LABELS, MAX_LABEL_CHARS, MAX_LABELS
from vtl_models.zeroshot.picture import graph_picture

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples" / "zeroshot"
SCENE_LABELS = "wheel, sail, trunk, window, headlight, vehicle, building, animal, car, sailboat, house"
EXAMPLES = (  # real photos first, then generated scenes
    ("squirrel.jpg", DEFAULT_LABELS),
    ("messi5.jpg", "person, ball, grass, animal, car, sky, tree"),
    ("fruits.jpg", "fruit, citrus, lemon, orange, food, animal, vehicle"),
    ("world_sailboat.png", SCENE_LABELS),
    ("world_car_house.png", SCENE_LABELS),
    ("world_truck_tree.png", SCENE_LABELS),
)
MODE_CHOICES = [("Auto (by the image)", "auto"), ("Generated scene (trained GGNN)", "scene"), ("Real photo", "photo")]
TAB = tab("zeroshot")


@guarded
def zero_shot(image, labels: str, mode: str = "auto"):
    """Image + comma-separated labels -> (scores, picture of the belief paths, a note on the mode used)."""
    predictor = get_predictor("zeroshot")
    prediction = predictor.predict(image, labels, mode=mode or "auto")
    picture = graph_picture(prediction.evidence, prediction.scores, prediction.mode, moved=prediction.moved)
    card = predictor.card.raw
    how = (
        f"the ML-ZSL gated graph network over the {len(card['labels'])} scene labels ({len(card['seen_labels'])} "
        f"seen in training, {len(card['unseen_labels']) + len(card.get('validation_unseen_labels', []))} never) "
        "and your labels"
        if prediction.mode == "scene"
        else "ImageNet beliefs (whole image + 4 crops), detectors, colour priors and word vectors, through WordNet "
        "with fixed edge weights (no learned weights)"
    )
    note = (
        f"**Mode:** {prediction.mode} (scene likeness {prediction.scene_likeness:.2f}; "
        f"{'chosen automatically' if mode in (None, '', 'auto') else 'chosen by you'}): {how}."
    )
    return prediction.scores, png_file(picture, "graph"), note


def create_demo() -> gr.Blocks:
    """The Zero-shot labels tab (UI only; the models are built on the first request)."""
    card = read_card("zeroshot").raw
    with gr.Blocks() as demo:
        gr.Markdown(
            "Give an image and type **any label names** (English nouns, comma-separated), including ones no model "
            "here was trained on. Each label is found in WordNet and scored through a knowledge graph; the picture "
            "shows the paths (edges) that carried the belief.\n\n"
            f"**Generated scenes:** the trained ML-ZSL graph network; seen labels: {', '.join(card['seen_labels'])}; "
            f"never trained: {', '.join(card['unseen_labels'] + card.get('validation_unseen_labels', []))}; the "
            "picture shows how much propagation through the graph moved each of them. "
            "**Real photos:** the 1,000 ImageNet classes of "
            "EfficientNet-Lite0 on the whole image and 4 corner crops, OpenCV's people and face detectors, colour "
            "priors (sky, clouds, grass, water) and GloVe word vectors, linked to your labels by WordNet hypernyms, "
            "parts and similarity, with fixed edge weights: photo mode has no learned weights, and its figures (on the "
            "photos it was tuned on and on held-out ones) are in the accordion below. "
            f"At most {MAX_LABELS} labels of at most {MAX_LABEL_CHARS} characters."
        )
        with gr.Row():
            with gr.Column():
                image = readable_image(
                    gr.Image(label="Image", type="filepath", sources=["upload", "clipboard"], height=320)
                )
                labels = gr.Textbox(value=DEFAULT_LABELS, label="Labels (comma-separated)", max_lines=3)
                mode = gr.Radio(MODE_CHOICES, value="auto", label="Kind of image")
                run = gr.Button("Score the labels", variant="primary")
                gr.Examples(
                    [[str(EXAMPLES_DIR / name), text] for name, text in EXAMPLES if (EXAMPLES_DIR / name).exists()],
                    inputs=[image, labels],
                    label="Examples: real photos (OpenCV samples), then generated scenes (held-out seeds)",
                )
            with gr.Column():
                note = gr.Markdown()
                scores = gr.Label(label="Scores (0-1) of your labels", num_top_classes=12)
                graph = gr.Image(
                    label="Graph neighbourhood of the top labels: the paths that carried belief (scene mode: each "
                    "unseen label's score before and after propagation)",
                    type="filepath",
                    interactive=False,
                )
        run.click(zero_shot, [image, labels, mode], [scores, graph, note], api_name=TAB.api_name)
        quality_accordion("zeroshot")
    return demo
