"""Measure the served app as users meet it: cold start, lazy first requests, latency, concurrency, memory.

    python benchmarks/serve.py [--json] [--calls 20] [--clients 8]

Starts `python app.py` on a free port, then for each trained tab calls its API endpoint (gradio_client) with the
tab's example from the registry (`vtl_models/registry.py`: api_name, example) and compares with the no-op
`health` endpoint measured in the same run. Writes benchmarks/results/serve.json and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import is_full  # noqa: E402
from benchmarks.server import serve_in_subprocess  # noqa: E402
from demos.common import api_example  # noqa: E402
from vtl_models.registry import TABS  # noqa: E402


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _percentiles(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
        "n": len(ordered),
    }


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def endpoint_call(client, task: str):
    """A zero-argument callable that sends the tab's example through its API endpoint."""
    api_name, args = api_example(task)
    return lambda: client.predict(*args, api_name=api_name)


def measure_endpoint(clients, task: str, args: argparse.Namespace, health_p50_ms: float) -> dict:
    """First call (lazy model load), sequential latency, the same without fetching the output files (what the
    downloads cost), and latency under concurrent clients of one tab. `clients`: downloading, not downloading."""
    client, no_download = clients
    call = endpoint_call(client, task)
    first = _timed(call)
    seconds = [_timed(call) for _ in range(args.calls)]
    bare = endpoint_call(no_download, task)
    undownloaded = [_timed(bare) for _ in range(args.calls)]
    with ThreadPoolExecutor(args.clients) as pool:
        futures = [pool.submit(_timed, call) for _ in range(args.clients * 3)]
        concurrent, errors = [], []
        for future in futures:
            try:
                concurrent.append(future.result())
            except Exception as err:  # counted, and kept so a failure says what it was
                errors.append(f"{type(err).__name__}: {err}"[:300])
    entry = {
        "first_call_s": first,
        **_percentiles(seconds),
        "p50_no_download_ms": 1000 * statistics.median(undownloaded),
        "concurrent": {
            **_percentiles(concurrent or [float("nan")]),
            "clients": args.clients,
            "failures": len(errors),
            "errors": errors,
        },
    }
    entry["p50_over_health"] = entry["p50_ms"] / health_p50_ms
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON")
    parser.add_argument("--calls", type=int, default=20, help="sequential calls per endpoint")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients in the load test")
    args = parser.parse_args()
    from gradio_client import Client

    env = {k: v for k, v in os.environ.items() if k != "VTL_WEIGHTS_REPO"}
    with serve_in_subprocess(env=env) as (server, url, cold_start):
        report = {"cold_start_s": cold_start, "rss_idle_mb": _rss_mb(server.pid), "endpoints": {}}
        client = Client(url, verbose=False)
        clients = client, Client(url, verbose=False, download_files=False)
        health = lambda: client.predict(api_name="/health")  # noqa: E731
        health()
        report["health"] = _percentiles([_timed(health) for _ in range(args.calls)])
        for entry in TABS:
            if is_full(entry):
                report["endpoints"][entry.task] = measure_endpoint(
                    clients, entry.task, args, report["health"]["p50_ms"]
                )
        report["rss_all_loaded_mb"] = _rss_mb(server.pid)
    out = ROOT / "benchmarks" / "results" / "serve.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
