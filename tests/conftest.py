"""Shared test set-up: the repo root importable, no network waits, no analytics, one app server for API tests."""

import os
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def app_server():
    """The whole app, started as a user would (`python app.py --port N`); yields (url, seconds to first HTTP 200)."""
    from benchmarks.server import serve_in_subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("VTL_WEIGHTS_REPO", "HF_HUB_OFFLINE")}
    with serve_in_subprocess(env=env, timeout=60) as (_, url, seconds):
        yield url, seconds


@pytest.fixture
def serve_blocks(tmp_path):
    """Launch a tab's gr.Blocks in this process on a free port; returns a gradio_client for it (closed after)."""
    from gradio_client import Client

    launched = []

    def serve(blocks):
        port = free_port()
        blocks.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
        launched.append(blocks)
        return Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=str(tmp_path))

    yield serve
    for blocks in launched:
        blocks.close()
