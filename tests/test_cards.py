"""Every committed model card keeps the contract of the README's "Weights": complete, matching its file, small,
evaluated."""

from __future__ import annotations

import pytest

from vtl_models import hub

CARDS = hub.list_cards()
DEFAULTS = [c for c in CARDS if c.name == "default"]
REQUIRED = ("task", "name", "file", "sha256", "size_bytes", "config", "training", "hub")
EVAL_KEYS = ("task", "model", "weights_sha256", "n_test", "seconds", "metrics", "baselines")


def _ids(cards):
    return [f"{c.task}/{c.name}" for c in cards]


def test_weights_within_budget():
    """What the app serves (each tab's default and its out-of-domain banks, one a world) <= 40 MB; all of weights/, the
    claims' eval-only seeds included, <= 150 MB. A file two cards share (a selected run as default) counts once."""
    served = {c.local_path for c in CARDS if c.name == "default" or c.name.startswith("domain")}
    assert sum(path.stat().st_size for path in served) <= 40 * 2**20
    assert sum(path.stat().st_size for path in {c.local_path for c in CARDS}) <= 150 * 2**20


@pytest.mark.parametrize("card", CARDS, ids=_ids(CARDS))
def test_card_is_complete_and_matches_its_file(card):
    missing = [key for key in REQUIRED if key not in card.raw]
    assert not missing, f"card lacks {missing}"
    assert card.local_path.stat().st_size == card.raw["size_bytes"] <= 15 * 2**20
    assert hub.sha256_of(card.local_path) == card.sha256
    assert "command" in card.raw["training"]


@pytest.mark.parametrize("card", DEFAULTS, ids=_ids(DEFAULTS))
def test_default_card_carries_its_eval(card):
    report = card.raw.get("eval")
    assert report, "run `python -m vtl_models eval TASK --update-card`"
    assert all(key in report for key in EVAL_KEYS)
    assert report["task"] == card.task and report["weights_sha256"] == card.sha256, "eval is of other weights"
    assert report["metrics"] and report["baselines"]
    for name, baseline in report["baselines"].items():
        shared = set(baseline) & set(report["metrics"])
        assert shared, f"baseline {name} reports none of the model's metric keys"
    assert "trained_on" in card.raw, "say what domain the default weights were trained on"


def test_readme_results_are_the_cards():
    from vtl_models.report import readme_results, results_section

    assert readme_results() == results_section(), "run `python -m vtl_models report --write-readme`"


def test_readme_benchmarks_are_the_committed_results():
    from vtl_models.report import benchmarks_section, readme_benchmarks

    assert readme_benchmarks() == benchmarks_section(), "run `python -m vtl_models report --write-readme`"


def test_bars_verdicts():
    from vtl_models.report import Bar, bars_table, verdicts

    report = {"metrics": {"a": 0.6, "b": 0.5}, "baselines": {"base": {"a": 0.58}}}
    table = bars_table("x", report)  # no bars for an unknown task: only the header
    assert table.count("\n") == 1
    assert Bar("a", ">=", baseline="base", margin=0.05).reference(report) == pytest.approx(0.63)
    assert Bar("a", ">", other="b").reference(report) == 0.5
    assert Bar("a", "<=", 0.85).reference(report) == 0.85
    assert Bar("c", ">=", baseline="base").reference(report) is None
    shape = {"metrics": {"mean_iou": 0.60, "semi_iou": 0.4, "sup10_iou": 0.4}, "baselines": {"nearest_neighbour": {}}}
    shape["baselines"]["nearest_neighbour"]["mean_iou"] = 0.54
    rows = bars_table("shape3d", shape).splitlines()[2:]
    assert [row.rsplit("|", 2)[1].strip() for row in rows] == ["met", "**missed**", "not measured"]
    assert [verdict for *_, verdict in verdicts("shape3d", shape)] == ["met", "missed", "not measured"]


def test_every_default_card_has_caveats():
    """What a figure does not show is said where readers look: the README and the tab's accordion render them."""
    from vtl_models.registry import TASKS

    assert [c.task for c in DEFAULTS if not c.raw.get("caveats")] == []
    assert {c.task for c in DEFAULTS} == set(TASKS)


def test_shipped_reid_gallery_features_belong_to_the_default_weights():
    """Built for other weights, they are ignored and the tab embeds the whole gallery on its first search:
    rerun `python -m vtl_models.reid.gallery --features` after a new default."""
    import numpy as np

    from vtl_models.reid.shipped import SHIPPED_FEATURES

    assert str(np.load(SHIPPED_FEATURES)["sha256"]) == hub.read_card("reid").sha256
