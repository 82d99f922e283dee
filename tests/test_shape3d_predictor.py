"""Image to 3D with the shipped weights: IoU on fixed test renders, files, bad inputs, and the tab through its API."""

from __future__ import annotations

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
IOU_BAR = 0.4  # the shipped model (supervised, 700 steps) scores ~0.54 mean IoU on the full test set


@pytest.fixture(scope="module")
def predictor():
    from vtl_models.shape3d.predictor import load_predictor

    return load_predictor("cpu")


def test_shipped_weights_reconstruct_fixed_test_renders(predictor):
    from vtl_models.shape3d.data import render_split
    from vtl_models.shape3d.evaluate import predict, voxel_iou

    test = render_split("test", 24, 1)  # the first 24 held-out objects, 4 per category
    probs = predict(predictor.model, predictor.card.raw["input"], test.images)["voxels"]
    ious = voxel_iou(probs > predictor.threshold, test.voxels[test.shape_index])
    assert ious.mean() > IOU_BAR, ious


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
    # greyscale, RGBA and 16-bit images are converted, not refused
    for image in (np.full((80, 80), 128, np.uint8), np.zeros((80, 80, 4), np.uint8), np.zeros((90, 70), np.uint16)):
        try:
            result = predictor.predict(image, threshold=0.5)
        except InvalidInput as err:  # an empty image may honestly give no shape; the message says what to do
            assert "threshold" in str(err)
        else:
            assert len(result.mesh.faces) > 0 and result.model_input.shape == (64, 64, 3)


def test_tab_api_returns_a_loadable_glb(serve_blocks):
    from gradio_client import handle_file

    import demos.shape3d
    from vtl_models.shape3d.examples import OUT_DIR

    client = serve_blocks(demos.shape3d.create_demo())
    glb, silhouette, pose, files = client.predict(
        handle_file(str(OUT_DIR / "05_mug.png")), True, 0.5, 0.5, api_name="/shape3d"
    )
    mesh = trimesh.load(glb, force="mesh")
    assert len(mesh.faces) > 50 and mesh.is_watertight
    assert "Azimuth" in pose and len(files) == 3
    again = client.predict(handle_file(str(OUT_DIR / "02_table.png")), False, 0.4, 0.0, api_name="/shape3d")
    assert trimesh.load(again[0], force="mesh").is_watertight
