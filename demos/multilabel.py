"""Tab: Labels + attention. (Order-Free RNN with Visual Attention, AAAI 2018)"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from demos.common import domain_note, get_predictor, guarded, png_file, quality_accordion, readable_image
from vtl_models.hub import has_card, read_card
from vtl_models.multilabel.limits import MAX_BEAM
from vtl_models.multilabel.picture import attention_sheet
from vtl_models.multilabel.vocab import LABELS
from vtl_models.registry import tab

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples" / "multilabel"
EXAMPLES = ("scene_lake.png", "scene_sunset_sea.png", "scene_snow.png", "scene_beach.png", "home.jpg", "building.jpg")
TAB = tab("multilabel")
MAX_PANELS = 8  # the decoder emits at most this many labels


def _default_beam() -> int:
    # the predictor's default, read from the card (plain JSON: no model load while the UI is built)
    return int(read_card("multilabel").raw["decoding"]["beam"]) if has_card("multilabel") else 1


@guarded
def label_image(image, beam: float | None = None, threshold: float = 0.0):
    """Image -> (labels with confidences, one picture of the captioned attention overlays, the emitted order)."""
    predictor = get_predictor("multilabel")
    prediction = predictor.predict(image, beam=None if beam is None else int(beam), threshold=float(threshold))
    order = "**Emitted in this order:** " + (" → ".join(prediction.labels) if prediction.labels else "no label")
    order += domain_note(prediction.domain, "For labels of real photos, use the **Zero-shot labels** tab.")
    if not prediction.labels:
        gr.Warning(f"None of the {len(LABELS)} labels was found (or all fell below the confidence threshold).")
        return {}, None, order
    names = [f"{step}. {name}" for step, name in enumerate(prediction.labels, start=1)]
    captions = [f"{name} ({conf:.2f})" for name, conf in zip(names, prediction.confidences, strict=True)]
    sheet = attention_sheet(predictor.overlays(prediction)[:MAX_PANELS], captions[:MAX_PANELS])
    return dict(zip(names, prediction.confidences, strict=True)), png_file(sheet, "attention"), order


def create_demo() -> gr.Blocks:
    """The Labels + attention tab (UI only; the model is built on the first request)."""
    with gr.Blocks() as demo:
        gr.Markdown(
            "Give an image; the model names every label it sees, **one at a time** (an LSTM that looks at a "
            "different place for each label, with no fixed label order), and shows where it looked for each.\n\n"
            f"**Vocabulary ({len(LABELS)} labels):** {', '.join(LABELS)}.\n\n"
            f"**Trained on:** {read_card('multilabel').raw['trained_on']}. Real photos are accepted, but they are "
            "far from that domain: expect rough answers on them."
        )
        with gr.Row():
            with gr.Column():
                image = readable_image(
                    gr.Image(label="Image", type="filepath", sources=["upload", "clipboard"], height=320)
                )
                with gr.Accordion("Decoding", open=False):
                    beam = gr.Slider(
                        1,
                        MAX_BEAM,
                        value=_default_beam(),
                        step=1,
                        label="Beam width (1 = greedy; default chosen on validation)",
                    )
                    threshold = gr.Slider(
                        0.0, 1.0, value=0.0, step=0.05, label="Hide labels emitted with confidence below"
                    )
                run = gr.Button("Find labels", variant="primary")
                gr.Examples(
                    [[str(EXAMPLES_DIR / name)] for name in EXAMPLES if (EXAMPLES_DIR / name).exists()],
                    inputs=[image],
                    label="Examples: generated scenes (held-out seeds) and real photos (OpenCV samples)",
                )
            with gr.Column():
                order = gr.Markdown()
                labels = gr.Label(label="Labels (numbered in the order the model emitted them)", num_top_classes=8)
                sheet = gr.Image(
                    label="Where it looked, per label (in the order emitted; download: its corner button)",
                    type="filepath",
                    interactive=False,
                )
        run.click(label_image, [image, beam, threshold], [labels, sheet, order], api_name=TAB.api_name)
        quality_accordion("multilabel")
    return demo
