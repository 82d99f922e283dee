"""Tab: Video completion: a few anchor frames at chosen steps (or a short clip) -> whole sequences, several samples.

Method: stochastic & recurrent conditional GAN (SR-cGAN), "Completing videos from a deep glimpse": a VAE frame
encoder/decoder, a recurrent generator over frame latents conditioned on the anchors and a per-sample code, frame and
video discriminators.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import gradio as gr
import numpy as np

from demos.common import domain_note, get_predictor, guarded, output_file, quality_accordion
from vtl_models.common import InvalidInput
from vtl_models.registry import tab

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples" / "video"
TAB = tab("video")
MODES = ("interpolation", "prediction", "custom")
MAX_FRAMES = 16  # anchor images per request
SCALE = 4  # display upscaling (nearest) of the model's 32x32 frames
FPS = 4
OTHER_VIDEOS = (
    "The model learnt moving coloured shapes and a street camera (vtest.avi) at 32x32 pixels; other scenes, such as "
    "the tree.avi example, are completed with what it knows (real_interp_psnr under *How well does it work?*)."
)
PROGRESS = gr.Progress()  # gradio fills a parameter whose default is a Progress with the event's progress bar


def _anchor_plan(mode: str, count: int | None, steps_text: str, length: int) -> tuple[list[int], int]:
    """0-based anchor steps and sequence length for a mode; `count`: how many images were given (None: a clip)."""
    from vtl_models.video.predictor import parse_steps

    if mode == "interpolation":
        if count is not None and count != 2:
            raise InvalidInput(f"interpolation takes 2 frames (steps 1 and 8); {count} were given: use custom")
        return [0, 7], 8
    if mode == "prediction":
        if count is None:
            return list(range(6)), 16
        if count > 15:
            raise InvalidInput("prediction fills 16 frames: give at most 15 anchor frames")
        return list(range(count)), 16
    if mode != "custom":
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    steps = parse_steps(steps_text)
    if count is not None and len(steps) != count:
        raise InvalidInput(f"{count} frames were given but {len(steps)} anchor steps: give one step per frame")
    return steps, int(length)


def _inputs(clip, more_frames, mode, steps_text, length, frame_step):
    """-> (anchor images, 0-based steps, length, ground truth frames or None, note)."""
    from vtl_models.video.predictor import read_clip

    if clip is None and not more_frames:
        raise InvalidInput("give a short clip (GIF or MP4), or 2 or more frames, or pick an example")
    more = [f for f in (more_frames or []) if f is not None]
    if len(more) + 1 > MAX_FRAMES:
        raise InvalidInput(f"give at most {MAX_FRAMES} frames")
    first = read_clip(clip) if clip is not None else []
    if len(first) > 1:  # a clip: its frames are the anchors' source and the ground truth
        step = int(frame_step)
        frames = first[::step]
        steps, length = _anchor_plan(mode, None, steps_text, length)
        if max(steps) >= len(frames):
            raise InvalidInput(
                f"the clip gives {len(frames)} frames at a frame step of {step}, but the anchors reach step "
                f"{max(steps) + 1}: lower the frame step or give a longer clip"
            )
        truth = np.stack(frames[:length]) if len(frames) >= length else None
        note = " (frames given beside the clip were not used)" if more else ""
        return [frames[s] for s in steps], steps, length, truth, note
    images = first + more
    steps, length = _anchor_plan(mode, len(images), steps_text, length)
    return images, steps, length, None, ""


@guarded
def video_completion(clip, more_frames, mode, steps_text, length, frame_step, samples, seed, progress=PROGRESS):
    """Event handler and the tab's main endpoint -> (animated GIF: [truth |] samples side by side, MP4, info)."""
    import imageio.v2 as imageio

    from vtl_models.video.predictor import mark_anchors, prepare_frame, side_by_side, with_timeline

    progress(0.1, desc="Reading frames")
    anchors, steps, length, truth, note = _inputs(clip, more_frames, str(mode), steps_text, length, frame_step)
    predictor = get_predictor("video")
    progress(0.4, desc="Completing the sequence")
    result = predictor.predict(anchors, steps, length, samples=int(samples), seed=int(seed))
    progress(0.7, desc="Writing the GIF and MP4")
    columns = [mark_anchors(seq, result.anchors, SCALE) for seq in result.sequences]
    if truth is not None:
        truth = np.stack([prepare_frame(f, predictor.size) for f in truth])
        columns.insert(0, mark_anchors(truth, result.anchors, SCALE))
    movie = with_timeline(side_by_side(columns), result.anchors)
    key = hashlib.sha256(movie.tobytes()).digest()
    gif = output_file("completion.gif", key, lambda p: imageio.mimsave(p, list(movie), duration=1000 / FPS, loop=0))
    mp4 = output_file(
        "completion.mp4",
        key,
        lambda p: imageio.mimsave(p, list(movie), fps=FPS, codec="libx264", macro_block_size=2, quality=8),
    )
    names = (["ground truth"] if truth is not None else []) + [f"sample {i + 1}" for i in range(len(result.sequences))]
    # short: gradio_client callers may test each string output as a path (names are limited to 255 bytes)
    info = (
        f"**Columns:** {' | '.join(names)}. {length} frames; anchors (orange) at steps "
        f"{', '.join(str(s + 1) for s in result.anchors)}{note}."
    ) + domain_note(result.domain, OTHER_VIDEOS)
    return gif, mp4, info


def create_demo() -> gr.Blocks:
    """The tab's full UI; the model is loaded on the first request."""
    with gr.Blocks() as demo:
        gr.Markdown(
            "Give a short clip (GIF/MP4) or a few frames, choose which time steps are anchors, and get the whole "
            "sequence filled in, as several different samples. **Interpolation**: frames 1 and 8 given, 8 frames "
            "out. **Prediction**: frames 1-6 given (or all your frames), 16 frames out. **Custom**: your steps. "
            "The default model works at 32x32 pixels and knows moving coloured shapes best. Anchor steps (orange "
            "border) show the model's own output there. Each sample has its own random code: where the anchors "
            "leave the motion open (a turn or bounce between or after them), the samples differ."
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
                length = gr.Slider(2, 16, value=16, step=1, label="Sequence length (custom mode)")
                frame_step = gr.Slider(1, 8, value=1, step=1, label="From a clip: take every n-th frame")
                with gr.Row():
                    samples = gr.Slider(1, 4, value=3, step=1, label="Samples")
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
