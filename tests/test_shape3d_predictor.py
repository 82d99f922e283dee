"""Image to 3D with the shipped weights: IoU on fixed test renders, files, bad inputs, and the tab through its API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from checks import assert_refuses_bad_images

from vtl_models.common import InvalidInput
from vtl_models.hub import has_card

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not has_card("shape3d"), reason="shape3d weights not trained yet"),
]
EXAMPLES = Path(__file__).resolve().parent.parent / "demos" / "examples" / "shape3d"
IOU_BAR = 0.4  # the procedural supervised model (700 steps) scores ~0.54 mean IoU on the full test set
FURNITURE = Path(__file__).resolve().parent / "data" / "shape3d_furniture"
# the furniture model on 8 views of each of the two committed CC0 models (both TRAINING models of the split: a check
# that the served weights are trained ones, not a measure; the eval's test models are not in CI). The served
# 2,400-step run reads 0.61 there, the 700-step run 0.20 (the folding chair's tubes are thin), an untrained net 0.03
FURNITURE_IOU_BAR = 0.12


@pytest.fixture(scope="module")
def predictor():
    from vtl_models.shape3d.predictor import load_predictor

    return load_predictor("cpu")


def _fixed_renders(world: str):
    """Renders the served weights should reconstruct: procedural test objects, or the committed furniture models."""
    from vtl_models.shape3d.data import render_split

    if world != "furniture":
        return render_split("test", 24, 1), IOU_BAR  # the first 24 held-out objects, 4 per category
    from vtl_models.shape3d.furniture import read_catalogue
    from vtl_models.shape3d.furniture_mesh import load_furniture
    from vtl_models.shape3d.furniture_views import render_models

    models = read_catalogue(FURNITURE, ("BlendSwap-CC-0",))
    meshes = [load_furniture(FURNITURE / "BlendSwap-CC-0" / m.obj, m.rotation, m.size_cm) for m in models]
    records = [{"id": m.id, "category": m.category} for m in models]
    return render_models(records, meshes, 8), FURNITURE_IOU_BAR


def test_shipped_weights_reconstruct_fixed_renders_of_their_world(predictor):
    import demos.shape3d
    from vtl_models.shape3d.evaluate import predict, voxel_iou

    views, bar = _fixed_renders(demos.shape3d.served_world())
    probs = predict(predictor.model, predictor.card.raw["input"], views.images)["voxels"]
    ious = voxel_iou(probs > predictor.threshold, views.voxels[views.shape_index])
    assert ious.mean() > bar, ious


def test_predict_returns_a_mesh_that_exports_loadable_watertight_files(predictor, tmp_path):
    from vtl_models.shape3d.examples import OUT_DIR

    result = predictor.predict(str(OUT_DIR / "01_chair.png"))
    assert result.background_removed and result.watertight
    for ext in ("glb", "obj", "stl"):
        result.mesh.export(tmp_path / f"chair.{ext}")
        mesh = trimesh.load(tmp_path / f"chair.{ext}", force="mesh")
        assert len(mesh.faces) > 50 and mesh.is_watertight
    assert result.silhouette.dtype == np.uint8 and result.silhouette.ndim == 3
    assert 0 <= result.azimuth < 360 and 0 <= result.elevation <= 40


def test_bad_inputs_raise_invalid_input(predictor, tmp_path):
    assert_refuses_bad_images(predictor.predict, tmp_path)
    with pytest.raises(InvalidInput):
        predictor.predict(np.zeros((64, 64, 3), np.uint8), threshold=2.0)


def test_greyscale_rgba_and_16_bit_images_are_converted_not_refused(predictor):
    """The chair as greyscale, opaque RGBA and 16-bit grey reaches the model exactly as its 8-bit RGB twin does,
    and gives a mesh: a mode refused, or converted wrongly (alpha as a colour, 16 bits cut to their low byte), fails."""
    from vtl_models.images import to_rgb
    from vtl_models.shape3d.examples import OUT_DIR

    rgb = to_rgb(str(OUT_DIR / "01_chair.png"))
    grey = rgb.mean(2).round().astype(np.uint8)
    grey_rgb = predictor.predict(np.repeat(grey[..., None], 3, 2)).model_input
    opaque = np.dstack([rgb, np.full(grey.shape, 255, np.uint8)])
    for image, twin in (
        (grey, grey_rgb),
        (opaque, predictor.predict(rgb).model_input),
        (grey.astype(np.uint16) * 257, grey_rgb),
    ):
        result = predictor.predict(image)
        assert np.array_equal(result.model_input, twin), (image.shape, image.dtype)
        assert len(result.mesh.faces) > 50 and result.model_input.shape == (64, 64, 3)


def test_tab_api_returns_a_loadable_glb(serve_blocks):
    """Two of the tab's own examples (those of the served weights' world) at the card's fitted threshold."""
    from gradio_client import handle_file

    import demos.shape3d

    first, second, *_ = demos.shape3d.example_images(demos.shape3d.examples_dir())
    threshold = demos.shape3d.default_threshold()
    client = serve_blocks(demos.shape3d.create_demo())
    glb, silhouette, pose, files = client.predict(handle_file(first), True, threshold, 0.5, api_name="/shape3d")
    mesh = trimesh.load(glb, force="mesh")
    assert len(mesh.faces) > 50 and mesh.is_watertight
    assert "Azimuth" in pose and len(files) == 3
    again = client.predict(handle_file(second), False, threshold, 0.0, api_name="/shape3d")
    assert trimesh.load(again[0], force="mesh").is_watertight


def test_another_threshold_on_the_same_picture_gives_what_a_first_call_does(predictor):
    """What the network says of a picture is kept per picture and background choice (PictureCache): another
    threshold or smoothing, or the other background choice, answers as a predictor that never saw it does."""
    from vtl_models.shape3d.predictor import load_predictor

    image = str(EXAMPLES / "01_chair.png")
    fresh = load_predictor("cpu")
    predictor.predict(image, threshold=0.5, smoothing=0.0)
    for kept in (True, False):
        again = predictor.predict(image, remove_background=kept, threshold=0.4, smoothing=1.0)
        first = fresh.predict(image, remove_background=kept, threshold=0.4, smoothing=1.0)
        assert np.array_equal(again.mesh.vertices, first.mesh.vertices) and again.azimuth == first.azimuth
        assert again.background_removed == first.background_removed and np.array_equal(
            again.silhouette, first.silhouette
        )
