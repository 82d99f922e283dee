"""Smile transfer: the face generator, CDRD shapes and losses on tiny configs, determinism."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from vtl_models.hub import has_card
from vtl_models.smile.data import FACTOR_CLASSES, make_batch, paired_batch, to_float
from vtl_models.smile.evaluate import faces as evaluate_faces
from vtl_models.smile.model import CDRD, CDRDConfig, attribute_code
from vtl_models.smile.train import build_model, export_state, losses, lr_scale, parse_args, tie_penalty

TINY = CDRDConfig(size=16, z_dim=8, width=16)


@pytest.mark.parametrize("domain", ["photo", "cartoon"])
def test_generator_is_deterministic_and_split_disjoint(domain):
    a, fa = make_batch(domain, 6, 32, "train", 3)
    b, fb = make_batch(domain, 6, 32, "train", 3)
    c, _ = make_batch(domain, 6, 32, "test", 3)
    assert a.shape == (6, 32, 32, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and all(np.array_equal(fa[k], fb[k]) for k in fa)
    assert not np.array_equal(a, c)
    for key, classes in FACTOR_CLASSES.items():
        assert fa[key].min() >= 0 and fa[key].max() < classes


def test_domains_share_factors_but_differ_in_pixels():
    factors, photos, cartoons = paired_batch(4, 32, "val", 0)
    assert photos.shape == cartoons.shape == (4, 32, 32, 3)
    assert np.abs(photos.astype(int) - cartoons.astype(int)).mean() > 10
    assert set(np.unique(factors["smile"])) <= {0, 1}


def test_smile_changes_only_the_mouth_region():
    factors, photos, _ = paired_batch(2, 32, "val", 1)
    flipped = {k: v.copy() for k, v in factors.items()}
    flipped["smile"] = 1 - flipped["smile"]
    from vtl_models.smile.data import render

    other = render(flipped, "cartoon", 32, seed=1)
    same = render(factors, "cartoon", 32, seed=1)
    diff = np.abs(other.astype(int) - same.astype(int)).sum(-1)
    assert diff.sum() > 0
    assert diff[:, :12].sum() == 0  # the upper face (hair, eyes) does not move


@pytest.mark.parametrize(("shared_stages", "side"), [(None, 8), (2, 16)])  # the last upsampling per domain, or none
def test_model_shapes(shared_stages, side):
    cfg = CDRDConfig(size=16, z_dim=8, width=16, shared_stages=shared_stages)
    model = CDRD(cfg).eval()
    z, code = torch.randn(3, cfg.z_dim), attribute_code(torch.tensor([0.0, 1.0, 0.5]))
    assert model.generator.shared_features(z, code).shape[-2:] == (side, side)  # where the domains part
    for domain in (0, 1):
        x = model.generator(z, code, domain)
        assert x.shape == (3, 3, 16, 16) and x.abs().max() <= 1
        adv, cls = model.discriminator(x, domain)
        assert adv.shape == (3,) and cls.shape == (3, 2)
        z_hat, a_hat = model.encoder(x, domain)
        assert z_hat.shape == (3, cfg.z_dim) and a_hat.shape == (3, 2)
    assert model.translate(x, 1).shape == (3, 2, 3, 16, 16)
    with pytest.raises(ValueError, match="shared_stages"):
        CDRDConfig(size=16, shared_stages=0)
    assert model.classify(x, 0).shape == (3,)


def test_sampling_is_deterministic_by_seed():
    model = CDRD(TINY).eval()
    smile = torch.tensor([0.0, 1.0])
    a, b, c = model.sample(2, smile, seed=5), model.sample(2, smile, seed=5), model.sample(2, smile, seed=6)
    assert a.shape == (2, 2, 3, 16, 16)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_losses_are_finite_and_train_every_part():
    torch.manual_seed(0)
    model = CDRD(TINY)
    xs = torch.from_numpy(to_float(make_batch("photo", 4, 16)[0]))
    xt = torch.from_numpy(to_float(make_batch("cartoon", 4, 16)[0]))
    args = parse_args(["--rec", "1", "--target-warmup", "0"])
    loss_d, loss_ge, stats = losses(model, xs, torch.tensor([0, 1, 1, 0]), xt, args)
    assert torch.isfinite(loss_d) and torch.isfinite(loss_ge)
    assert all(np.isfinite(v) for v in stats.values())
    loss_ge.backward(inputs=[*model.generator.parameters(), *model.encoder.parameters()])
    assert model.generator.domain_specific[1][0].weight.grad.abs().sum() > 0
    assert model.encoder.domain_specific[1][0].weight.grad.abs().sum() > 0
    loss_d.backward(inputs=list(model.discriminator.parameters()))
    assert model.discriminator.domain_specific[1][0][0].parametrizations.weight.original.grad.abs().sum() > 0


def test_target_attribute_loss_waits_for_the_warmup():
    model = CDRD(CDRDConfig(size=16, z_dim=8, width=16))
    xs = torch.from_numpy(to_float(make_batch("photo", 4, 16)[0]))
    xt = torch.from_numpy(to_float(make_batch("cartoon", 4, 16)[0]))
    ls = torch.tensor([0, 1, 1, 0])

    def run(step: int, target_cls: float) -> tuple[float, float]:
        torch.manual_seed(0)
        args = parse_args(["--rec", "1", "--target-warmup", "10", "--target-cls", str(target_cls)])
        loss_d, loss_ge, _ = losses(copy.deepcopy(model), xs, ls, xt, args, step)  # spectral norm steps in place
        return loss_d.item(), loss_ge.item()

    assert run(9, 0.5) == run(9, 0.0)  # before the warm-up: no attribute loss on generated cartoons
    after, none = run(10, 0.5), run(10, 0.0)
    assert after[0] > none[0] and after[1] > none[1]


@pytest.mark.parametrize("detach", [True, False])
def test_detached_guess_keeps_unlabeled_faces_out_of_the_attribute_head(detach):
    model = CDRD(TINY)
    xs = torch.from_numpy(to_float(make_batch("photo", 4, 16)[0]))
    ls = torch.tensor([0, 1, 1, 0])
    args = parse_args(["--rec", "1", *(["--detach-guess"] if detach else [])])

    def head_grad(index: int) -> torch.Tensor:
        torch.manual_seed(0)
        xt = torch.from_numpy(to_float(make_batch("cartoon", 4, 16, "train", index)[0]))
        copied = copy.deepcopy(model)  # spectral norm steps in place
        head = copied.encoder.to_attribute.weight
        return torch.autograd.grad(losses(copied, xs, ls, xt, args)[1], head)[0]

    assert torch.allclose(head_grad(0), head_grad(1)) == detach  # real cartoons reach the head only undetached


def test_tie_penalty_pulls_the_target_layer_to_the_source_one():
    discriminator = CDRD(TINY).discriminator
    assert tie_penalty(discriminator) > 0  # independent initialisations differ
    source, target = discriminator.domain_specific
    target.load_state_dict(source.state_dict())
    assert tie_penalty(discriminator) == 0
    with torch.no_grad():
        target[1].bias += 0.1
    tie_penalty(discriminator).backward()
    assert target[1].bias.grad.gt(0).all() and source[1].bias.grad.lt(0).all()


def test_shared_d_ablation_trains_one_low_level_layer_and_saves_it_for_both_domains(tmp_path, monkeypatch):
    from vtl_models import hub

    cfg = CDRDConfig(size=32, width=8)
    model = build_model(cfg, shared_d=True)
    low_level = model.discriminator.domain_specific
    assert low_level[1] is low_level[0]
    with torch.no_grad():  # in eval mode spectral norm takes no power-iteration step between the two reads
        assert tie_penalty(model.discriminator.eval()).item() == 0.0
    model.train()
    assert build_model(cfg).discriminator.domain_specific[1] is not build_model(cfg).discriminator.domain_specific[0]
    xs, xt = torch.rand(4, 3, 32, 32) * 2 - 1, torch.rand(4, 3, 32, 32) * 2 - 1
    loss_d, _, _ = losses(model, xs, torch.tensor([0, 1, 1, 0]), xt, parse_args(["--shared-d"]))
    loss_d.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in low_level[0].parameters())
    monkeypatch.setattr(hub, "WEIGHTS_DIR", tmp_path)
    hub.save_weights("smile", "shared", export_state(model, model.generator), {"config": cfg.to_dict()}, half=True)
    loaded = build_model(cfg).eval()  # as eval builds it: two layers, both filled with the one shared layer
    loaded.load_state_dict(hub.load_weights("smile", "shared")[0])
    x = torch.rand(2, 3, 32, 32)
    torch.testing.assert_close(loaded.discriminator(x, 0), loaded.discriminator(x, 1))


def test_export_state_holds_the_ema_generator():
    from vtl_models.smile.train import export_state

    model = CDRD(TINY)
    ema = CDRD(TINY).generator
    state = export_state(model, ema)
    assert state.keys() == model.state_dict().keys()
    assert torch.equal(state["generator.project.0.weight"], ema.project[0].weight)
    assert not torch.equal(state["generator.project.0.weight"], model.generator.project[0].weight)


def test_two_sample_metrics():
    from vtl_models.smile.evaluate import frechet_distance, one_nn_accuracy

    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, (300, 8)), rng.normal(0, 1, (300, 8))
    far = rng.normal(6, 1, (300, 8))
    assert 0.4 < one_nn_accuracy(a, b) < 0.6 and one_nn_accuracy(a, far) > 0.99
    assert frechet_distance(a, b) < 1.0 < 200 < frechet_distance(a, far)


def test_evaluator_and_crop_shapes():
    from vtl_models.smile.evaluator import HEADS, Evaluator
    from vtl_models.smile.predictor import _cascade, crop_face, guess_domain

    features, logits = Evaluator(8)(torch.zeros(2, 3, 32, 32))
    assert features.shape == (2, 128) and set(logits) == set(HEADS)
    photo, _ = make_batch("photo", 1, 96, "test", 0)
    cartoon, _ = make_batch("cartoon", 1, 96, "test", 0)
    assert guess_domain(photo[0]) == "photo" and guess_domain(cartoon[0]) == "cartoon"
    crop = crop_face(np.zeros((50, 80, 3), np.uint8), 32, _cascade())
    assert not crop.found_face and crop.image.shape == (32, 32, 3) and "No face" in crop.message


def test_learning_rate_holds_then_falls_linearly_to_zero():
    assert lr_scale(0.0, 0.5) == lr_scale(0.5, 0.5) == 1.0
    assert lr_scale(0.75, 0.5) == pytest.approx(0.5)
    assert lr_scale(1.0, 0.5) == 0.0
    assert lr_scale(0.99, 0.0) == 1.0  # --decay 0: constant


def test_source_only_baseline_trains_on_photos_alone_and_is_read_back(tmp_path, monkeypatch):
    from vtl_models import hub
    from vtl_models.smile import baseline, evaluate

    monkeypatch.setattr(hub, "WEIGHTS_DIR", tmp_path)
    read = []
    images = np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)

    def photos_only(domain, n, size, split="train"):
        read.append(domain)
        return {"images": images, "smile": np.arange(16) % 2}

    monkeypatch.setattr(baseline, "cached_split", photos_only)
    monkeypatch.setattr(evaluate, "BASELINE_SEEDS", 1)
    monkeypatch.setattr(evaluate, "source_only", lambda *a, **k: "short run")
    monkeypatch.setattr(evaluate, "faces", lambda *a, **k: (None, {"smile": None}))
    cfg = CDRDConfig()
    assert evaluate.source_only_runs(cfg) == {"source_only": ["short run"]}  # no committed baseline yet
    argv = ["--source-only", "--steps", "3", "--batch", "4", "--seed", "0"]
    baseline.train_source_only(parse_args(argv), argv)
    assert read == ["photo"]
    card = hub.read_card("smile", "source_only_seed0")
    assert card.raw["training"]["steps"] == 3 and card.raw["dtype"] == "float16"
    runs = evaluate.source_only_runs(cfg)
    assert runs["source_only_800"] == ["short run"] and isinstance(runs["source_only"][0], evaluate.Discriminator)


def test_cdrd_seeds_pair_with_the_baseline_seed_of_the_same_number(tmp_path, monkeypatch):
    from vtl_models import hub
    from vtl_models.smile import evaluate

    monkeypatch.setattr(hub, "WEIGHTS_DIR", tmp_path)
    assert evaluate.cdrd_seeds() == ["default"]
    (tmp_path / "smile").mkdir()
    (tmp_path / "smile" / "cdrd_seed1.json").write_text("{}")
    assert evaluate.cdrd_seeds() == ["default", "cdrd_seed1"]
    model = [np.r_[np.ones(60), np.zeros(40)].astype(bool), np.r_[np.ones(70), np.zeros(30)].astype(bool)]
    baseline = [np.r_[np.ones(50), np.zeros(50)].astype(bool)] * 3
    claim = evaluate.paired_claim(model, baseline)  # two model seeds: paired with baseline seeds 0 and 1 only
    assert claim["seeds"] == 2 and claim["per_seed_diff"] == [0.1, 0.2] and claim["diff"] == 0.15


@pytest.mark.skipif(not has_card("smile", "shared_d"), reason="smile runs not trained yet")
def test_validation_reads_the_val_cartoons_only_and_keeps_the_target_layer_unless_it_loses(monkeypatch):
    from vtl_models.smile import validate

    splits, written = [], {}
    monkeypatch.setattr(validate, "faces", lambda *a: splits.append(a[3]) or evaluate_faces(*a))
    monkeypatch.setattr(validate, "update_card", lambda task, name, **fields: written.update(fields))
    monkeypatch.setattr(validate, "N_VAL", 60)
    entry = validate.validate()
    assert splits == ["val"] and written["validation"] is entry
    assert {"default", "shared_d", "source_only_seed0"} <= set(entry["target_attr_acc"])
    layer = entry["decisions"]["target_layer_vs_shared_d"]
    assert layer["kept"].startswith("the shared layer") == (layer["per_seed_ci95"][0][1] < 0)


def test_cdrd_training_never_reads_a_training_cartoons_smile_label(tmp_path, monkeypatch):
    """The smile label of a cartoon is the option it was drawn with: validation may read it, the training loop not."""
    from vtl_models.smile import train

    class Unlabelled(dict):
        def __getitem__(self, key):
            assert key != "smile", "a training cartoon's smile label was read"
            return super().__getitem__(key)

    read = []

    def split(domain, n, size, split="train", chunk=1000, cartoons="procedural"):
        read.append((domain, split, cartoons))
        rng = np.random.default_rng(len(read))
        faces = {"images": rng.integers(0, 256, (8, size, size, 3), dtype=np.uint8), "smile": np.arange(8) % 2}
        return Unlabelled(faces) if domain == "cartoon" and split == "train" else faces

    _tiny_run(monkeypatch, tmp_path, split)
    argv = ["--size", "16", "--width", "8", "--batch", "4", "--steps", "3", "--sample-every", "2", "--no-save"]
    train.main([*argv, "--cartoons", "lorelei", "--target-warmup", "0"])
    assert ("cartoon", "train", "lorelei") in read and ("cartoon", "val", "lorelei") in read


def _tiny_run(monkeypatch, tmp_path, split) -> None:
    """train.main on faces from `split` (cached_split's stand-in), no sample sheets, runs/ in tmp_path."""
    from vtl_models.smile import monitor, train

    monkeypatch.setattr(train, "cached_split", split)
    sheet = np.zeros((8, 16, 16, 3), np.uint8)
    monkeypatch.setattr(monitor, "paired_batch", lambda *a: (None, sheet, sheet))
    monkeypatch.setattr(train, "RUNS", tmp_path)


def test_keep_best_saves_the_state_of_the_best_validation_probe(tmp_path, monkeypatch):
    from vtl_models.smile import train

    def split(domain, n, size, split="train", chunk=1000, cartoons="procedural"):
        rng = np.random.default_rng(n)
        return {"images": rng.integers(0, 256, (8, size, size, 3), dtype=np.uint8), "smile": np.arange(8) % 2}

    _tiny_run(monkeypatch, tmp_path, split)
    probes, seen, saved = iter([0.6, 0.7, 0.5]), [], {}

    def probe(model, val):
        seen.append({k: v.clone() for k, v in model.discriminator.state_dict().items()})
        return next(probes)

    monkeypatch.setattr(train, "val_target_accuracy", probe)
    monkeypatch.setattr(
        train, "save_weights", lambda task, name, state, card, half: saved.update(state=state, card=card)
    )
    argv = ["--size", "16", "--width", "8", "--batch", "4", "--steps", "6", "--sample-every", "2", "--keep-best"]
    train.main([*argv, "--name", "tiny"])
    assert saved["card"]["training"]["kept"]["step"] == 4 and saved["card"]["training"]["kept"]["val_target_acc"] == 0.7
    for key, value in seen[1].items():  # the discriminator of the second probe (step 4), not the last one (step 6)
        assert torch.equal(saved["state"][f"discriminator.{key}"], value), key
    assert any(not torch.equal(seen[2][k], v) for k, v in seen[1].items())


def test_artwork_framing_fills_outside_the_avatar_with_its_background(monkeypatch):
    """Lorelei avatars are framed like the photos: where the crop leaves the avatar, the face's background colour."""
    from vtl_models.smile import artwork

    monkeypatch.setattr(artwork, "CROP", (0.25, -0.25, 1.0))
    avatar = np.full((8, 8, 3), 200, np.uint8)
    avatar[4, 4] = 0  # a mark that must move by the crop's offset: (4, 4) -> (6, 2)
    square = artwork._frame(avatar, np.array([1, 2, 3], np.uint8), 8)
    assert square.shape == (8, 8, 3)
    assert (square[:2] == [1, 2, 3]).all() and (square[:, 6:] == [1, 2, 3]).all()  # above and right of the avatar
    assert (square[2:, :6] != [1, 2, 3]).all(axis=-1).all() and square[6, 2].tolist() == [0, 0, 0]


def test_validating_one_run_reads_the_val_cartoons_of_its_own_world(monkeypatch):
    from vtl_models.smile import predictor, validate

    model = build_model(TINY).eval()
    card = type("Card", (), {"raw": {"training": {"cartoons": "lorelei"}}})()
    monkeypatch.setattr(predictor, "load_model", lambda name: (model, card))
    read, written = [], {}

    def faces_of(domain, n, size, split, world):
        read.append((domain, split, world))
        return evaluate_faces(domain, n, size, split)

    monkeypatch.setattr(validate, "faces", faces_of)
    monkeypatch.setattr(validate, "update_card", lambda task, name, **fields: written.update(name=name, **fields))
    monkeypatch.setattr(validate, "N_VAL", 20)
    entry = validate.validate_run("lorelei_try9")
    assert read == [("cartoon", "val", "lorelei")] and written["name"] == "lorelei_try9"
    assert set(entry["target_attr_acc"]) == {"through_D_S", "through_D_T"}
    assert all(0 <= v <= 1 for v in entry["target_attr_acc"].values()) and written["validation"] == entry
