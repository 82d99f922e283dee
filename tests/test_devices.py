"""Device-correct by construction: every tensor a predictor holds is on its device, and every tensor its code makes
is made there and leaves through vtl_models.common.to_numpy.

No GPU here, so two checks stand in for one. Each predictor is built on PyTorch's "meta" device, where a module or
tensor left on the CPU default shows (on the CPU it would look right by accident), and every tensor reachable from
it is checked. The source of every vtl_models module a predictor imports (its import graph, lazy imports included)
is read for tensors made without a device."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import torch
from checks import held_tensors
from torch import nn

from vtl_models.hub import has_card
from vtl_models.registry import TABS

ROOT = Path(__file__).resolve().parent.parent
FACTORIES = {"tensor", "zeros", "ones", "full", "arange", "empty", "rand", "randn", "randint", "linspace", "eye"}
TASKS = [tab.task for tab in TABS if has_card(tab.task)]
META = torch.device("meta")
# (module, function) that leave or skip the device on purpose, and why. Keep it short: each entry is a promise.
ON_PURPOSE = {
    ("vtl_models.common", "to_numpy"): "the one way out",
    ("vtl_models.hub", "save_weights"): "safetensors writes CPU tensors",
    ("vtl_models.domain_fit", "fit"): "the fitted bank goes straight to save_weights",
    ("vtl_models.reid.gallery", "ship_features"): "a build script: its predictor is made on the CPU",
}


def source_file(module: str) -> Path | None:
    """The file of a vtl_models module or package, None if `module` names something else (a function, a class)."""
    base = ROOT / module.replace(".", "/")
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.is_file()), None)


def imported_modules(module: str) -> set[str]:
    """Every vtl_models module `module` imports, directly or through others, at top level or inside a function."""
    found, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        path = source_file(name)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                names = [base, *(f"{base}.{alias.name}" for alias in node.names)]  # `from pkg import module`
            else:
                continue
            todo += [n for n in names if n.startswith("vtl_models") and source_file(n)]
    return found


def device_faults(source: str, module: str = "") -> list[str]:
    """Calls that would put a tensor on the CPU beside a CUDA model, or read a CUDA tensor without moving it."""
    faults = []
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def function_of(node: ast.AST) -> str:
        while node in parents and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node = parents[node]
        return getattr(node, "name", "")

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if (module, function_of(node)) in ON_PURPOSE:
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


def load(task: str, device: torch.device):
    """The task's predictor built on `device`."""
    return importlib.import_module(f"vtl_models.{task}.predictor").load_predictor(device)


def test_the_source_check_finds_what_it_looks_for():
    bad = "import torch\nx = torch.zeros(3)\ny = x.numpy()\nz = torch.from_numpy(a)\n"
    good = (
        "import torch\nx = torch.zeros(3, device=d)\nz = torch.from_numpy(a).to(d)\ny = to_numpy(x)\n"
        "self.register_buffer('m', torch.zeros(3))\nw = nn.Parameter(torch.ones(1))\n"
    )
    assert len(device_faults(bad)) == 3 and device_faults(good) == []
    on_purpose = "def save_weights(state):\n    return {k: v.cpu() for k, v in state.items()}\n"
    assert device_faults(on_purpose, "vtl_models.hub") == [] and device_faults(on_purpose, "vtl_models.x") != []


def test_the_import_graph_reaches_past_the_predictor():
    """The scene scorer and the feature cache the zeroshot tab imports through other modules are scanned too."""
    reached = imported_modules("vtl_models.zeroshot.predictor")
    assert {"vtl_models.zeroshot.scenes", "vtl_models.multilabel.data", "vtl_models.hub"} <= reached


SCANNED = sorted(set().union(*(imported_modules(f"vtl_models.{task}.predictor") for task in TASKS)))


@pytest.mark.parametrize("module", SCANNED)
def test_code_a_predictor_imports_keeps_tensors_on_the_models_device(module):
    assert device_faults(source_file(module).read_text(), module) == [], module


def test_the_walk_finds_a_module_left_behind():
    """A trunk held by a helper object, a tensor in a list, a nested submodule: each one left on the CPU is found."""

    class Scorer:
        __module__ = "vtl_models.fake"

        def __init__(self):
            self.trunk = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.BatchNorm1d(2)))
            self.bank = [torch.zeros(2)]

    predictor = Scorer()
    predictor.trunk[0].to(META)
    left = {path for path, t in held_tensors(predictor) if t.device != META}
    assert left == {
        "predictor.trunk.1.0.weight",
        "predictor.trunk.1.0.bias",
        "predictor.trunk.1.0.running_mean",
        "predictor.trunk.1.0.running_var",
        "predictor.trunk.1.0.num_batches_tracked",
        "predictor.bank[0]",
    }


@pytest.mark.parametrize("task", TASKS)
def test_every_tensor_a_predictor_holds_is_on_its_device(task):
    try:
        predictor = load(task, META)
    except NotImplementedError as err:  # a load that computes (reid's gallery features) fills its CPU cache first
        if "meta" not in str(err):
            raise
        load(task, torch.device("cpu"))
        predictor = load(task, META)
    held = dict(held_tensors(predictor))
    assert predictor.device == META and any(isinstance(t, nn.Parameter) for t in held.values())
    assert [path for path, t in held.items() if t.device != META] == []
