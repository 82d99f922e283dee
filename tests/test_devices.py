"""Device-correct by construction: every tensor of the inference path is made on the model's device and leaves it
through vtl_models.common.to_numpy. No GPU here, so the code is read (an AST check of every inference file) and
each predictor is run with an explicit device argument that must reach every parameter."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import torch

from vtl_models.hub import has_card
from vtl_models.registry import TABS

ROOT = Path(__file__).resolve().parent.parent
FACTORIES = {"tensor", "zeros", "ones", "full", "arange", "empty", "rand", "randn", "randint", "linspace", "eye"}
INFERENCE_FILES = ("predictor.py", "model.py", "decode.py")  # what a tab's request runs


def inference_files() -> list[Path]:
    return sorted(
        p for tab in TABS for name in INFERENCE_FILES if (p := ROOT / "vtl_models" / tab.task / name).exists()
    )


def device_faults(source: str) -> list[str]:
    """Calls that would put a tensor on the CPU beside a CUDA model, or read a CUDA tensor without moving it."""
    faults = []
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        func, line = node.func, node.lineno
        if func.attr in ("numpy", "cpu"):
            faults.append(f"line {line}: .{func.attr}() (use vtl_models.common.to_numpy)")
        elif isinstance(func.value, ast.Name) and func.value.id == "torch":
            parent = parents.get(node)
            moved = isinstance(parent, ast.Attribute) and parent.attr == "to"
            # a module's buffers and parameters move with it on .to(device)
            moved = moved or (
                isinstance(parent, ast.Call)
                and isinstance(parent.func, ast.Attribute)
                and parent.func.attr in ("register_buffer", "Parameter")
            )
            if (
                func.attr in FACTORIES
                and not moved
                and not any(k.arg in ("device", "generator") for k in node.keywords)
            ):
                faults.append(f"line {line}: torch.{func.attr}(...) without device=")
            if func.attr == "from_numpy" and not moved:
                faults.append(f"line {line}: torch.from_numpy(...) not moved .to(device)")
    return faults


def test_the_check_finds_what_it_looks_for():
    bad = "import torch\nx = torch.zeros(3)\ny = x.numpy()\nz = torch.from_numpy(a)\n"
    good = (
        "import torch\nx = torch.zeros(3, device=d)\nz = torch.from_numpy(a).to(d)\ny = to_numpy(x)\n"
        "self.register_buffer('m', torch.zeros(3))\nw = nn.Parameter(torch.ones(1))\n"
    )
    assert len(device_faults(bad)) == 3 and device_faults(good) == []


@pytest.mark.parametrize("path", inference_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_inference_code_keeps_tensors_on_the_models_device(path):
    assert device_faults(path.read_text()) == [], path


@pytest.mark.parametrize("task", [tab.task for tab in TABS if has_card(tab.task)])
def test_each_predictor_takes_its_device_argument_to_every_parameter(task):
    device = torch.device("cpu")  # the one device here; the argument must still be what the model is on
    predictor = importlib.import_module(f"vtl_models.{task}.predictor").load_predictor(device)
    modules = [m for m in vars(predictor).values() if isinstance(m, torch.nn.Module)]
    assert modules and predictor.device == device
    assert all(p.device == device for m in modules for p in m.parameters())
