"""Issue 38's training mode (train video --v2), tiny: open clips in the batch and the pairing loss, the posterior code
the decoder reads, anchor-step latents, the copy-mask penalty, the DIS-flow copy source, the checkpoint score's
diversity ratio, the flags' defaults (the committed architecture), and a 3-step smoke run into a temp dir."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from vtl_models.video.batches import Batch, task_batch
from vtl_models.video.data import TASKS
from vtl_models.video.futures import open_futures
from vtl_models.video.losses import completion_losses, generator_loss, matched, sample_codes
from vtl_models.video.metrics import complete_parts, dis_flow, to_input
from vtl_models.video.model import SRcGAN, VideoConfig

TINY = {"size": 16, "latent_channels": 4, "width": 8, "full_res_channels": 4, "hidden": 8, "code_dim": 4}
ARGS = SimpleNamespace(beta=1e-3, w_mean=0.1)


def _model(copy_bias: float | None = None, **fields) -> SRcGAN:
    torch.manual_seed(0)
    model = SRcGAN(VideoConfig(**TINY, **fields)).eval()
    if copy_bias is not None:
        with torch.no_grad():
            model.compositor.net[-1].weight.zero_()
            model.compositor.net[-1].bias.fill_(copy_bias)
    return model


def _interpolation_mask(b: int) -> torch.Tensor:
    mask = torch.zeros(b, 8)
    mask[:, list(TASKS["interpolation"][0])] = 1
    return mask


def test_the_pairing_loss_takes_the_cheaper_pairing_and_rewards_covering_both_futures():
    error = torch.tensor([[[0.1, 0.5], [0.4, 0.2]], [[0.1, 0.5], [0.4, 0.2]]])  # (B, K=2, F=2)
    is_open = torch.tensor([True, False])
    # open: sample 0 -> future 0 and 1 -> 1 costs (0.1 + 0.2) / 2, the swap (0.4 + 0.5) / 2; one truth: best of K
    torch.testing.assert_close(matched(error, is_open), torch.tensor([0.15, 0.1]))
    clip = torch.from_numpy(open_futures(3, "interpolation", 16).astype(np.float32))  # (F, T, H, W, 3)
    free = [1, 2, 3, 4, 5, 6]

    def loss(samples: torch.Tensor) -> float:  # samples (K, T, ...) against the clip's two futures
        err = (samples[:, None, free] - clip[None, :, free]).abs().mean((2, 3, 4, 5))[None]
        return matched(err, torch.tensor([True])).item()

    agree, cover = clip[[0, 0]], clip[[1, 0]]
    assert loss(cover) == 0.0 < loss(agree)  # best-of-K against future 0 alone would score both 0


def test_open_clips_fill_their_share_of_an_interpolation_or_prediction_batch():
    cfg = VideoConfig(**TINY)
    rng, seen = np.random.default_rng(0), set()
    while len(seen) < 2:
        batch = task_batch(rng, 4, cfg, 0.0, open_share=0.5)
        steps = [int(s) for s in torch.nonzero(batch.mask[0]).flatten()]
        setting = next((n for n, (st, length) in TASKS.items() if (tuple(steps), batch.mask.shape[1]) == (st, length)))
        seen.add(setting)
        assert batch.open.tolist() == [False, False, True, True]
        free = batch.mask[0] == 0
        torch.testing.assert_close(batch.truths[:, 0, steps], batch.truths[:, 1, steps])  # shared anchors
        assert torch.equal(batch.truths[:2, 0], batch.truths[:2, 1])  # one truth: repeated
        assert not torch.equal(batch.truths[2:, 0, free], batch.truths[2:, 1, free])  # two futures: they differ
        assert torch.equal(batch.video, batch.truths[:, 0]) and batch.interpolated is None


def test_open_clips_take_shape_motions_place_not_the_real_clips(monkeypatch):
    from vtl_models.video import batches

    white = lambda rng, n, size, length: np.full((n, length, size, size, 3), 255, np.uint8)  # noqa: E731
    monkeypatch.setattr(batches, "random_real_clips", white)
    rng, real = np.random.default_rng(0), []
    while len(real) < 20:
        batch = task_batch(rng, 12, VideoConfig(**TINY), 0.25, open_share=0.5)
        if batch.open.any():
            real.append(int((batch.video.flatten(1).min(1).values == 1).sum()))
    assert np.mean(real) == pytest.approx(3, abs=0.6)  # 0.25 x 12 a batch, not 0.25 x the 6 closed clips


def test_without_open_clips_the_batch_draws_what_it_drew_before():
    from vtl_models.video.batches import TRAIN_SEEDS
    from vtl_models.video.data import random_task, shape_motion

    batch = task_batch(np.random.default_rng(5), 3, VideoConfig(**TINY), 0.0)
    rng = np.random.default_rng(5)
    steps, length = random_task(rng)
    rng.binomial(3, 0.0)
    seeds = rng.integers(0, TRAIN_SEEDS, 3)
    expected = to_input(np.stack([shape_motion(int(s), 16, length) for s in seeds]))
    assert torch.equal(batch.video, expected) and not batch.open.any()
    assert batch.mask[0].nonzero().flatten().tolist() == list(steps)


def test_the_posterior_code_reaches_the_decoder_and_the_prior_samples_stay_the_prior():
    model = _model(posterior=True, decoder_code=True)
    clip = to_input(open_futures(3, "interpolation", 16))  # the two futures share the anchors
    mask = _interpolation_mask(1)
    outs = []
    for future in (0, 1):
        torch.manual_seed(1)
        batch = Batch.of(clip[future : future + 1], mask)
        code, kl = sample_codes(model, batch, 2)
        outs.append(model(batch.video, mask, code)["decoded"])
        assert kl.item() > 0
    assert not torch.allclose(outs[0][:, 0], outs[1][:, 0])  # the posterior sample reads the whole clip
    torch.testing.assert_close(outs[0][:, 1], outs[1][:, 1])  # the prior sample: same anchors, same code
    latents = torch.randn(2, 4, 4, 4)
    decoded = [model.decoder(latents, torch.full((2, 4), float(z)))[1] for z in (-1, 1)]
    assert not torch.allclose(*decoded)  # the decoder reads z itself, not only through the ConvGRU
    plain = _model().decoder
    torch.testing.assert_close(plain(latents, torch.ones(2, 4))[1], plain(latents)[1])  # the default ignores z
    terms = completion_losses(model, Batch.of(clip[:1], mask), 2, ARGS)
    terms["variety"].backward()
    assert model.posterior.head.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("as_mean", [True, False])
def test_at_anchor_steps_the_latent_is_the_anchors_encoder_mean(as_mean):
    model = _model(anchor_latent_is_mean=as_mean, decoder_code=True)
    video = torch.rand(2, 8, 3, 16, 16) * 2 - 1
    anchors = list(TASKS["interpolation"][0])
    with torch.no_grad():
        out = model(video, _interpolation_mask(2), torch.randn(2, 3, 4))
        mean = model.encoder(video[:, anchors].flatten(0, 1))[0].unflatten(0, (2, 2))
        recon = model.reconstruct(video[:, anchors].flatten(0, 1)).unflatten(0, (2, 2))
    same = torch.allclose(out["latents"][:, :, anchors], mean[:, None].expand(-1, 3, -1, -1, -1, -1))
    assert same == as_mean
    if as_mean:  # the decoded anchors are the VAE's reconstruction, whatever the code
        torch.testing.assert_close(out["decoded"][:, :, anchors], recon[:, None].expand(-1, 3, -1, -1, -1, -1))


def test_the_copy_mask_penalty_is_where_the_anchors_around_a_step_differ():
    video = torch.full((1, 8, 3, 16, 16), -1.0)
    mask = _interpolation_mask(1)
    still = completion_losses(_model(0.0), Batch.of(video, mask), 2, ARGS)["copy_moved"]
    video[:, 7, :, :4, :4] = 1.0  # a 4x4 patch changed between the anchors
    moved = completion_losses(_model(0.0), Batch.of(video, mask), 2, ARGS)
    assert still.item() == 0.0
    # copy mask 0.5 everywhere (zero weights): half of the patch's share of the pixels, over the 6 free steps of 8
    assert moved["copy_moved"].item() == pytest.approx(0.5 * (16 / 256) * (6 / 8), rel=1e-4)
    assert completion_losses(_model(-40.0), Batch.of(video, mask), 2, ARGS)["copy_moved"].item() < 1e-9
    model = _model(0.0)
    terms = completion_losses(model, Batch.of(video, mask), 2, ARGS)
    bias = model.compositor.net[-1].bias
    assert torch.autograd.grad(terms["copy_moved"], bias, retain_graph=True)[0].item() > 0  # pushes the mask down
    weights = {"w_anchor": 2.0, "w_decoded": 1.0, "w_copy": 0.0, "posterior_beta": 1e-3, **vars(ARGS)}
    on, off = (generator_loss(terms, SimpleNamespace(**weights, w_copy_moved=w)) for w in (1.0, 0.0))
    assert (on - off).item() == pytest.approx(terms["copy_moved"].item(), rel=1e-5)


def test_the_copy_target_reads_only_single_truth_videos():
    torch.manual_seed(1)
    video, mask = torch.rand(2, 8, 3, 16, 16) * 2 - 1, _interpolation_mask(2)
    truths = video[:, None].repeat(1, 2, 1, 1, 1, 1)
    truths[1, 1, 4:] = -truths[1, 1, 4:]  # the second video is open: its futures part after step 4
    mixed = Batch(video, mask, truths, torch.tensor([False, True]))
    model = _model(3.0)  # a copy mask leaning to "copy": the target's 0s and 1s cost differently

    def copy(batch: Batch) -> float:
        torch.manual_seed(0)  # the same codes for the first video in both batches
        return completion_losses(model, batch, 2, ARGS)["copy"].item()

    alone = copy(Batch.of(video[:1], mask[:1]))
    assert alone > 0 and copy(mixed) == pytest.approx(alone, rel=1e-4)
    assert copy(Batch(video, mask, truths, torch.tensor([True, True]))) == 0.0


def test_a_dis_flow_model_copies_the_flow_interpolation_computed_in_the_loader():
    from vtl_models.video.data import shape_batch

    model = _model(40.0, copy_source="dis_flow")  # a compositor that copies everywhere
    videos = shape_batch("test", 0, 3, 16, 8)
    steps = TASKS["interpolation"][0]
    with pytest.raises(ValueError, match="dis_flow"):
        model(to_input(videos), _interpolation_mask(3), torch.randn(3, 2, 4))
    served = complete_parts(model, videos, steps, 2, seed=0)["video"]
    flow = np.stack([dis_flow(v, steps) for v in videos])
    assert np.abs(served[:, 1].astype(int) - flow).max() <= 1
    rng = np.random.default_rng(0)
    batch = task_batch(rng, 2, model.cfg, 0.0)
    anchors = [int(s) for s in batch.mask[0].nonzero().flatten()]
    truth = ((batch.truths[:, 0].permute(0, 1, 3, 4, 2) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
    expected = to_input(np.stack([dis_flow(v, anchors) for v in truth]))
    torch.testing.assert_close(batch.interpolated, expected)


def test_the_checkpoint_score_adds_the_open_clips_diversity_ratio():
    from vtl_models.video.data import shape_batch
    from vtl_models.video.futures import open_batch
    from vtl_models.video.validation import validate

    val = {"interpolation": shape_batch("val", 0, 2, 16, 8), "prediction": shape_batch("val", 48, 2, 16, 16)}
    plain = validate(_model(), val)
    scored = validate(_model(), val | {"open_interpolation": open_batch("val", "interpolation", 0, 2, 16)})
    ratio = scored["open_interpolation_diversity_ratio"]
    assert 0 < ratio <= 1 and plain["best5_psnr"] == scored["best5_psnr"]
    assert scored["score"] == pytest.approx(plain["score"] + ratio, abs=2e-3)


def test_flags_default_to_the_committed_architecture_and_v2_sets_the_plan():
    from vtl_models.video.train import V2, config_of, parse_args

    assert config_of(parse_args([])) == VideoConfig()
    plain = parse_args([])
    assert (plain.open_share, plain.w_copy_moved, plain.w_decoded, plain.val_open) == (0.0, 0.0, 1.0, 0)
    v2 = parse_args(["--v2"])
    assert all(getattr(v2, key) == value for key, value in V2.items())
    cfg = config_of(v2)
    assert cfg.posterior and cfg.decoder_code and cfg.anchor_latent_is_mean and cfg.copy_source == "dis_flow"
    assert cfg.latent_channels == 32
    mixed = parse_args(["--v2", "--no-posterior", "--latent-channels", "16", "--w-decoded", "2"])
    assert not mixed.posterior and mixed.latent_channels == 16 and mixed.w_decoded == 2 and mixed.decoder_code
    with pytest.raises(SystemExit):
        parse_args(["--open-share", "0.5", "--samples", "1"])


def test_a_three_step_v2_run_writes_only_to_the_weights_dir_it_is_given(tmp_path, monkeypatch):
    from vtl_models import hub
    from vtl_models.video import data, gate, train, validation
    from vtl_models.video.predictor import build

    committed = hub.WEIGHTS_DIR / "video"
    before = sorted((p.name, p.stat().st_mtime_ns) for p in committed.iterdir())
    monkeypatch.setattr(hub, "WEIGHTS_DIR", tmp_path / "weights")
    monkeypatch.setattr(validation, "N_VAL", 1)
    monkeypatch.setattr(data, "read_video", lambda name: None)  # no real clips: quick, nothing read from disk
    monkeypatch.setattr(gate, "gate_record", lambda name, command: {"threshold_db": None})
    small = ["--v2", "--size", "16", "--batch", "2", "--minutes", "1,1,1,1", "--threads", "1", "--val-open", "1"]
    train.main([*small, "--real-share", "0", "--max-steps", "3"])
    train.main([*small, "--real-share", "0", "--max-steps", "1", "--seed", "1"])  # a claim seed: no default
    runs = ("gan", "no_gan", "gan_seed1", "no_gan_seed1")
    expected = ["default.json"] + [f"{n}.{ext}" for n in runs for ext in ("json", "safetensors")]
    assert sorted(p.name for p in (tmp_path / "weights" / "video").iterdir()) == sorted(expected)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in committed.iterdir()) == before
    card = hub.read_card("video")
    assert card.raw["selected"]["from"] == "no_gan" and card.raw["training"]["steps"]["recurrent"] == 3
    assert card.raw["config"]["posterior"] and card.raw["training"]["open_share"] == 0.5
    assert "open_interpolation_diversity_ratio" in card.raw["training"]["validation"]["no_gan"]
    model, loaded = hub.load_model("video", "default", build)
    videos = open_futures(0, "interpolation", 16)[None, 0]
    parts = complete_parts(model, videos, TASKS["interpolation"][0], 2, 0, card_input=loaded.raw["input"])
    assert parts["video"].shape == (1, 2, 8, 16, 16, 3)
