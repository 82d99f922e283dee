"""Tab: Image to 3D: one image of an object -> a rotatable mesh, its pose and silhouette, and mesh downloads.

Method: "3D Shape Reconstruction from a Single 2D Image via 2D-3D Self-Consistency" (Liao, Yang, Wang). One image
encoder feeds a voxel decoder, a silhouette decoder and a pose head (azimuth bins, elevation). The paper's loop, as
trained here: the predicted grid, projected under the *predicted* pose, must cover the silhouette, so images with
only a mask (90% of the objects in the semi-supervised run) still train the 3D shape and the pose; the other 10%
also have voxel and pose labels. The tab shows the run best on validation IoU: the fully supervised one, every
object labelled, same loss (the runs and their figures are in the model card).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from demos.common import (
    domain_note,
    example_images,
    get_predictor,
    guarded,
    output_file,
    png_file,
    quality_accordion,
    readable_image,
)
from vtl_models.hub import has_card, read_card
from vtl_models.registry import tab
from vtl_models.shape3d.limits import SMOOTHING_RANGE, THRESHOLD_RANGE

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples" / "shape3d"
# renders of held-out furniture test models: the examples once the served weights were trained on furniture
FURNITURE_EXAMPLES_DIR = EXAMPLES_DIR / "furniture"
TAB = tab("shape3d")
MESH_FORMATS = ("glb", "obj", "stl")  # glb first: the viewer shows it
DEFAULT_THRESHOLD = 0.5  # the slider's start before any card exists (the card's fitted threshold replaces it)


@guarded
def reconstruct(image, remove_background: bool, threshold: float, smoothing: float):
    """Event handler: image -> (glb for the viewer, silhouette, pose text, files to download).

    `threshold` None: the card's, fitted on validation views."""
    result = get_predictor("shape3d").predict(
        image,
        remove_background=bool(remove_background),
        threshold=None if threshold is None else float(threshold),
        smoothing=float(smoothing),
    )
    pose = (
        f"**Azimuth** {result.azimuth:.0f}° (confidence {result.azimuth_confidence:.2f}; round objects have no "
        f"azimuth)  \n**Elevation** {result.elevation:.0f}°  \n"
        f"Background {'removed (plain background found)' if result.background_removed else 'kept'}; "
        f"mesh {'watertight' if result.watertight else 'not watertight'}."
    ) + domain_note(result.domain, "Objects like the examples, on a plain background, work best.")
    key = result.mesh.vertices.tobytes() + result.mesh.faces.tobytes() + result.mesh.visual.vertex_colors.tobytes()
    files = [output_file(f"shape.{ext}", key, result.mesh.export) for ext in MESH_FORMATS]
    return files[0], png_file(result.silhouette), pose, files


def default_threshold() -> float:
    """The slider's start: the served card's threshold, fitted on validation views (plain JSON, no model load)."""
    return float(read_card("shape3d").raw["threshold"]) if has_card("shape3d") else DEFAULT_THRESHOLD


def served_world() -> str:
    """The world the served weights were trained on: "furniture" or "procedural" (also before any card exists)."""
    return (
        read_card("shape3d").raw.get("training", {}).get("data", "procedural") if has_card("shape3d") else "procedural"
    )


def examples_dir() -> Path:
    """Where the tab's examples are: furniture test renders when the served card says it trained on furniture."""
    return FURNITURE_EXAMPLES_DIR if served_world() == "furniture" else EXAMPLES_DIR


def create_demo() -> gr.Blocks:
    """The tab's UI; the model is loaded on the first request."""
    with gr.Blocks() as demo:
        gr.Markdown(
            "Give one image of an object (a chair, table, sofa, lamp, mug or vase works best) and get its 3D shape: "
            "a voxel grid predicted by the network, turned into a mesh, coloured from your image."
        )
        with gr.Row():
            with gr.Column():
                image = readable_image(
                    gr.Image(label="Object image", type="filepath", image_mode=None, sources=["upload", "clipboard"])
                )
                remove_background = gr.Checkbox(value=True, label="Remove a plain background and centre the object")
                with gr.Accordion("Mesh settings", open=False):
                    threshold = gr.Slider(
                        *THRESHOLD_RANGE, value=default_threshold(), step=0.01, label="Occupancy threshold"
                    )
                    smoothing = gr.Slider(*SMOOTHING_RANGE, value=0.5, step=0.25, label="Smoothing (voxels)")
                run = gr.Button("Reconstruct", variant="primary")
            with gr.Column():
                viewer = gr.Model3D(
                    label="3D shape (drag to rotate)",
                    clear_color=(0.93, 0.93, 0.93, 1.0),
                    camera_position=(None, None, 2.2),
                )
                with gr.Row():
                    silhouette = gr.Image(label="Predicted silhouette", type="filepath", interactive=False)
                    pose = gr.Markdown()
                files = gr.File(label="Downloads (.glb, .obj, .stl)", file_count="multiple", interactive=False)
        gr.Examples(example_images(examples_dir()), inputs=[image], label="Examples (rendered test objects)")
        run.click(
            reconstruct,
            inputs=[image, remove_background, threshold, smoothing],
            outputs=[viewer, silhouette, pose, files],
            api_name=TAB.api_name,
        )
        quality_accordion("shape3d")
    return demo
