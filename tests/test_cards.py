"""Every committed model card keeps the contract of DESIGN.md: complete, matching its file, small, evaluated."""

from __future__ import annotations

import pytest

from vtl_models import hub

CARDS = hub.list_cards()
DEFAULTS = [c for c in CARDS if c.name == "default"]
REQUIRED = ("task", "name", "file", "sha256", "size_bytes", "config", "training", "hub")
EVAL_KEYS = ("task", "model", "weights_sha256", "n_test", "seconds", "metrics", "baselines")


def _ids(cards):
    return [f"{c.task}/{c.name}" for c in cards]


def test_total_weights_within_budget():
    assert sum(c.local_path.stat().st_size for c in CARDS) <= 80 * 2**20


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
