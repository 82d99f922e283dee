"""The claims' decision rule: a win only when the whole interval (item and seed noise together) is above zero."""

from __future__ import annotations

import numpy as np
import pytest

from vtl_models.claims import decide
from vtl_models.multilabel.evaluate import class_f1, image_f1, late_labels
from vtl_models.multilabel.metrics import multilabel_metrics
from vtl_models.report import claims_table


def _accuracy(correct: np.ndarray, idx: np.ndarray) -> float:
    return float(correct[idx].mean())


def test_identical_sides_tie_at_zero():
    rng = np.random.default_rng(0)
    runs = [rng.random(200) < 0.7 for _ in range(3)]
    claim = decide(_accuracy, runs, runs, 200, "acc", boot=200)
    assert claim["diff"] == 0 and claim["verdict"] == "tie" and claim["seeds"] == 3


def test_a_clear_margin_wins_and_its_mirror_loses():
    rng = np.random.default_rng(1)
    better = [rng.random(500) < 0.9 for _ in range(3)]
    worse = [rng.random(500) < 0.5 for _ in range(3)]
    win = decide(_accuracy, better, worse, 500, "acc", boot=200)
    assert win["verdict"] == "win" and 0.3 < win["diff"] < 0.5 and win["ci95"][0] > 0
    assert decide(_accuracy, worse, better, 500, "acc", boot=200)["verdict"] == "loss"


def test_seeds_that_disagree_make_a_tie_even_with_many_items():
    """Each seed's own interval is narrow, but one seed says the opposite: the seed spread widens the interval."""
    n = 5000
    base = [np.zeros(n, bool) for _ in range(3)]
    model = [np.arange(n) < n * share for share in (0.2, 0.25, 0.0)]
    claim = decide(_accuracy, model, base, n, "acc", boot=200)
    assert all(lo > 0 for lo, _ in claim["per_seed_ci95"][:2]) and claim["verdict"] == "tie"


def _mean(run: np.ndarray, idx: np.ndarray) -> float:
    return float(run[idx].mean())


def test_the_interval_carries_item_and_seed_noise_together():
    """Per-item differences d[s, j] = u_j + e_s + noise: item effects u (sd 1, 400 items) and seed effects e (12
    seeds) are made to add the same variance to the mean difference, so the right 95% half-width is 1.96 x its known
    sd. Either noise alone (or the wider of the two) gives about 1/sqrt(2) of it."""
    rng = np.random.default_rng(3)
    n, k, tau = 400, 12, np.sqrt(12 / 400)
    known = 1.96 * np.sqrt(1 / n + tau**2 / k + 0.1**2 / (n * k))
    halves, covered = [], 0
    for rep in range(30):
        u, e = rng.normal(0, 1, n), rng.normal(0, tau, k)
        runs = [u + e[s] + rng.normal(0, 0.1, n) for s in range(k)]
        lo, hi = decide(_mean, runs, [np.zeros(n)] * k, n, "x", boot=200, seed=rep)["ci95"]
        halves.append((hi - lo) / 2)
        covered += lo <= 0 <= hi
    assert np.mean(halves) == pytest.approx(known, rel=0.12)
    assert covered >= 25


def test_fewer_than_three_seeds_are_undecided_never_a_tie():
    """And they carry no claim interval: one seed's item-only interval, clear of zero, would read as a win."""
    runs, better = [np.zeros(50)], [np.ones(50)]
    one = decide(_mean, better, runs, 50, "x", boot=50)
    assert one["verdict"] == "undecided (1 seed)" and one["ci95"] is None and one["per_seed_ci95"] == [[1, 1]]
    assert decide(_mean, runs * 2, runs * 2, 50, "x", boot=50)["verdict"] == "undecided (2 seeds)"
    row = claims_table({"claims": {"a": one}}).splitlines()[2]
    assert "not measured" in row and row.endswith("| undecided (1 seed) |")


def test_mismatched_seed_counts_are_refused():
    with pytest.raises(ValueError):
        decide(_accuracy, [np.ones(3, bool)], [], 3, "acc")


def test_class_f1_matches_the_reported_metric():
    rng = np.random.default_rng(2)
    truth = (rng.random((300, 18)) < 0.2).astype(int)
    truth[:, 5] = 0  # a label with no positives: counted as zero, as scikit-learn's zero_division=0 does
    predicted = (rng.random((300, 18)) < 0.25).astype(int)
    expected = multilabel_metrics(truth, predicted, rng.random((300, 18)))["CF1"]
    assert class_f1(truth, predicted, np.arange(300)) == pytest.approx(expected, abs=1e-4)


def test_image_f1_on_a_hand_made_case():
    truth = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]])
    predicted = np.array([[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert image_f1(truth[:2], predicted[:2]) == pytest.approx((2 / 3 + 1) / 2)
    assert image_f1(truth[2:], predicted[2:]) == 0  # no labels and none predicted: counted as 0, not a crash


def test_late_labels_are_the_last_third_of_the_fixed_order():
    from types import SimpleNamespace

    from vtl_models.multilabel.vocab import INDEX, LABELS

    order = list(reversed(LABELS))
    late = late_labels(SimpleNamespace(raw={"label_order": order}))
    assert late == [INDEX[name] for name in order[12:]] and len(late) == len(LABELS) // 3


def test_claims_table_shows_a_claims_parts_after_it():
    part = {"metric": "CF1 late", "diff": -0.02, "ci95": [-0.03, -0.01], "seeds": 3}
    whole = {"metric": "CF1", "diff": 0.001, "ci95": [-0.01, 0.01], "seeds": 3, "late_labels": part}
    other = {"metric": "IoU", "diff": 0.05, "ci95": [0.01, 0.09], "seeds": 3}
    rows = claims_table({"claims": {"a": whole, "b": other}}).splitlines()[2:]
    assert [row.split(" (")[0] for row in rows] == ["| a", "| a / late_labels", "| b"]
    assert rows[1].endswith("| loss |") and rows[2].endswith("| **win** |")
