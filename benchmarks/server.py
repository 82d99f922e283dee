"""The app started as a user starts it (`python app.py --port PORT`), for tests and benchmarks."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def serve_in_subprocess(
    port: int | None = None, env: dict[str, str] | None = None, timeout: float = 120.0, argv: list[str] | None = None
):
    """Start `python app.py --port PORT` as a user would (a free port if None); yield (process, url, seconds to the
    first HTTP 200), then stop it. `argv` replaces `--port PORT` (e.g. [] to start as a Space does, the port then
    given by GRADIO_SERVER_PORT in `env`)."""
    if port is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    # stderr goes to a file: a pipe nobody reads fills at 64 KB and then blocks the server on its next log line
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [sys.executable, "app.py", *(["--port", str(port)] if argv is None else argv)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"app.py exited: {log.read()[-4000:]}")
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"app.py did not answer within {timeout:g} s")
            time.sleep(0.05)
        yield proc, url, time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
