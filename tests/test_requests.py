"""A tab's request is read by its predictor, and says all it means: no rule in the demo, no fact in a file name."""

from __future__ import annotations

import shutil

import pytest

from vtl_models.common import InvalidInput
from vtl_models.hub import has_card
from vtl_models.registry import EXAMPLES


def test_the_anchor_plan_of_each_mode():
    from vtl_models.video.predictor import anchor_plan

    assert anchor_plan("interpolation", 2, "", 16) == ([0, 7], 8)
    assert anchor_plan("prediction", None, "", 16) == (list(range(6)), 16)  # a clip: its first six frames
    assert anchor_plan("prediction", 3, "", 9) == ([0, 1, 2], 16)
    assert anchor_plan("custom", 2, "2; 9", 12) == ([1, 8], 12)
    for mode, count, steps in (("interpolation", 3, ""), ("prediction", 16, ""), ("custom", 3, "1, 8"), ("x", 2, "")):
        with pytest.raises(InvalidInput):
            anchor_plan(mode, count, steps, 16)


@pytest.mark.skipif(not has_card("video"), reason="no video weights committed")
def test_a_clip_request_is_its_anchors_request_plus_the_clips_own_frames():
    from demos.common import get_predictor
    from vtl_models.video.predictor import read_clip

    predictor = get_predictor("video")
    clip = str(EXAMPLES / "video" / "shapes_1.gif")
    result = predictor.predict(clip, samples=1, seed=3)
    frames = read_clip(clip)
    direct = predictor.complete([frames[0], frames[7]], [0, 7], 8, samples=1, seed=3)
    assert (result.completion.sequences == direct.sequences).all() and result.length == 8
    assert result.truth.shape == (8, predictor.size, predictor.size, 3) and result.columns[0] == "ground truth"
    assert result.movie(2).shape[0] == 8
    with pytest.raises(InvalidInput, match="frame step"):
        predictor.predict(clip, mode="prediction", frame_step=8)


@pytest.mark.skipif(not has_card("reid"), reason="no reid weights committed")
def test_an_example_querys_person_travels_as_a_value_not_in_its_file_name(tmp_path):
    from demos.reid import query_examples, search

    path, identity, camera = next(row for row in query_examples() if row[1] is not None)
    assert f"id{identity}_camera{camera}" in path  # the manifest agrees with the files it lists
    renamed = tmp_path / "upload.png"
    shutil.copy(path, renamed)
    *pictures, told = search(str(renamed), 1, 10, identity, camera)
    assert f"The query is person {identity} (its own camera, {camera}, left out)" in told
    assert search(str(renamed), 1, 10, identity, camera) == search(path, 1, 10, identity, camera)
    *_, untold = search(path, 1, 10)  # the file's name alone says nothing
    assert "identity is unknown" in untold


def _sliders(demo) -> dict[str, tuple[float, float]]:
    import gradio as gr

    return {c.label: (c.minimum, c.maximum) for c in demo.blocks.values() if isinstance(c, gr.Slider)}


def test_the_sliders_offer_what_the_predictors_accept():
    import demos.multilabel
    import demos.shape3d
    import demos.video
    from vtl_models.multilabel import predictor as multilabel
    from vtl_models.shape3d import predictor as shape3d
    from vtl_models.video import predictor as video

    sliders = _sliders(demos.shape3d.create_demo())
    assert sliders["Occupancy threshold"] == shape3d.THRESHOLD_RANGE
    assert sliders["Smoothing (voxels)"] == shape3d.SMOOTHING_RANGE
    sliders = _sliders(demos.video.create_demo())
    assert sliders["Sequence length (custom mode)"][1] == video.MAX_LENGTH
    assert sliders["Samples"][1] == video.MAX_SAMPLES
    assert _sliders(demos.multilabel.create_demo())["Beam width (1 = greedy; default chosen on validation)"] == (
        1,
        multilabel.MAX_BEAM,
    )


@pytest.mark.skipif(not has_card("shape3d"), reason="no shape3d weights committed")
def test_the_shape3d_predictor_refuses_just_outside_its_limits():
    from demos.common import get_predictor
    from vtl_models.shape3d.limits import SMOOTHING_RANGE, THRESHOLD_RANGE

    predictor, image = get_predictor("shape3d"), str(EXAMPLES / "shape3d" / "01_chair.png")
    predictor.predict(image, threshold=THRESHOLD_RANGE[0], smoothing=SMOOTHING_RANGE[1])  # the edges are inside
    with pytest.raises(InvalidInput, match="threshold"):
        predictor.predict(image, threshold=THRESHOLD_RANGE[0] - 0.01)
    with pytest.raises(InvalidInput, match="threshold"):
        predictor.predict(image, threshold=THRESHOLD_RANGE[1] + 0.01)
    with pytest.raises(InvalidInput, match="smoothing"):
        predictor.predict(image, smoothing=SMOOTHING_RANGE[1] + 0.01)
