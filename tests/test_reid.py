"""Unit tests of the Person search task: data determinism, ARN loss terms, tracker, retrieval metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vtl_models.reid.metrics import evaluate_ranking, retrieval_metrics
from vtl_models.reid.model import (
    ARN,
    ARNConfig,
    contrastive_loss,
    difference_loss,
    mmd_loss,
    reconstruction_loss,
)
from vtl_models.reid.real import IoUTracker, iou


def test_pedestrian_render_is_deterministic_and_domains_differ():
    from vtl_models.reid.data import HEIGHT, WIDTH, PedestrianRenderer

    renderer = PedestrianRenderer()
    a, b = renderer.render("source", 3, 1, 0), renderer.render("source", 3, 1, 0)
    assert a.shape == (HEIGHT, WIDTH, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, renderer.render("source", 4, 1, 0))  # another identity
    # the indoor target is darker and warmer/greener than the street: its mean colour differs clearly
    source = np.mean([renderer.render("source", i, 0, 0).mean((0, 1)) for i in range(8)], 0)
    target = np.mean([renderer.render("target", i, 0, 0).mean((0, 1)) for i in range(8)], 0)
    assert np.abs(source - target).max() > 15
    np.testing.assert_array_equal(a, renderer.render("source", 3, 1, 0))  # after the target's GL context was made


def test_splits_are_disjoint():
    from vtl_models.reid.data import SPLITS

    for domain in ("source", "target"):
        ranges = [set(r) for (d, _), r in SPLITS.items() if d == domain]
        assert sum(len(r) for r in ranges) == len(set().union(*ranges))


def test_arn_shares_one_encoder_and_keeps_a_private_one_per_domain():
    """Shapes, and the wiring the ARN losses rely on: both domains pass the one shared encoder E_c (same shared
    features), each its own private encoder (E_s, E_t: other private features, other reconstructions); identities
    are read, and retrieval embeds, from the shared features alone."""
    torch.manual_seed(0)
    model = ARN(ARNConfig(feature_dim=16, shared_channels=8, private_channels=8, n_source_ids=5)).eval()
    x = torch.randn(6, 112, 8, 4)
    with torch.no_grad():
        source, target = model(x, "source"), model(x, "target")
        assert source["shared"].shape == (6, 16) and source["private"].shape == (6, 16)
        assert source["reconstruction"].shape == x.shape and source["logits"].shape == (6, 5)
        assert target["logits"] is None
        torch.testing.assert_close(source["shared"], target["shared"])
        assert not torch.allclose(source["private"], target["private"])
        assert not torch.allclose(source["reconstruction"], target["reconstruction"])
        torch.testing.assert_close(model.embed(x), torch.nn.functional.normalize(source["shared"], dim=1))
        model.source_encoder.net[-1].bias.add_(1.0)  # move E_s's output: the private part alone
        moved = model(x, "source")
        torch.testing.assert_close(moved["logits"], source["logits"])
        assert not torch.allclose(moved["reconstruction"], source["reconstruction"])


def test_reconstruction_loss_is_l1():
    x = torch.zeros(2, 3, 2, 2)
    assert reconstruction_loss(x + 0.5, x).item() == pytest.approx(0.5)


def test_difference_loss_low_for_independent_high_for_equal():
    gen = torch.Generator().manual_seed(0)
    shared, private = torch.randn(256, 8, generator=gen), torch.randn(256, 8, generator=gen)
    assert difference_loss(shared, private).item() < 2.0  # ~1: only chance correlation
    assert difference_loss(shared, shared).item() > 20.0  # ~n/dim: every private dimension repeats a shared one


def test_mmd_small_for_same_distribution_large_for_shifted():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(64, 8, generator=gen), torch.randn(64, 8, generator=gen)
    assert mmd_loss(a, b).item() < 0.2
    assert mmd_loss(a, b + 3.0).item() > 0.5
    assert mmd_loss(a, a).item() == pytest.approx(0.0, abs=1e-5)


def test_contrastive_loss_prefers_identity_clusters():
    labels = torch.tensor([0, 0, 1, 1])
    clustered = torch.tensor([[1.0, 0], [1.0, 0.01], [0, 1.0], [0.01, 1.0]])
    mixed = torch.tensor([[1.0, 0], [0, 1.0], [1.0, 0.01], [0.01, 1.0]])
    assert contrastive_loss(clustered, labels).item() < 0.01
    assert contrastive_loss(mixed, labels).item() > 0.5


def test_iou_and_tracker_follow_a_moving_person():
    assert iou(np.array([0, 0, 10, 10]), np.array([5, 0, 10, 10])) == pytest.approx(50 / 150)
    tracker = IoUTracker(threshold=0.3, max_gap=2)
    for t in range(10):  # one person walking right, one standing still, then a newcomer far away
        boxes = [np.array([10 + 4 * t, 50, 40, 100]), np.array([300, 60, 40, 100])]
        if t >= 6:
            boxes.append(np.array([600, 40, 40, 100]))
        tracker.update(t, np.array(boxes))
    tracks = tracker.tracks()
    assert [len(t.frames) for t in tracks] == [10, 10, 4]
    assert tracks[0].boxes[-1][0] == 10 + 4 * 9


def test_tracker_closes_a_lost_track():
    tracker = IoUTracker(threshold=0.3, max_gap=1)
    tracker.update(0, np.array([[0, 0, 20, 50]]))
    tracker.update(5, np.array([[0, 0, 20, 50]]))  # seen again after a long gap: a new track
    assert len(tracker.tracks()) == 2


def test_ranking_metrics_on_a_hand_computed_case():
    # one query (id 0, camera 0); gallery: [id 1, id 0 same camera (excluded), id 0, id 2, id 0]
    distance = np.array([[0.1, 0.0, 0.2, 0.3, 0.4]])
    m = evaluate_ranking(
        distance, np.array([0]), np.array([0]), np.array([1, 0, 0, 2, 0]), np.array([1, 0, 1, 1, 2]), max_rank=10
    )
    # kept order: id1 (0.1), id0 (0.2), id2 (0.3), id0 (0.4): first hit at rank 2; AP = (1/2 + 2/4) / 2
    assert m["rank1"] == 0.0 and m["rank5"] == 1.0
    assert m["mAP"] == pytest.approx(0.5)


def test_retrieval_metrics_perfect_features():
    ids, cams = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    features = np.array([[1.0, 0], [1.0, 0.05], [0, 1.0], [0.05, 1.0]])
    m = retrieval_metrics(features, ids, cams)
    assert m["rank1"] == 1.0 and m["mAP"] == 1.0 and m["n_queries"] == 4


def test_the_claim_resamples_identities_and_gives_a_95_percent_interval():
    from scipy.stats import binom

    from vtl_models.reid.evaluate import claim

    def run(hits: np.ndarray, ids: np.ndarray) -> dict:
        return {"hits": hits, "aps": hits, "ids": ids}

    # 8 people, 3 won by a and none by b: resampled in pairs, the mean difference is Binomial(8, 3/8) / 8
    a, b = np.array([1.0, 1, 0, 1, 0, 1, 1, 0]), np.array([0.0, 1, 0, 0, 0, 1, 0, 0])
    out = claim([run(a, np.arange(8))], [run(b, np.arange(8))])
    assert out["diff"] == pytest.approx(3 / 8) and out["mAP"]["diff"] == pytest.approx(3 / 8)
    np.testing.assert_allclose(out["per_seed_ci95"][0], binom.ppf([0.025, 0.975], 8, 3 / 8) / 8, atol=1 / 8 + 1e-9)
    # each person asked twice with the same fate: still 8 people, the same interval (queries are not items)
    twice = claim(
        [run(np.repeat(a, 2), np.repeat(np.arange(8), 2))], [run(np.repeat(b, 2), np.repeat(np.arange(8), 2))]
    )
    assert twice["per_seed_ci95"] == out["per_seed_ci95"]
    # 400 people: the interval is close to the mean +- 1.96 standard errors (a 90% or 50% interval is not)
    rng = np.random.default_rng(3)
    a = (rng.random(400) < 0.6).astype(float)
    b = np.where(rng.random(400) < 0.8, a, 1 - a)
    diff = a - b
    half = 1.96 * diff.std() / np.sqrt(len(diff))
    ((low, high),) = claim([run(a, np.arange(400))], [run(b, np.arange(400))])["per_seed_ci95"]
    assert 0.9 < (diff.mean() - low) / half < 1.1 and 0.9 < (high - diff.mean()) / half < 1.1, (low, high, half)


def test_crop_or_frame():
    from vtl_models.reid.predictor import is_person_crop

    assert is_person_crop(np.zeros((128, 64, 3)))
    assert not is_person_crop(np.zeros((576, 768, 3)))  # a camera frame: people are detected first
