"""Video completion with the shipped weights: anchors at their steps, lengths and samples right, bad inputs, the API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

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

    return load_predictor(torch.device("cpu"))


def test_each_anchor_comes_back_at_its_own_step_and_the_length_is_right(predictor):
    """Anchors from three different clips, given out of time order: every sample shows each one at the step it was
    given for, and not another (frames of one clip look alike, so one clip would hide a swap or a sort)."""
    from vtl_models.video.data import shape_motion
    from vtl_models.video.metrics import psnr

    clips = [shape_motion(seed, predictor.size) for seed in (20_005_007, 20_005_011, 20_005_021)]
    frames, steps = [clips[0][3], clips[1][0], clips[2][9]], [11, 0, 4]
    result = predictor.complete(frames, steps, 12, samples=3, seed=1)
    assert result.sequences.shape == (3, 12, predictor.size, predictor.size, 3)
    for sample in result.sequences:
        for own, step in enumerate(steps):
            match = [psnr(sample[step], frame) for frame in frames]
            assert match[own] > 28 and match[own] > max(m for i, m in enumerate(match) if i != own) + 6, (step, match)


def test_same_seed_same_samples_and_samples_differ_where_the_future_is_open(predictor):
    """Prediction from frames 1-6: the same seed repeats itself; the samples agree on the anchors and differ after
    them, as much as the card's eval says they do on average, and more the further the step lies from the anchors."""
    from vtl_models.video.data import shape_motion
    from vtl_models.video.metrics import diversity

    video = shape_motion(20_005_021, predictor.size)
    first = predictor.complete(list(video[:6]), range(6), 16, samples=4, seed=5)
    again = predictor.complete(list(video[:6]), range(6), 16, samples=4, seed=5)
    np.testing.assert_array_equal(first.sequences, again.sequences)
    spread = [diversity(first.sequences[:, t]) for t in range(16)]
    assert max(spread[:6]) < 0.1 * min(spread[6:]), spread  # the anchors are held
    assert diversity(first.sequences[:, 6:]) >= 0.5 * predictor.card.raw["eval"]["metrics"]["pred_diversity"], spread
    assert spread[-1] > 2 * spread[6], spread  # uncertainty grows with the distance from the last anchor


def test_the_gate_serves_the_blend_where_the_model_cannot_reconstruct_the_anchors(predictor):
    """Noise anchors: the VAE reconstructs them below the card's gate, so every sample is the plain linear blend of
    the anchors (all copied); a held-out Shape Motion clip passes the gate and gets the model."""
    from vtl_models.video.data import shape_motion
    from vtl_models.video.metrics import linear_blend

    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 256, (48, 48, 3), dtype=np.uint8) for _ in range(2)]
    result = predictor.complete(noise, [0, 7], 8, samples=2)
    assert not result.trusted and result.fidelity < predictor.gate_db and result.copy_share == 1.0
    for sample in result.sequences:
        np.testing.assert_array_equal(sample, linear_blend(sample, [0, 7]))
    shapes = shape_motion(20_005_021, predictor.size)
    passed = predictor.complete([shapes[0], shapes[7]], [0, 7], 8, samples=2)
    assert passed.trusted and passed.fidelity >= predictor.gate_db and passed.copy_share < 1.0


def test_any_image_size_and_mode_is_accepted(predictor):
    grey = np.full((90, 150), 120, np.uint8)
    rgba = np.zeros((40, 40, 4), np.uint8)
    result = predictor.complete([grey, rgba], [0, 7], 8, samples=1)
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
        predictor.complete(frames, steps, length, samples=samples)


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
    assert len(frames) == 16 and "ground truth | sample 1 | sample 2 | spread" in info
    assert "Samples differ by" in info and "of free pixels from the anchors' blend" in info
    assert "the model served" in info  # a held-out Shape Motion clip passes the gate
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
    assert len(imageio.mimread(gif)) == 8 and "sample 3 | spread" in info
