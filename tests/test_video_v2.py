"""Video completion v2 (issue 38), tiny and torch-light: open futures, the new metrics, the eval's scoring of the
served and decoded paths, the GAN claim's seed rule, the bars, and the spread map the tab shows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vtl_models.video.data import SPLIT_OFFSET, TASKS, _random_shape, shape_motion
from vtl_models.video.futures import OPEN_OFFSET, _between_anchors, future_spread, open_batch, open_futures
from vtl_models.video.metrics import copy_share, diversity, gradient_energy, gradient_match, psnr


@pytest.mark.parametrize("setting", ["interpolation", "prediction"])
def test_open_futures_share_the_anchors_and_differ_between_or_after_them(setting):
    steps, length = TASKS[setting]
    free = [t for t in range(length) if t not in steps]
    spreads = []
    for seed in range(20):
        clip = open_futures(seed, setting, 16)
        assert clip.shape == (2, length, 16, 16, 3) and clip.dtype == np.uint8
        np.testing.assert_array_equal(clip[0, list(steps)], clip[1, list(steps)])
        np.testing.assert_array_equal(clip, open_futures(seed, setting, 16))  # a pure function of the seed
        spreads.append(diversity(clip[:, free]))
    assert np.mean(spreads) > 0.01 and np.mean(np.array(spreads) > 0) >= 0.8, spreads


def test_prediction_futures_continue_the_scene_shape_motion_draws():
    """The anchors are the seed's own Shape Motion scene without a turn; one more future changes no other."""
    clip = open_futures(11, "prediction", 32, futures=3)
    np.testing.assert_array_equal(
        clip[:, :6], np.broadcast_to(shape_motion(11, 32, turn_time=0)[:6], clip[:, :6].shape)
    )
    np.testing.assert_array_equal(clip[:2], open_futures(11, "prediction", 32, futures=2))


def test_open_clips_take_disjoint_seeds_per_split():
    np.testing.assert_array_equal(
        open_batch("val", "prediction", 2, 1, 16)[0],
        open_futures(SPLIT_OFFSET["val"] + OPEN_OFFSET + 10_002, "prediction", 16),
    )
    assert not np.array_equal(
        open_batch("val", "interpolation", 0, 1, 16), open_batch("test", "interpolation", 0, 1, 16)
    )


def test_interpolation_paths_end_where_the_scene_puts_them_and_stay_inside():
    rng = np.random.default_rng(3)
    for _ in range(200):
        shape = _random_shape(rng)
        a, b = (
            _between_anchors(shape, 7, 8, np.random.default_rng(1)),
            _between_anchors(shape, 7, 8, np.random.default_rng(2)),
        )
        np.testing.assert_allclose(a[[0, 7]], b[[0, 7]])
        x, y, r = a[:, 0], a[:, 1], a[:, 2]
        assert (
            (x >= r - 1e-9).all() and (x <= 1 - r + 1e-9).all() and (y >= r - 1e-9).all() and (y <= 1 - r + 1e-9).all()
        )


def test_spread_diversity_and_copy_share_against_hand_values():
    a = np.zeros((4, 8, 8, 3), np.uint8)
    b = np.full((4, 8, 8, 3), 51, np.uint8)
    assert diversity(np.stack([a, a, a])) == 0.0  # identical samples
    futures = np.stack([np.stack([a, b]), np.stack([a, a])])  # (N=2, F=2, T=4, ...), anchors at step 0
    b_free_only = futures.copy()
    b_free_only[0, 1, 0] = 0
    np.testing.assert_allclose(future_spread(b_free_only, [0]), [0.2, 0.0], atol=1e-6)
    mask = np.ones((3, 4, 8, 8), np.float32)
    assert copy_share(mask, [0]) == 1.0  # a pure copy
    mask[:, 0] = 0  # what happens at the anchor step does not count
    assert copy_share(mask, [0]) == 1.0
    mask[:, 1:] = 0.25
    assert copy_share(mask, [0]) == pytest.approx(0.25)


def test_gradient_match_is_one_for_real_frames_and_lower_for_blurred_ones():
    import cv2

    frames = shape_motion(5, 32)
    blurred = np.stack([cv2.GaussianBlur(f, (5, 5), 1.5) for f in frames])
    real = gradient_energy(frames)
    assert gradient_match(real, real) == 1.0
    assert gradient_match(gradient_energy(blurred), real) < 0.8
    assert gradient_match(2 * real, real) == gradient_match(real / 2, real) == 0.5  # too sharp is no better


def _tiny_model(copy_bias: float | None = None):
    from vtl_models.video.model import SRcGAN, VideoConfig

    torch.manual_seed(0)
    model = SRcGAN(VideoConfig(size=16, latent_channels=4, width=8, full_res_channels=4, hidden=8, code_dim=4)).eval()
    if copy_bias is not None:
        with torch.no_grad():
            model.compositor.net[-1].weight.zero_()
            model.compositor.net[-1].bias.fill_(copy_bias)
    return model


def _tiny_sets():
    from vtl_models.video.data import shape_batch

    return {
        "interpolation": shape_batch("test", 0, 3, 16, 8),
        "prediction": shape_batch("test", 10_000, 3, 16, 16),
        "real": None,
        "real_vtest": None,
        "open_interpolation": open_batch("test", "interpolation", 0, 2, 16),
        "open_prediction": open_batch("test", "prediction", 0, 2, 16),
    }


def test_scoring_separates_the_served_path_from_the_decoded_one():
    """A compositor forced to copy: copy_share 1 and the served frames are the blend (= linear_blend), whatever the
    decoder draws; forced never to copy: copy_share 0 and the served frames are the decoder's."""
    from vtl_models.video.metrics import complete_parts, linear_blend
    from vtl_models.video.scoring import model_run

    data = _tiny_sets()
    steps = TASKS["interpolation"][0]
    copying = complete_parts(_tiny_model(40.0), data["interpolation"], steps, 2, seed=0)
    assert copy_share(copying["copy_mask"], steps) == pytest.approx(1.0)
    blend = np.stack([linear_blend(v, steps) for v in data["interpolation"]])
    assert np.abs(copying["video"][:, 0].astype(int) - blend).max() <= 1
    run = model_run(_tiny_model(-40.0), data, None)
    m = run["metrics"]
    assert m["copy_share"] == pytest.approx(0.0, abs=1e-4)
    assert m["decoded_interp_psnr"] == pytest.approx(m["interp_psnr_best5"], abs=0.05)
    assert m["anchor_psnr_decoded"] == pytest.approx(m["anchor_psnr"], abs=0.05)  # nothing copied at anchors either
    issue_keys = ("interp_psnr_best5", "pred_psnr_best5", "diversity", "true_future_spread", "decoded_interp_psnr")
    issue_keys += ("copy_share", "anchor_psnr_decoded", "open_best5_gain", "grad_match")
    assert all(isinstance(m[k], float) for k in issue_keys), m
    assert m["true_future_spread"] > 0 and 0 <= m["grad_match"] <= 1
    assert len(run["items"]["interp_psnr"]) == 3 and len(run["items"]["grad_truth"]) == 6


def test_open_scores_of_samples_that_are_one_future():
    from vtl_models.video.scoring import open_scores

    clips = open_batch("test", "prediction", 0, 3, 16)
    steps = TASKS["prediction"][0]
    same = np.repeat(clips[:, :1], 5, axis=1)  # five identical samples: the first future
    out = open_scores(clips, same, steps)
    assert out["diversity"] == 0.0 and out["best5_gain"] == pytest.approx(0.0, abs=1e-9)
    assert out["true_future_spread"] == pytest.approx(float(future_spread(clips, steps).mean()))
    mixed = np.concatenate([clips, clips, clips[:, :1]], axis=1)  # the samples are the futures: a gain appears
    assert open_scores(clips, mixed, steps)["best5_gain"] > 0


@pytest.mark.parametrize("seeds, decided", [(1, False), (3, True)])
def test_gan_claim_is_undecided_below_three_seeds_a_side(monkeypatch, seeds, decided):
    from vtl_models.video import evaluate

    rng = np.random.default_rng(0)

    def items(shift):
        return {
            "interp_psnr": 20 + shift + rng.normal(0, 1, 50),
            "grad_generated": 1 + shift + rng.normal(0, 0.1, 80),
            "grad_truth": np.ones(80),
        }

    class FakeRuns:
        def get(self, name, claim_only=False):
            return {"items": items(0.5 if name.startswith("gan") else 0.0)}

    suffixes = [""] + [f"_seed{s}" for s in range(1, seeds)]
    monkeypatch.setattr(evaluate, "seed_suffixes", lambda task, *names: suffixes)
    claim = evaluate.gan_claim(FakeRuns())
    assert claim["seeds"] == claim["grad_match"]["seeds"] == seeds
    assert claim["runs"]["gan"] == [f"gan{s}" for s in suffixes]
    assert claim["verdict"].startswith("undecided") != decided
    assert claim["diff"] > 0 and claim["grad_match"]["diff"] < 0  # the fake GAN: higher PSNR, sharper than real


def test_seed_suffixes_stop_at_the_first_missing_seed(monkeypatch):
    from vtl_models import claims, hub

    present = {"gan_seed1", "no_gan_seed1", "gan_seed2", "gan_seed3", "no_gan_seed3"}
    monkeypatch.setattr(hub, "has_card", lambda task, name: name in present)
    assert claims.seed_suffixes("video", "gan", "no_gan") == ["", "_seed1"]


def test_video_bars_read_the_issue_38_references():
    from vtl_models.report import verdicts

    report = {
        "metrics": {
            "diversity": 0.01,
            "true_future_spread": 0.03,
            "decoded_interp_psnr": 21.5,
            "interp_psnr_best5": 22.0,
        },
        "baselines": {"dis_flow": {"interp_psnr_best5": 21.7}},
    }
    found = {bar.describe(): (reference, verdict) for bar, _, reference, verdict in verdicts("video", report)}
    assert found["diversity >= 0.5 x true_future_spread"] == (pytest.approx(0.015), "missed")
    assert found["decoded_interp_psnr >= dis_flow.interp_psnr_best5"] == (21.7, "missed")
    assert found["interp_psnr_best5 >= dis_flow + 0.5"] == (pytest.approx(22.2), "missed")
    report["metrics"]["diversity"] = 0.016
    found = {bar.describe(): verdict for bar, _, _, verdict in verdicts("video", report)}
    assert found["diversity >= 0.5 x true_future_spread"] == "met"


def test_the_spread_map_is_dark_where_samples_agree_and_lit_where_they_differ():
    from vtl_models.video.predictor import ClipCompletion, VideoCompletion, spread_map

    samples = np.zeros((3, 4, 8, 8, 3), np.uint8)
    samples[1, 2, 2:4, 2:4] = 255  # one sample differs at one place and step
    spread = spread_map(samples)
    assert spread.shape == (4, 8, 8, 3) and spread.dtype == np.uint8
    assert spread[[0, 1, 3]].max() <= 5 and spread[2, 0, 0].max() <= 5  # agreement: black
    assert spread[2, 2, 2].sum() > 300  # disagreement: bright
    done = ClipCompletion(VideoCompletion(samples, [0]), 4, truth=samples[0])
    assert done.columns == ["ground truth", "sample 1", "sample 2", "sample 3", "spread"]
    movie = done.movie(scale=2)
    assert movie.shape[2] == 5 * 16 + 4 * 8  # five columns of 8 px at scale 2, four gaps of 8
    one = ClipCompletion(VideoCompletion(samples[:1], [0]), 4)
    assert one.columns == ["sample 1"] and one.movie(scale=2).shape[2] == 16
    assert psnr(done.movie(2)[:, :16, 16 + 8 : 32 + 8], one.movie(2)[:, :16]) == 60.0  # sample 1 drawn as before


def test_the_gan_is_default_only_when_asked_after_its_claim():
    from types import SimpleNamespace

    from vtl_models.video.train import keep_gan

    row = {"interpolation_anchor_psnr": 40.0, "prediction_anchor_psnr": 40.0}
    results = {"gan": {**row, "score": 20.0}, "no_gan": {**row, "score": 19.0}}
    assert not keep_gan(results, SimpleNamespace(default_gan=False))  # better on validation is not enough
    assert keep_gan(results, SimpleNamespace(default_gan=True))
    results["gan"]["score"] = 18.0
    assert not keep_gan(results, SimpleNamespace(default_gan=True))


def test_select_default_points_at_no_gan_and_keeps_the_notes(tmp_path, monkeypatch):
    from vtl_models import hub
    from vtl_models.video import gate
    from vtl_models.video.train import select_default

    monkeypatch.setattr(hub, "WEIGHTS_DIR", tmp_path / "weights")
    monkeypatch.setattr(gate, "gate_record", lambda name, command: {"weights_sha256": hub.read_card("video").sha256})
    row = {"interpolation_anchor_psnr": 40.0, "prediction_anchor_psnr": 40.0}
    validation = {"no_gan": {**row, "score": 19.0}, "gan": {**row, "score": 20.0}}
    for i, name in enumerate(("no_gan", "gan")):
        state = {"w": torch.full((2,), float(i))}
        hub.save_weights("video", name, state, {"config": {}, "training": {"command": "t", "validation": validation}})
    hub.share_weights("video", "default", "gan", {"config": {}, "caveats": ["c"], "eval": {"x": 1}, "training": {}})

    assert select_default(False, "sel") == "no_gan"  # a higher validation score alone is not enough
    card = hub.read_card("video")
    assert card.file == "no_gan.safetensors" and card.sha256 == hub.read_card("video", "no_gan").sha256
    assert card.raw["selected"]["from"] == "no_gan" and card.raw["selected"]["command"] == "sel"
    assert card.raw["caveats"] == ["c"] and "eval" not in card.raw  # notes on these runs kept; the eval is rerun
    assert card.raw["training"]["default_is"] == "no_gan"
    assert card.raw["gate"]["weights_sha256"] == card.sha256  # the gate is chosen again for the chosen weights
    assert torch.equal(hub.load_weights("video")[0]["w"], torch.zeros(2))
    assert select_default(True, "sel --default-gan") == "gan" and hub.read_card("video").file == "gan.safetensors"
    assert hub.read_card("video").raw["gate"]["weights_sha256"] == hub.read_card("video", "gan").sha256
