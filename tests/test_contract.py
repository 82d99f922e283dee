"""The tab contract README.md states under "How to add a tab", for every tab in vtl_models/registry.py: the
predictor is built by `load_predictor(device: torch.device, name="default")`, answers `predict(input)` on the
registry example's file with its default settings, returns a dataclass, and holds every parameter and buffer of
every nn.Module (and every other tensor it keeps) on `predictor.device`."""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest
import torch
from checks import held_tensors

from vtl_models.hub import has_card
from vtl_models.registry import EXAMPLES, TABS

CPU = torch.device("cpu")
pytestmark = pytest.mark.slow


def test_every_registry_example_starts_with_a_file():
    """The contract call's input: the first value of each tab's example is a file under demos/examples/."""
    assert [tab.task for tab in TABS if not (EXAMPLES / str(tab.example[0])).is_file()] == []


@pytest.mark.parametrize("tab", [tab for tab in TABS if has_card(tab.task)], ids=lambda tab: tab.task)
def test_the_tab_keeps_the_readme_contract(tab):
    load_predictor = importlib.import_module(f"vtl_models.{tab.task}.predictor").load_predictor
    parameters = inspect.signature(load_predictor).parameters
    assert list(parameters) == ["device", "name"] and parameters["name"].default == "default"
    assert parameters["device"].annotation in (torch.device, "torch.device")
    predictor = load_predictor(CPU)
    assert predictor.device == CPU
    result = predictor.predict(str(tab.example_args()[0]))  # every setting at its default
    assert dataclasses.is_dataclass(result) and not isinstance(result, type), type(result)
    held = dict(held_tensors(predictor))  # after the call: whatever it built and kept is walked too
    assert any(isinstance(t, torch.nn.Parameter) for t in held.values())
    assert [path for path, t in held.items() if t.device != predictor.device] == []
