"""Image to 3D on furniture, the few-label regime: calibration, furniture runs' names and cards, the projection's
mask target, the eval's claims over test objects, and the tab's furniture examples.

Tiny configs and a few steps on synthetic views, plus the two CC0 models committed under
tests/data/shape3d_furniture/; nothing here needs Debian's furniture package.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from vtl_models.shape3d import data
from vtl_models.shape3d.data import ViewBatch
from vtl_models.shape3d.shapes import CATEGORIES, GRID

MODELS = Path(__file__).parent / "data" / "shape3d_furniture"
ROOT = Path(__file__).resolve().parents[1]


def synthetic_views(per_category: int = 2, views: int = 2) -> ViewBatch:
    """Random images of boxes of random size, `per_category` shapes a category listed category by category."""
    rng = np.random.default_rng(0)
    n = per_category * len(CATEGORIES)
    voxels = np.zeros((n, GRID, GRID, GRID), bool)
    for i in range(n):
        h = rng.integers(4, 14, 3)
        voxels[i, 16 - h[0] : 16 + h[0], 16 - h[1] : 16 + h[1], 16 - h[2] : 16 + h[2]] = True
    return ViewBatch(
        images=rng.integers(0, 256, (n * views, data.IMAGE_SIZE, data.IMAGE_SIZE, 3), dtype=np.uint8),
        masks=rng.integers(0, 256, (n * views, data.IMAGE_SIZE, data.IMAGE_SIZE), dtype=np.uint8),
        azimuth=rng.uniform(0, 360, n * views).astype(np.float32),
        elevation=rng.uniform(0, 40, n * views).astype(np.float32),
        shape_index=np.repeat(np.arange(n), views),
        voxels=voxels,
        category=np.repeat(np.arange(len(CATEGORIES)), per_category),
        symmetry=np.ones(n, np.int64),
    )


def test_the_chosen_share_is_the_largest_with_the_gap_on_validation():
    from vtl_models.shape3d.calibrate import choose_share

    assert choose_share(0.60, {0.02: 0.40, 0.05: 0.49, 0.1: 0.55}) == 0.05  # 0.11 below; 0.1 is only 0.05 below
    assert choose_share(0.60, {0.05: 0.52, 0.1: 0.58}) is None  # no share leaves a 0.10 gap
    assert choose_share(0.60, {0.02: 0.50}) == 0.02  # exactly the gap counts


def test_calibration_trains_equal_steps_writes_its_record_and_furniture_cards_copy_it(tmp_path, monkeypatch):
    from vtl_models.shape3d import calibrate, card, train

    views = synthetic_views()
    monkeypatch.setattr(calibrate, "training_data", lambda args: (views, views))
    monkeypatch.setattr(calibrate, "PATH", tmp_path / "calibration.json")
    argv = ["--shares", "0.5,1", "--steps", "2", "--batch", "4", "--threads", "1", "--out", str(calibrate.PATH)]
    calibrate.main(argv)
    record = json.loads(calibrate.PATH.read_text())
    assert record["full_supervision"]["steps"] == 2 and record["full_supervision"]["shapes_with_3d"] == 12
    few = record["labels_3d_only"]
    assert few["0.5"]["steps"] == 2 and few["0.5"]["shapes_with_3d"] == 6  # every 2nd model of each category
    assert few["1"]["shapes_with_3d"] == 12
    assert few["0.5"]["gap"] == pytest.approx(record["full_supervision"]["val_iou"] - few["0.5"]["val_iou"], abs=2e-4)
    assert "--steps 2" in record["command"] and record["chosen_share"] in (None, 0.5, 1.0)
    # a furniture run's card carries it, and declares who has pose labels
    args = argparse.Namespace(
        data="furniture",
        steps=2,
        labelled=0.5,
        views=2,
        encoder="cnn",
        batch=4,
        lr=2e-3,
        seed=0,
        resume=False,
        cross_view=0.0,
    )
    labelled = train.labelled_shapes(views.category, 0.5)
    built = card.build_card({}, args, "semi", 0, 1.0, 2, 24, labelled, labelled, {}, [], (0.1, 0.2), [], {})
    assert built["calibration"] == record and built["training"]["data"] == "furniture"
    assert built["training"]["shapes_with_pose"] == 6 and "only on the 3D-labelled" in built["training"]["pose_labels"]
    assert "--data furniture --labelled 0.5" in built["training"]["command"]
    assert "cross_view" not in built["training"] and card.CROSS_VIEW_DEVIATION not in built["deviations_from_paper"]
    args.cross_view = 1.0
    built = card.build_card(
        {}, args, "semi", 0, 1.0, 2, 24, labelled, labelled, {"cross_view": 1.0}, [], (0, 0), [], {}
    )
    assert (
        "--cross-view 1" in built["training"]["command"] and card.CROSS_VIEW_DEVIATION in built["deviations_from_paper"]
    )


def test_furniture_runs_have_their_own_names_and_the_calibrated_share(tmp_path, monkeypatch):
    from vtl_models.shape3d import calibrate
    from vtl_models.shape3d.selection import labelled_share
    from vtl_models.shape3d.train import weight_name

    assert weight_name("sup_few", 0, "furniture") == "furniture_sup_few"
    assert weight_name("semi", 2, "furniture") == "furniture_semi_seed2" and weight_name("semi", 2) == "semi_seed2"
    monkeypatch.setattr(calibrate, "PATH", tmp_path / "calibration.json")
    args = argparse.Namespace(labelled=None, data="furniture")
    with pytest.raises(SystemExit, match="calibrate"):
        labelled_share(args)
    calibrate.PATH.write_text(json.dumps({"chosen_share": 0.05}))
    assert labelled_share(args) == 0.05
    assert labelled_share(argparse.Namespace(labelled=None, data="procedural")) == 0.1
    assert labelled_share(argparse.Namespace(labelled=0.03, data="furniture")) == 0.03


def test_the_semi_loop_on_furniture_labels_share_f_only_and_projects_against_any_coverage(monkeypatch):
    from vtl_models.shape3d import train

    views = synthetic_views()
    seen = []
    real_losses = train.losses

    def spy(model, batch, has_3d, project=True, has_pose=None, pairs=None):
        seen.append((batch, has_3d.clone(), has_pose.clone(), pairs))
        return real_losses(model, batch, has_3d, project, has_pose, pairs)

    monkeypatch.setattr(train, "losses", spy)
    args = argparse.Namespace(
        seed=0, encoder="cnn", resume=False, lr=2e-3, labelled=0.5, pose_labels=1.0, batch=8, steps=2,
        eval_every=10**9, no_save=True, projection_target="any", data="furniture", cross_view=0.0,
        weights={"voxel": 1.0, "mask": 0.5, "projection": 1.0, "azimuth": 0.5, "elevation": 0.5},
    )  # fmt: skip
    out = train.train_one("semi", views, views, args, 0)
    assert out["steps"] == 2 and out["shapes_with_3d"] == 6
    batch, has_3d, has_pose, pairs = seen[0]
    assert has_3d.sum() == 4 and torch.equal(has_3d, has_pose)  # half the batch labelled; pose labels only there
    assert set(np.unique(batch["masks_small"].numpy())) <= {0.0, 1.0}  # the any-coverage target
    assert pairs is None
    seen.clear()
    train.train_one("semi", views, views, argparse.Namespace(**{**vars(args), "cross_view": 1.0}), 0)
    batch, has_3d, _, pairs = seen[0]
    assert pairs.tolist() == [[4, 5], [6, 7]] and not has_3d[4:].any()  # two mask-only models, two views each
    for a, b in pairs.tolist():  # two different views of one model
        assert torch.equal(batch["voxels"][a], batch["voxels"][b]) and batch["azimuth"][a] != batch["azimuth"][b]


def test_any_coverage_marks_every_touched_pixel_and_soft_the_covered_share():
    from vtl_models.shape3d.train import projection_target

    mask = torch.zeros(1, 64, 64)
    mask[0, :, 10] = 0.3  # a thin leg: a third of one 64 px column
    soft, any_ = projection_target(mask, "soft"), projection_target(mask, "any")
    assert soft.shape == any_.shape == (1, 32, 32)
    assert torch.allclose(soft[0, :, 5], torch.full((32,), 0.15)) and soft.max() < 0.5  # 0.3 x 2 of 4
    assert torch.equal(any_[0, :, 5], torch.ones(32)) and any_.sum() == 32


def test_the_true_grid_projects_closer_to_any_coverage_than_to_the_covered_share():
    """The reason for the furniture target, on the committed chair and table: see train.projection_target."""
    from vtl_models.render import Renderer
    from vtl_models.shape3d.furniture import read_catalogue
    from vtl_models.shape3d.furniture_mesh import load_furniture
    from vtl_models.shape3d.furniture_views import render_models
    from vtl_models.shape3d.model import project_voxels
    from vtl_models.shape3d.train import projection_target

    catalogue = read_catalogue(MODELS, ("BlendSwap-CC-0",))
    meshes = [load_furniture(MODELS / "BlendSwap-CC-0" / m.obj, m.rotation, m.size_cm) for m in catalogue]
    records = [{"id": m.id, "category": m.category} for m in catalogue]
    renderer = Renderer(data.RENDER_SIZE, samples=4)
    views = render_models(records, meshes, 4, renderer=renderer)
    renderer.release()
    grids = torch.from_numpy(views.voxels[views.shape_index]).float()
    azimuth, elevation = torch.from_numpy(views.azimuth), torch.from_numpy(views.elevation)
    projected = project_voxels(grids, azimuth, elevation, data.CAMERA_DISTANCE, data.CAMERA_FOV) > 0.5
    mask = torch.from_numpy(views.masks).float() / 255

    def iou(kind: str) -> float:
        target = projection_target(mask, kind) > 0.5
        return float(((projected & target).sum((1, 2)) / (projected | target).sum((1, 2))).mean())

    assert iou("any") > 0.85 and iou("any") > iou("soft") + 0.05


def test_claims_resample_test_objects_not_their_views(monkeypatch):
    from vtl_models.shape3d import evaluate

    asked = []
    monkeypatch.setattr(evaluate, "seed_suffixes", lambda *names: asked.append(names) or [""])
    base = np.repeat(np.random.default_rng(0).uniform(0.3, 0.7, 25), 4)
    wobble = np.tile([0.1, -0.1, 0.2, -0.2], 25)  # differs view by view, not object by object
    test = SimpleNamespace(shape_index=np.repeat(np.arange(25), 4), voxels=np.zeros((25, 1)))
    pairs = {"semi_vs_sup_few": ("semi", "sup_few")}
    out = evaluate.claims(test, {"semi": base + wobble, "sup_few": base}, pairs, "furniture_")["semi_vs_sup_few"]
    assert asked == [("furniture_semi", "furniture_sup_few")]
    assert out["diff"] == 0 and out["per_seed_ci95"] == [[0, 0]]  # per-view resampling would give a nonzero interval
    uneven = SimpleNamespace(shape_index=np.array([0, 0, 0, 1]), voxels=np.zeros((2, 1)))
    assert evaluate.per_object(np.array([1.0, 1.0, 1.0, 0.0]), uneven).tolist() == [1.0, 0.0]


def test_furniture_eval_reads_test_models_and_names_its_runs_and_claims():
    from vtl_models.shape3d import evaluate_furniture
    from vtl_models.shape3d.furniture import read_split

    assert set(evaluate_furniture.CLAIMS) == {"semi_vs_sup_few", "self_consistency_vs_none"}
    assert {run for pair in evaluate_furniture.CLAIMS.values() for run in pair} <= set(evaluate_furniture.RUNS)
    assert len(read_split("test")) * evaluate_furniture.TEST_VIEWS >= 500


def test_furniture_examples_are_attributed_test_models_shown_only_for_furniture_weights(monkeypatch):
    import demos.shape3d as tab
    from demos.common import example_images
    from vtl_models.shape3d.examples import FURNITURE_DIR, FURNITURE_EXAMPLES
    from vtl_models.shape3d.furniture import read_split

    test_ids = {r["id"] for r in read_split("test")}
    assert 3 <= len(FURNITURE_EXAMPLES) <= 4 and set(FURNITURE_EXAMPLES) <= test_ids
    shown = example_images(FURNITURE_DIR)
    assert len(shown) == len(FURNITURE_EXAMPLES)
    readme = (FURNITURE_DIR.parent / "README.md").read_text()
    assert all(f"`{model_id}`" in readme for model_id in FURNITURE_EXAMPLES)
    assert all(Path(p).name in readme for p in shown)
    served = {"training": {"data": "furniture"}}
    monkeypatch.setattr(tab, "has_card", lambda task: True)
    monkeypatch.setattr(tab, "read_card", lambda task: SimpleNamespace(raw=served))
    assert tab.examples_dir() == tab.FURNITURE_EXAMPLES_DIR == FURNITURE_DIR
    served["training"] = {"data": "procedural"}
    assert tab.examples_dir() == tab.EXAMPLES_DIR
    assert not any("_grid" in p for p in example_images(tab.EXAMPLES_DIR))  # the README's grids are no examples


def test_eval_reads_per_object_fields_per_view_when_objects_have_several_views():
    """Furniture test sets hold 24 views an object (the procedural one, one): category, symmetry and the
    nearest-neighbour's grid are per object in a ViewBatch."""
    from vtl_models.shape3d.evaluate import category_mean_baseline, pose_accuracy

    test = synthetic_views(per_category=1, views=3)  # 6 objects x 3 views
    test.symmetry[:] = [0, 1, 1, 2, 1, 1]
    predicted = test.azimuth.copy()
    predicted[3:6] += 90.0  # every view of object 1 (symmetry 1) 90 degrees off
    assert pose_accuracy(predicted, test) == pytest.approx(12 / 15)  # object 0 is round: its 3 views excluded
    grids = category_mean_baseline(test, test)
    assert grids.shape == (18, GRID, GRID, GRID)
    assert np.array_equal(grids[3], grids[5]) and not np.array_equal(grids[2], grids[3])


def test_a_models_first_views_are_the_same_in_a_larger_render(tmp_path, monkeypatch):
    """What lets the eval's baseline gallery (4 views a training model) be sliced from a training cache."""
    from vtl_models.render import Renderer
    from vtl_models.shape3d import evaluate_furniture, furniture_views
    from vtl_models.shape3d.furniture import read_catalogue
    from vtl_models.shape3d.furniture_mesh import load_furniture

    catalogue = read_catalogue(MODELS, ("BlendSwap-CC-0",))
    meshes = [load_furniture(MODELS / "BlendSwap-CC-0" / m.obj, m.rotation, m.size_cm) for m in catalogue]
    records = [{"id": m.id, "category": m.category} for m in catalogue]
    renderer = Renderer(data.RENDER_SIZE, samples=4)
    two, three = (furniture_views.render_models(records, meshes, v, renderer=renderer) for v in (2, 3))
    renderer.release()
    assert np.array_equal(two.images, three.images[[0, 1, 3, 4]]) and np.array_equal(
        two.azimuth, three.azimuth[[0, 1, 3, 4]]
    )
    # the gallery is sliced from the larger cache of the same split
    monkeypatch.setattr(evaluate_furniture, "read_split", lambda split: records)
    monkeypatch.setattr(furniture_views, "read_split", lambda split: records)
    monkeypatch.setattr(furniture_views, "DATA_DIR", tmp_path)
    monkeypatch.setattr(evaluate_furniture, "DATA_DIR", tmp_path)
    monkeypatch.setattr(evaluate_furniture, "REFERENCE_VIEWS", 2)
    np.savez(furniture_views.cache_path("train", 3), **three.__dict__)
    np.savez(tmp_path / "furniture_train_9_stale.npz", **three.__dict__)  # another split's cache: not read
    gallery = evaluate_furniture.reference_views()
    assert np.array_equal(gallery.images, two.images) and np.array_equal(gallery.shape_index, two.shape_index)
