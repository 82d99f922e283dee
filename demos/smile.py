"""Tab: Smile transfer: a face (photo or cartoon) -> the other domain, smile switched, from one representation.

Method: CDRD, "Detach and Adapt: Learning Cross-Domain Disentangled Deep Representation" (CVPR 2018), with the
encoder extension that translates a given image.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from demos.common import (
    domain_note,
    get_predictor,
    guarded,
    png_file,
    quality_accordion,
    readable_image,
)
from vtl_models.hub import read_card
from vtl_models.registry import tab
from vtl_models.smile.limits import DOMAINS, STRENGTH_RANGE, cartoons_of

if TYPE_CHECKING:  # the predictor imports torch: the UI is built before any model code is (app.py)
    from vtl_models.smile.predictor import SmileTransfer

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples" / "smile"
TAB = tab("smile")
# what the served weights know, by the card's cartoon world (training.cartoons), and the examples of its cartoons:
# procedural test faces, or held-out Lorelei test faces (their licence in the examples' README)
KNOWN = {
    "procedural": "The default weights know only two procedural domains (shaded photo-like faces and flat cartoon "
    "faces, {size}x{size} pixels).",
    "lorelei": "The default weights know two domains at {size}x{size} pixels: procedural shaded photo-like faces and "
    "artist-drawn cartoon faces, the **Lorelei** style by Lisa Wischofsky (CC0 1.0) via DiceBear. A real photo is "
    "neither: it is flagged as outside what the model knows, and still rendered as a photo and as a cartoon with "
    "the smile moved, roughly.",
}
CARTOON_EXAMPLES = {"procedural": "cartoon_*", "lorelei": "lorelei_*"}
EXAMPLES_LABEL = {
    "procedural": "Examples: procedural faces, a real photo",
    "lorelei": "Examples: held-out Lorelei cartoons, procedural photos, a real photo",
}


def _at_slider(result: SmileTransfer) -> str:
    """The photo and the cartoon at the slider's smile, side by side: one output file (each costs a transfer)."""
    return png_file(result.at_slider, "smile_at_slider")


def _transfer(image, strength: float, domain: str) -> SmileTransfer:
    return get_predictor("smile").predict(image, float(strength), str(domain or "auto"))


@guarded
def smile_transfer(image, strength: float, domain: str):
    """Event handler and the tab's main endpoint: face -> (2x2 grid, info); the transfer is kept for the slider.

    One transfer per click renders the grid and the slider's smile together. Only the grid is written here:
    gradio_client fetches each output file with a new connection (what that costs: p50_no_download_ms in
    benchmarks/serve.py), so the slider's picture and the crop are written by a UI-only step after it, from the
    kept result (a gr.State, which the API does not return). The grid is the download (gr.Image's own button)."""
    result = _transfer(image, strength, domain)
    info = (
        f"{result.message}  \nRead as a **{result.domain}** face; the model's smile estimate for it: "
        f"{result.smile_probability:.2f}.  \nGrid rows: photo, cartoon; columns: smile off, smile on."
    ) + domain_note(result.domain_check, "No tab here translates real faces.")
    return png_file(result.grid, "smile_grid"), info, result


def slider_and_crop(result: SmileTransfer | None):
    """UI-only step after the main endpoint: the slider's picture and the face crop, from the kept transfer."""
    if result is None:  # the transfer failed and said why
        return gr.skip(), gr.skip()
    return _at_slider(result), png_file(result.input_crop)


@guarded
def smile_at_strength(image, strength: float, domain: str):
    """Event handler and endpoint: face -> the photo | cartoon picture at the given smile strength."""
    if image is None:
        return gr.skip()
    return _at_slider(_transfer(image, strength, domain))


@guarded
def sample_faces(seed: float):
    """Event handler: new random latents rendered in both domains, smile off and on."""
    return png_file(get_predictor("smile").sample(int(seed), n=6))


def examples(cartoons: str) -> list[str]:
    """The tab's examples for weights of the cartoon world `cartoons`: its cartoons, procedural photos, a real photo."""
    patterns = (CARTOON_EXAMPLES[cartoons], "photo_*", "real_*")
    return sorted(str(p) for pattern in patterns for p in EXAMPLES_DIR.glob(pattern))


def create_demo() -> gr.Blocks:
    """The tab's full UI; the model is loaded on the first request."""
    card = read_card("smile")  # plain JSON: no model load while the UI is built
    size, cartoons = card.raw["input"]["size"], cartoons_of(card)
    with gr.Blocks() as demo:
        gr.Markdown(
            "Give a face (upload, webcam, or an example of each domain). The app finds the face, encodes it into one "
            "representation, and renders it as a **photo** and as a **cartoon**, with the **smile** off and on. "
            + KNOWN[cartoons].format(size=size)
        )
        with gr.Row():
            with gr.Column():
                image = readable_image(
                    gr.Image(label="Face", type="filepath", image_mode=None, sources=["upload", "webcam", "clipboard"])
                )
                domain = gr.Radio(["auto", *DOMAINS], value="auto", label="Input domain")
                strength = gr.Slider(*STRENGTH_RANGE, value=1.0, step=0.05, label="Smile strength (attribute code)")
                run = gr.Button("Translate", variant="primary")
                crop = gr.Image(label="Face crop given to the model", type="filepath", interactive=False, height=160)
                info = gr.Markdown()
            with gr.Column():
                grid = gr.Image(
                    label="Rows: photo, cartoon. Columns: smile off, on (download: its corner button)",
                    type="filepath",
                    interactive=False,
                )
                at_slider = gr.Image(
                    label="At the slider's smile: photo (left), cartoon (right)", type="filepath", interactive=False
                )
        gr.Examples(examples(cartoons), inputs=[image], label=EXAMPLES_LABEL[cartoons])
        with gr.Row():
            seed = gr.Number(value=0, precision=0, label="Seed")
            sample = gr.Button("Sample new faces")
        samples = gr.Image(
            label="Same latent per column; rows: photo smile off/on, cartoon smile off/on", interactive=False
        )
        kept = gr.State()
        run.click(
            smile_transfer, inputs=[image, strength, domain], outputs=[grid, info, kept], api_name=TAB.api_name
        ).success(slider_and_crop, inputs=[kept], outputs=[at_slider, crop], api_name=False)
        strength.release(
            smile_at_strength, inputs=[image, strength, domain], outputs=[at_slider], api_name="smile_at_strength"
        )
        sample.click(sample_faces, inputs=[seed], outputs=[samples], api_name="smile_sample")
        quality_accordion("smile")
    return demo
