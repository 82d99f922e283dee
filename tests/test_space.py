"""The repo as a Hugging Face Space takes it: binary files under LFS, front matter that matches the pins, started as
a Space starts it, and spaces.GPU around every model call on a ZeroGPU Space (and nowhere else)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def tracked_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def is_binary(path: Path) -> bool:
    return b"\0" in path.read_bytes()[:8192]


def test_every_tracked_binary_file_goes_through_lfs():
    binaries = [name for name in tracked_files() if is_binary(ROOT / name)]
    assert binaries, "the repo holds weights and pictures: the binary check found none"
    out = subprocess.run(
        ["git", "check-attr", "filter", "--", *binaries], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    uncovered = [line.split(":")[0] for line in out.splitlines() if not line.endswith(": lfs")]
    assert not uncovered, f"add LFS patterns to .gitattributes for: {uncovered[:10]}"


def front_matter() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("---\n")[1]
    return {k.strip(): v.strip().strip('"') for k, v in (line.split(":", 1) for line in block.splitlines())}


def test_readme_front_matter_agrees_with_requirements():
    meta = front_matter()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M))
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == pins["gradio"]
    assert meta["python_version"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert (ROOT / meta["app_file"]).is_file() and "spaces" in pins  # the Spaces reloader and ZeroGPU need it


@pytest.mark.parametrize("zero_gpu", [False, True])
def test_handlers_run_inside_spaces_gpu_only_on_zero_gpu(zero_gpu, monkeypatch):
    import demos.common

    wrapped = []
    fake = types.ModuleType("spaces")
    fake.GPU = lambda duration: lambda fn: wrapped.append(duration) or (lambda *a, **k: ("on gpu", fn(*a, **k)))
    monkeypatch.setitem(sys.modules, "spaces", fake)
    monkeypatch.setenv("SPACES_ZERO_GPU", "true") if zero_gpu else monkeypatch.delenv("SPACES_ZERO_GPU", False)
    handler = demos.common.guarded(lambda x: x + 1)
    assert handler(1) == (("on gpu", 2) if zero_gpu else 2)
    assert wrapped == ([demos.common.GPU_SECONDS] if zero_gpu else [])
    import torch

    from vtl_models.common import pick_device

    assert pick_device().type == ("cuda" if zero_gpu or torch.cuda.is_available() else "cpu")


def test_started_as_a_space_starts_it_every_tab_serves():
    """`python app.py` with no arguments and a Space's environment (no network here): the page and every full tab's
    endpoint answer on the port the environment names."""
    from checks import assert_shows_a_result
    from conftest import free_port
    from gradio_client import Client

    from app import is_full
    from benchmarks.calls import api_example
    from benchmarks.server import serve_in_subprocess
    from vtl_models.registry import TABS

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("VTL_WEIGHTS_REPO", "HF_HUB_OFFLINE")}
    env.update(
        GRADIO_SERVER_NAME="0.0.0.0", GRADIO_SERVER_PORT=str(port), SPACE_ID="user/visual-transfer-lab", SYSTEM="spaces"
    )
    with serve_in_subprocess(port, env=env, timeout=90, argv=[]) as (_, url, _seconds):
        client = Client(url, verbose=False)
        assert client.predict(api_name="/health") == "ok"
        for entry in TABS:
            if is_full(entry):
                api_name, args = api_example(entry.task)
                assert_shows_a_result(client.predict(*args, api_name=api_name), entry.task)
