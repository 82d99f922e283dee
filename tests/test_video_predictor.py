"""Video completion with the shipped weights: anchors reproduced, lengths and samples right, bad inputs, the API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vtl_models.common import InvalidInput
from vtl_models.hub import has_card

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not has_card("video"), reason="video weights not trained yet"),
]
EXAMPLES = Path(__file__).resolve().parent.parent / "demos" / "examples" / "video"


@pytest.fixture(scope="module")
def predictor():
    from vtl_models.video.predictor import load_predictor

    return load_predictor("cpu")


def test_anchors_are_reproduced_and_the_length_is_right(predictor):
    from vtl_models.video.data import shape_motion
    from vtl_models.video.metrics import psnr

    for seed in (20_005_007, 20_005_011):
        video = shape_motion(seed, predictor.size)
        for steps, length in (([0, 7], 8), (list(range(6)), 16), ([0, 4, 11], 12)):
            result = predictor.predict(list(video[steps]), steps, length, samples=3, seed=1)
            assert result.sequences.shape == (3, length, predictor.size, predictor.size, 3)
            assert result.anchors == steps
            for sample in result.sequences:
                assert psnr(sample[steps], video[steps]) > 28, (seed, steps)


def test_same_seed_same_samples_and_samples_differ_where_the_future_is_open(predictor):
    from vtl_models.video.data import shape_motion

    video = shape_motion(20_005_021, predictor.size)
    first = predictor.predict(list(video[:6]), range(6), 16, samples=4, seed=5)
    again = predictor.predict(list(video[:6]), range(6), 16, samples=4, seed=5)
    np.testing.assert_array_equal(first.sequences, again.sequences)
    spread = np.abs(first.sequences[:, 6:].astype(int) - first.sequences[:1, 6:]).mean()
    assert spread > 0


def test_any_image_size_and_mode_is_accepted(predictor):
    grey = np.full((90, 150), 120, np.uint8)
    rgba = np.zeros((40, 40, 4), np.uint8)
    result = predictor.predict([grey, rgba], [0, 7], 8, samples=1)
    assert result.sequences.shape == (1, 8, predictor.size, predictor.size, 3)


@pytest.mark.parametrize(
    "frames, steps, length, samples",
    [
        ([], [], 8, 1),  # nothing
        ([np.zeros((32, 32, 3), np.uint8)] * 2, [0], 8, 1),  # frames and steps disagree
        ([np.zeros((32, 32, 3), np.uint8)] * 2, [0, 8], 8, 1),  # step outside
        ([np.zeros((32, 32, 3), np.uint8)] * 2, [0, 7], 40, 1),  # too long
        ([np.zeros((32, 32, 3), np.uint8)] * 2, [0, 7], 8, 9),  # too many samples
        ([np.zeros((4, 4, 3), np.uint8)] * 2, [0, 7], 8, 1),  # too small
    ],
)
def test_bad_requests_raise_invalid_input(predictor, frames, steps, length, samples):
    with pytest.raises(InvalidInput):
        predictor.predict(frames, steps, length, samples=samples)


def test_unreadable_clip_gets_a_clear_message(tmp_path):
    from vtl_models.video.predictor import read_clip

    bad = tmp_path / "clip.gif"
    bad.write_bytes(b"%PDF-1.4 not a video")
    with pytest.raises(InvalidInput, match="could not be read as an image"):
        read_clip(bad)
    assert len(read_clip(EXAMPLES / "shapes_1.gif")) == 16


def test_tab_api_returns_an_animated_gif_with_the_right_frame_count(serve_blocks):
    import imageio.v2 as imageio
    from gradio_client import handle_file

    import demos.video

    client = serve_blocks(demos.video.create_demo())
    gif, mp4, info = client.predict(
        handle_file(str(EXAMPLES / "shapes_2.gif")), None, "prediction", "", 16, 1, 2, 0, api_name="/video_completion"
    )
    frames = imageio.mimread(gif)
    assert len(frames) == 16 and "ground truth | sample 1 | sample 2" in info
    assert Path(mp4).stat().st_size > 0
    gif, _, info = client.predict(
        handle_file(str(EXAMPLES / "frame_1.png")),
        [handle_file(str(EXAMPLES / "frame_8.png"))],
        "interpolation",
        "",
        8,
        1,
        3,
        0,
        api_name="/video_completion",
    )
    assert len(imageio.mimread(gif)) == 8 and "sample 3" in info
