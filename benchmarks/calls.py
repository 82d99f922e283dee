"""How the benchmarks call the served app: each tab's registry example through its endpoint, timed."""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from pathlib import Path

from vtl_models.registry import tab

GENERIC = "has raised an exception but has not enabled verbose error reporting"  # an error that says nothing


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(seconds: list[float]) -> dict:
    """{p50_ms, p95_ms, n} of durations in seconds."""
    ordered = sorted(seconds)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "n": len(ordered),
    }


def timed(call) -> float:
    """Seconds one zero-argument call takes."""
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def api_example(task: str) -> tuple[str, list]:
    """The tab's main endpoint and its registry example's arguments, files wrapped for gradio_client."""
    from gradio_client import handle_file

    entry = tab(task)
    return f"/{entry.api_name}", [handle_file(str(a)) if isinstance(a, Path) else a for a in entry.example_args()]


def endpoint_call(client, task: str):
    """A zero-argument callable that sends the tab's example through its API endpoint."""
    api_name, args = api_example(task)
    return lambda: client.predict(*args, api_name=api_name)


def per_thread_client(url: str):
    """A zero-argument callable giving each calling thread its own gradio Client (its own session and event stream),
    as separate users have: one Client shared by threads races in its own event reader, which is not the server."""
    from gradio_client import Client

    local = threading.local()

    def client():
        if not hasattr(local, "client"):
            local.client = Client(url, verbose=False)
        return local.client

    return client


def user_calls(url: str, tasks: list[str], n: int) -> list:
    """`n` zero-argument calls cycling over the tabs' examples, each sent by its thread's own Client."""
    client = per_thread_client(url)
    examples = itertools.islice(itertools.cycle(tasks), n)
    return [lambda task=task: endpoint_call(client(), task)() for task in examples]
