"""Video completion: Shape Motion determinism and ambiguity, anchor masks, metric helpers, model shapes, losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vtl_models.video.data import (
    SPLIT_OFFSET,
    TASKS,
    _random_shape,
    anchor_mask,
    random_task,
    shape_batch,
    shape_motion,
    trajectory,
)
from vtl_models.video.metrics import dis_flow, diversity, linear_blend, psnr, repeat_last, score
from vtl_models.video.model import SRcGAN, VideoConfig, anchor_blend, copy_source


def test_shape_motion_is_a_pure_function_of_the_seed():
    a, b = shape_motion(123, 32), shape_motion(123, 32)
    assert a.shape == (16, 32, 32, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, shape_motion(124, 32))
    assert np.abs(np.diff(a.astype(int), axis=0)).sum() > 0  # something moves


def test_splits_are_disjoint_seed_ranges():
    assert SPLIT_OFFSET["train"] < SPLIT_OFFSET["val"] < SPLIT_OFFSET["test"]
    np.testing.assert_array_equal(shape_batch("test", 3, 1)[0], shape_motion(SPLIT_OFFSET["test"] + 3))


def test_the_turn_time_is_ambiguous_from_the_anchors():
    """Same seed, two turn times: identical frames up to the earlier turn, different after it: anchors at t=1..6
    cannot tell which future comes (prediction), nor can anchors at 1 and 8 tell when a turn between them was."""
    early, late = shape_motion(7, 32, turn_time=8), shape_motion(7, 32, turn_time=12)
    np.testing.assert_array_equal(early[:8], late[:8])
    assert psnr(early[9:], late[9:]) < 40


def test_most_shapes_turn_and_the_turn_time_spreads_over_the_sequence():
    rng = np.random.default_rng(0)
    shapes = [_random_shape(rng) for _ in range(400)]
    times = [s.turn_time for s in shapes if s.turn_time is not None]
    assert 0.6 < len(times) / len(shapes) < 0.9
    assert min(times) <= 2 and max(times) >= 14


def test_bounces_keep_shapes_inside_the_frame():
    rng = np.random.default_rng(1)
    for _ in range(50):
        path = trajectory(_random_shape(rng))
        x, y, r = path[:, 0], path[:, 1], path[:, 2]
        assert (x >= r - 1e-9).all() and (x <= 1 - r + 1e-9).all() and (y >= r - 1e-9).all()


def test_anchor_mask_marks_exactly_the_anchor_steps():
    np.testing.assert_array_equal(anchor_mask([0, 7], 8), [1, 0, 0, 0, 0, 0, 0, 1])
    assert anchor_mask(*TASKS["prediction"]).sum() == 6 and len(anchor_mask(*TASKS["prediction"])) == 16
    with pytest.raises(ValueError):
        anchor_mask([0, 8], 8)
    with pytest.raises(ValueError):
        anchor_mask([], 8)
    rng = np.random.default_rng(0)
    for _ in range(50):
        steps, length = random_task(rng)
        assert 2 <= len(steps) < length <= 16 and max(steps) < length


def test_anchor_blend_weights_the_nearest_anchors_by_time():
    video = torch.arange(8.0).view(1, 8, 1).repeat(2, 1, 1)
    mask = torch.zeros(2, 8)
    mask[0, [1, 5]] = 1
    mask[1, [0, 1, 2]] = 1
    blend = anchor_blend(video, mask)[..., 0]
    # between anchors 1 and 5 the blend of frames 1 and 5 is the step itself; outside, the nearest anchor
    torch.testing.assert_close(blend[0], torch.tensor([1.0, 1, 2, 3, 4, 5, 5, 5]))
    torch.testing.assert_close(blend[1], torch.tensor([0.0, 1, 2, 2, 2, 2, 2, 2]))
    diff = copy_source(video.view(2, 8, 1, 1, 1).expand(2, 8, 3, 1, 1), mask)[:, :, 3, 0, 0]
    torch.testing.assert_close(diff[0], torch.tensor([0.0, 0, 4, 4, 4, 0, 0, 0]))  # |prev - next| between 1 and 5


def test_generator_reads_only_the_anchor_frames():
    torch.manual_seed(0)
    model = SRcGAN(VideoConfig()).eval()
    video = torch.rand(2, 8, 3, 32, 32) * 2 - 1
    mask = torch.zeros(2, 8)
    mask[:, [0, 7]] = 1
    code = torch.randn(2, 3, 8)
    changed = video.clone()
    changed[:, 1:7] = 0.5  # non-anchor frames differ: the output must not
    with torch.no_grad():
        a, b = model(video, mask, code)["video"], model(changed, mask, code)["video"]
        c = model(video, mask, torch.randn(2, 3, 8))["video"]
    assert a.shape == (2, 3, 8, 3, 32, 32)
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, c)  # the stochastic code reaches the output


def test_psnr_and_diversity_against_hand_computed_values():
    a = np.zeros((2, 4, 4, 3), np.uint8)
    b = np.full((2, 4, 4, 3), 51, np.uint8)  # MSE = 0.2^2 = 0.04 -> PSNR = 10 log10(25) = 13.979 dB
    assert psnr(a, b) == pytest.approx(13.9794, abs=1e-3)
    assert psnr(a, a) == 60.0
    samples = np.stack([a, b, a])  # pairwise L1 of 0, 0.2, 0.2 -> mean 0.1333
    assert diversity(samples) == pytest.approx(0.4 / 3, abs=1e-6)
    assert diversity(samples[:1]) == 0.0


def test_score_takes_the_best_sample_and_scores_anchors_apart():
    truth = np.zeros((8, 8, 8, 3), np.uint8)
    good, bad = truth.copy(), truth.copy()
    bad[1:7] = 51
    good[0] = 51  # a wrong anchor frame lowers anchor PSNR only
    out = score(truth, np.stack([good, bad]), [0, 7], with_ssim=False)
    assert out["psnr_best"] == 60.0 and out["psnr_mean"] == pytest.approx((60 + 13.9794) / 2, abs=1e-3)
    assert out["anchor_psnr"] == pytest.approx(psnr(good[[0, 7]], truth[[0, 7]]))


def test_baselines_copy_anchors_and_fill_as_promised():
    video = np.zeros((8, 16, 16, 3), np.uint8)
    video[7] = 200
    blend = linear_blend(video, [0, 7])
    assert blend[0].max() == 0 and blend[7].min() == 200 and abs(int(blend[3, 0, 0, 0]) - round(200 * 3 / 7)) <= 1
    np.testing.assert_array_equal(repeat_last(video, [0, 7])[1:7], video[[0] * 6])
    flow = dis_flow(video, [0, 7])
    np.testing.assert_array_equal(flow[[0, 7]], video[[0, 7]])


def test_variety_loss_is_the_best_sample_and_never_above_the_mean():
    from types import SimpleNamespace

    from vtl_models.video.batches import Batch
    from vtl_models.video.losses import completion_losses

    torch.manual_seed(0)
    model = SRcGAN(VideoConfig())
    video = torch.rand(2, 8, 3, 32, 32) * 2 - 1
    mask = torch.zeros(2, 8)
    mask[:, [0, 7]] = 1
    terms = completion_losses(model, Batch.of(video, mask), 3, SimpleNamespace(beta=1e-3, w_mean=0.1))
    assert terms["variety"].item() <= terms["mean"].item()
    terms["variety"].backward()
    assert model.temporal.forward_cell.gates.weight.grad.abs().sum() > 0


def test_copy_target_still_trains_a_saturated_copy_mask():
    # the collapse this term is for: the mask at "copy the blend everywhere" (logits ~ +20), where the output loss
    # alone gives the compositor almost no gradient; the per-pixel target (decoded closer than the blend) still does
    from types import SimpleNamespace

    from vtl_models.video.batches import Batch
    from vtl_models.video.losses import completion_losses

    torch.manual_seed(0)
    model = SRcGAN(VideoConfig())
    with torch.no_grad():
        model.compositor.net[-1].bias.fill_(20.0)
    video = torch.rand(2, 8, 3, 32, 32) * 2 - 1
    mask = torch.zeros(2, 8)
    mask[:, [0, 7]] = 1
    terms = completion_losses(model, Batch.of(video, mask), 2, SimpleNamespace(beta=1e-3, w_mean=0.1))
    output_grad = torch.autograd.grad(terms["variety"], model.compositor.net[-1].bias, retain_graph=True)[0]
    copy_grad = torch.autograd.grad(terms["copy"], model.compositor.net[-1].bias)[0]
    assert output_grad.abs().item() < 1e-6 < copy_grad.abs().item()


def test_checkpoints_keep_the_best_validation_score(monkeypatch):
    from vtl_models.video import train

    scores = iter([18.0, 18.5, 18.2])
    monkeypatch.setattr(train, "validate", lambda model, val: {"score": next(scores), "best5_psnr": 0.0})
    model, rows, best = SRcGAN(VideoConfig()), [], None
    for step in (10, 20, 30):
        with torch.no_grad():
            model.compositor.net[-1].bias.fill_(float(step))
        best = train.checkpoint(model, {}, step, best, rows)
    assert best["step"] == 20 and best["state"]["compositor.net.2.bias"].item() == 20.0
    assert [r[:2] for r in rows] == [[10, 18.0], [20, 18.5], [30, 18.2]]


def test_real_validation_clips_come_from_frames_training_never_reads(monkeypatch):
    from vtl_models.video import data

    frames = np.arange(100, dtype=np.uint8)[:, None, None, None] * np.ones((1, 40, 40, 3), np.uint8)
    monkeypatch.setattr(data, "read_video", lambda name: frames)
    train_clips = data.random_real_clips(np.random.default_rng(0), 64, 8, 4)
    val_clips = data.test_real_clips(8, 4, "vtest.avi", every=2, validation=True)
    cut = int(100 * (1 - data.REAL_VAL_SHARE))
    assert train_clips.max() < cut <= val_clips.min()


def test_the_domain_check_scores_the_first_and_last_anchor_only():
    from vtl_models.video.predictor import checked

    anchors = np.arange(6)[:, None, None, None] * np.ones((6, 2, 2, 3), np.uint8)
    assert checked(anchors)[:, 0, 0, 0].tolist() == [0, 5]
    assert checked(anchors[:1])[:, 0, 0, 0].tolist() == [0]
