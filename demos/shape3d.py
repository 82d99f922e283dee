"""Tab: Image to 3D: one image of an object -> a rotatable mesh, its pose and silhouette, and mesh downloads.

Method: "3D Shape Reconstruction from a Single 2D Image via 2D-3D Self-Consistency" (Liao, Yang, Wang).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from demos.common import example_images, get_predictor, guarded, png_file, quality_accordion, readable_image
from vtl_models.hub import has_card, read_card
from vtl_models.images import to_rgb

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples" / "shape3d"
API_NAME = "shape3d"  # the tab's main endpoint; API_EXAMPLE is a call of it (tests, benchmarks/serve.py)
API_EXAMPLE = (EXAMPLES_DIR / "01_chair.png", True, 0.5, 0.5)
PAPER_SETTING = (
    "ShapeNet (13 categories, 24 rendered views per object at 137 px), 32^3 voxel grids; semi-supervised with 3D "
    "labels on part of the objects and 2D masks on the rest, pose predicted from the image."
)
TRAINED_ON = (
    "procedural objects in 6 categories (chair, table, sofa, lamp, mug, vase) built from parametric parts and rendered "
    "on CPU with random viewpoint, lighting, colours and backgrounds. Expect rough shapes for other objects and photos."
)


@guarded
def reconstruct(image, remove_background: bool, threshold: float, smoothing: float):
    """Event handler: image -> (glb for the viewer, silhouette, pose text, files to download)."""
    rgb = to_rgb(image)
    result = get_predictor("shape3d").predict(
        rgb, remove_background=bool(remove_background), threshold=float(threshold), smoothing=float(smoothing)
    )
    pose = (
        f"**Azimuth** {result.azimuth:.0f}° (confidence {result.azimuth_confidence:.2f}; round objects have no "
        f"azimuth)  \n**Elevation** {result.elevation:.0f}°  \n"
        f"Background {'removed (plain background found)' if result.background_removed else 'kept'}; "
        f"mesh {'watertight' if result.watertight else 'not watertight'}."
    )
    return str(result.glb), png_file(result.silhouette), pose, [str(result.glb), str(result.obj), str(result.stl)]


def _default_threshold() -> float:
    # the card (plain JSON, no model load) holds the threshold fitted on validation views
    return float(read_card("shape3d").raw.get("threshold", 0.5)) if has_card("shape3d") else 0.5


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
                    threshold = gr.Slider(0.1, 0.9, value=_default_threshold(), step=0.05, label="Occupancy threshold")
                    smoothing = gr.Slider(0.0, 2.0, value=0.5, step=0.25, label="Smoothing (voxels)")
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
        gr.Examples(example_images(EXAMPLES_DIR), inputs=[image], label="Examples (rendered test objects)")
        run.click(
            reconstruct,
            inputs=[image, remove_background, threshold, smoothing],
            outputs=[viewer, silhouette, pose, files],
            api_name=API_NAME,
        )
        quality_accordion("shape3d", PAPER_SETTING, TRAINED_ON)
    return demo
