"""Tab: Video completion: a few anchor frames at chosen steps (or a short clip) -> whole sequences, several samples.

Method: stochastic & recurrent conditional GAN (SR-cGAN), "Completing videos from a deep glimpse": a VAE frame
encoder/decoder, a recurrent generator over frame latents conditioned on the anchors and a per-sample code, frame and
video discriminators.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import gradio as gr

from demos.common import domain_note, get_predictor, guarded, output_file, quality_accordion
from vtl_models.hub import read_card
from vtl_models.registry import tab
from vtl_models.video.limits import MAX_FRAMES, MAX_LENGTH, MAX_SAMPLES, MODES

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples" / "video"
TAB = tab("video")
SCALE = 4  # display upscaling (nearest) of the model's small frames
FPS = 4
PROGRESS = gr.Progress()  # gradio fills a parameter whose default is a Progress with the event's progress bar


@guarded
def video_completion(clip, more_frames, mode, steps_text, length, frame_step, samples, seed, progress=PROGRESS):
    """Event handler and the tab's main endpoint -> (animated GIF: [truth |] samples side by side, MP4, info)."""
    import imageio.v2 as imageio

    predictor = get_predictor("video")
    progress(0.2, desc="Reading frames and completing the sequence")
    result = predictor.predict(
        clip, more_frames, str(mode), steps_text, length, frame_step, samples=int(samples), seed=int(seed)
    )
    progress(0.7, desc="Writing the GIF and MP4")
    movie = result.movie(SCALE)
    key = hashlib.sha256(movie.tobytes()).digest()
    gif = output_file("completion.gif", key, lambda p: imageio.mimsave(p, list(movie), duration=1000 / FPS, loop=0))
    mp4 = output_file(
        "completion.mp4",
        key,
        lambda p: imageio.mimsave(p, list(movie), fps=FPS, codec="libx264", macro_block_size=2, quality=8),
    )
    # short: gradio_client callers may test each string output as a path (names are limited to 255 bytes)
    done = result.completion
    info = (
        f"**Columns:** {' | '.join(result.columns)}. {result.length} frames; anchors (orange) at steps "
        f"{', '.join(str(s + 1) for s in done.anchors)}{result.note}. "
        + (f"Samples differ by {done.diversity:.3f} (mean L1); " if len(done.sequences) > 1 else "")
        + (f"{done.copy_share:.0%} of free pixels from the anchors' blend." if done.copy_share is not None else "")
        + gate_note(done.fidelity, done.trusted, predictor.gate_db)
    ) + domain_note(done.domain, other_videos(predictor.size))
    return gif, mp4, info


def gate_note(fidelity: float | None, trusted: bool, gate_db: float | None) -> str:
    """What the served path's gate did with this request (nothing to say without a gate)."""
    if gate_db is None or fidelity is None:
        return ""
    if trusted:
        return f" The model reconstructs these anchors at {fidelity:.1f} dB (gate {gate_db:.1f} dB): the model served."
    return (
        f" **The model reconstructs these anchors at only {fidelity:.1f} dB (gate {gate_db:.1f} dB, chosen on "
        "validation clips): every sample is the plain linear blend of the anchors, not the model's output.**"
    )


def other_videos(size: int) -> str:
    """Where scenes other than the training ones stand, for a model working at `size` pixels."""
    return (
        f"The model learnt moving coloured shapes and a street camera (vtest.avi) at {size}x{size} pixels; scenes "
        "whose anchors it cannot reconstruct, most real footage such as the tree.avi example, get the linear blend "
        "of the anchors (real_interp_psnr under *How well does it work?*)."
    )


def create_demo() -> gr.Blocks:
    """The tab's full UI; the model is loaded on the first request."""
    size = read_card("video").raw["input"]["size"]  # plain JSON: no model load while the UI is built
    with gr.Blocks() as demo:
        gr.Markdown(
            "Give a short clip (GIF/MP4) or a few frames, choose which time steps are anchors, and get the whole "
            "sequence filled in, as several different samples. **Interpolation**: frames 1 and 8 given, 8 frames "
            "out. **Prediction**: frames 1-6 given (or all your frames), 16 frames out. **Custom**: your steps. "
            f"The default model works at {size}x{size} pixels and knows moving coloured shapes best. Anchor steps "
            "(orange border) show the model's own output there. Each sample has its own random code: where the "
            "anchors leave the motion open (a turn or bounce between or after them), the samples differ; the spread "
            "map beside them is bright where they disagree (black: they agree; full at a mean difference of 0.25). "
            "Served frames mix the decoder's output with a time-weighted blend of the nearest anchors through a "
            "learned mask; the text under the result says how much was copied. Where the model reconstructs the "
            "anchors poorly (most real footage), the tab serves the plain linear blend of the anchors instead, and "
            "says so."
        )
        with gr.Row():
            with gr.Column():
                clip = gr.File(
                    label="A short clip (GIF, MP4, ...) or the first frame (an image)",
                    file_types=["image", "video", ".gif"],
                    type="filepath",
                )
                more = gr.File(
                    label=f"More frames, in order (images; up to {MAX_FRAMES - 1})",
                    file_count="multiple",
                    file_types=["image"],
                    type="filepath",
                )
                mode = gr.Radio(list(MODES), value="interpolation", label="Mode")
                steps = gr.Textbox(value="1, 8", label="Anchor steps (custom mode), 1-based, e.g. 1, 4, 12")
                length = gr.Slider(2, MAX_LENGTH, value=MAX_LENGTH, step=1, label="Sequence length (custom mode)")
                frame_step = gr.Slider(1, 8, value=1, step=1, label="From a clip: take every n-th frame")
                with gr.Row():
                    samples = gr.Slider(1, MAX_SAMPLES, value=3, step=1, label="Samples")
                    seed = gr.Number(value=0, precision=0, label="Seed")
                run = gr.Button("Complete the video", variant="primary")
            with gr.Column():
                gif = gr.Image(label="Completed sequences (animated GIF)", type="filepath", interactive=False)
                info = gr.Markdown()
                mp4 = gr.File(label="MP4 download", interactive=False)
        gr.Examples(
            [
                [str(EXAMPLES_DIR / "shapes_1.gif"), None, "interpolation"],
                [str(EXAMPLES_DIR / "shapes_2.gif"), None, "prediction"],
                [str(EXAMPLES_DIR / "tree.gif"), None, "interpolation"],
                [str(EXAMPLES_DIR / "frame_1.png"), [str(EXAMPLES_DIR / "frame_8.png")], "interpolation"],
            ],
            inputs=[clip, more, mode],
            label="Examples: held-out Shape Motion clips, a tree.avi clip (opencv-doc, never trained on), two frames",
        )
        run.click(
            video_completion,
            inputs=[clip, more, mode, steps, length, frame_step, samples, seed],
            outputs=[gif, mp4, info],
            api_name=TAB.api_name,
        )
        quality_accordion("video")
    return demo
