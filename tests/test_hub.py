"""The weight-loading path end to end: a tiny real model saved with its card, served by a stand-in Hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from standin_hub import StandinHub

from vtl_models import hub

REPO = "vtl-test/tiny"
# Loads the tiny model through vtl_models.hub in a fresh process (huggingface_hub reads its environment at import).
LOADER = """
import json, sys, time
import torch
t = time.perf_counter()
from vtl_models import hub
try:
    state, card = hub.load_weights("smile", "tiny")
    print(json.dumps({"ok": True, "sum": float(sum(v.sum() for v in state.values())),
                      "seconds": time.perf_counter() - t}))
except hub.WeightsError as err:
    print(json.dumps({"ok": False, "error": str(err)}))
"""


@pytest.fixture
def tiny_weights(tmp_path, monkeypatch) -> Path:
    """A weights/ folder holding one tiny real model (a linear layer) and its card."""
    monkeypatch.setattr(hub, "WEIGHTS_DIR", tmp_path / "weights")
    torch.manual_seed(0)
    layer = torch.nn.Linear(4, 3)
    hub.save_weights("smile", "tiny", layer.state_dict(), {"config": {"in": 4, "out": 3}})
    return tmp_path / "weights"


def _load(weights_dir: Path, hf_home: Path, endpoint: str | None, repo: str | None = REPO) -> dict:
    env = {**os.environ, "VTL_WEIGHTS_DIR": str(weights_dir), "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "0"}
    env.pop("VTL_WEIGHTS_REPO", None)
    if repo:
        env["VTL_WEIGHTS_REPO"] = repo
    if endpoint:
        env["HF_ENDPOINT"] = endpoint
    out = subprocess.run([sys.executable, "-c", LOADER], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_save_and_load_round_trip(tiny_weights):
    state, card = hub.load_weights("smile", "tiny")
    layer = torch.nn.Linear(4, 3)
    layer.load_state_dict(state)
    assert card.config == {"in": 4, "out": 3}
    assert card.sha256 == hub.sha256_of(tiny_weights / "smile" / "tiny.safetensors")


def test_shared_weights_load_the_source_file_and_no_copy_is_written(tiny_weights):
    hub.share_weights("smile", "chosen", "tiny", {"config": {"in": 4, "out": 3}, "selected": {"from": "tiny"}})
    state, card = hub.load_weights("smile", "chosen")
    source, _ = hub.load_weights("smile", "tiny")
    assert card.file == "tiny.safetensors" and card.raw["selected"] == {"from": "tiny"}
    assert all(torch.equal(state[k], source[k]) for k in source)
    assert not (tiny_weights / "smile" / "chosen.safetensors").exists()


def test_unknown_task_and_missing_card(tiny_weights):
    with pytest.raises(KeyError, match="valid tasks"):
        hub.read_card("nope")
    with pytest.raises(hub.WeightsError, match="not trained yet"):
        hub.read_card("video", "default")


def test_local_sha_mismatch_is_refused(tiny_weights):
    weight_file = tiny_weights / "smile" / "tiny.safetensors"
    weight_file.write_bytes(weight_file.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(hub.WeightsError, match="sha256 .* does not match|card"):
        hub.load_weights("smile", "tiny")


def test_download_then_cache_hit_with_server_stopped(tiny_weights, tmp_path):
    served = tmp_path / "served"
    (served / "smile").mkdir(parents=True)
    (served / "smile" / "tiny.safetensors").write_bytes((tiny_weights / "smile" / "tiny.safetensors").read_bytes())
    local = tiny_weights / "smile" / "tiny.safetensors"
    local.unlink()  # so a success can only have come from the Hub
    with StandinHub(served) as server:
        first = _load(tiny_weights, tmp_path / "hf", server.url)
        assert first["ok"], first
        assert any("/vtl-test/tiny/resolve/main/smile/tiny.safetensors" in r for r in server.requests)
    second = _load(tiny_weights, tmp_path / "hf", server.url)  # server stopped: the cached copy
    assert second == {**second, "ok": True, "sum": first["sum"]}


def test_hub_sha_mismatch_is_refused(tiny_weights, tmp_path):
    served = tmp_path / "served"
    (served / "smile").mkdir(parents=True)
    (served / "smile" / "tiny.safetensors").write_bytes(b"not the weights the card describes")
    with StandinHub(served) as server:
        result = _load(tiny_weights, tmp_path / "hf", server.url)
    assert not result["ok"]
    assert "sha256" in result["error"] and "tiny.json" in result["error"]


def test_server_down_falls_back_to_local_within_a_second(tiny_weights, tmp_path):
    with StandinHub(tmp_path) as server:
        url = server.url
    started = time.perf_counter()
    result = _load(tiny_weights, tmp_path / "hf", url)
    assert result["ok"], result
    assert result["seconds"] < 1.0, result  # measured inside the process, from import to loaded tensors
    assert time.perf_counter() - started < 30


def test_missing_file_on_hub_falls_back_to_local(tiny_weights, tmp_path):
    with StandinHub(tmp_path / "empty") as server:
        result = _load(tiny_weights, tmp_path / "hf", server.url)
        assert any("resolve" in r for r in server.requests)
    assert result["ok"], result


def _card(training: dict) -> hub.ModelCard:
    return hub.ModelCard("smile", "x", "x.safetensors", "0" * 64, raw={"training": training})


def test_resumed_stages_chain_commands_and_totals():
    first = {"command": "train a", "seconds": 10, "steps": 100}
    assert hub.stage_fields([], "train a", 10.2, 100) == {"command": "train a"}  # a first stage: nothing to total
    earlier = hub.resumed_stages(_card(first))
    second = {**hub.stage_fields(earlier, "train a --resume", 5.4, 20), "seconds": 5, "steps": 20}
    assert second["command"] == "train a && train a --resume"
    assert (second["total_seconds"], second["total_steps"]) == (15, 120)
    third = hub.resumed_stages(_card(second))
    assert third == [first, {"command": "train a --resume", "seconds": 5, "steps": 20}]  # each stage its own command
    chained = hub.stage_fields(third, "train a --resume", 1, 1)["command"]
    assert chained == "train a && train a --resume && train a --resume"
    legacy = {"command": "train a && train b", "earlier_stages": [first], "seconds": 1, "steps": 1}  # no stage_command
    assert hub.resumed_stages(_card(legacy))[1]["command"] == "train b"
