"""Measure the served app as users meet it: cold start, lazy first requests, latency, concurrency, memory, load.

    python -m benchmarks [--json] [--calls 20] [--clients 8] [--clicks 5] [--soak 1000] [--output PATH]

Starts `python app.py` on a free port, then for each full tab calls its API endpoint with the tab's example from the
registry (`vtl_models/registry.py`: api_name, example) and compares with the no-op `health` endpoint measured in the
same run: through gradio_client (as a script calls it) and through a client that keeps one connection as a browser
does (benchmarks/lean.py: the server's share). Then each tab in Debian chromium, click to result painted
(benchmarks/browser.py); 8 clients at once; the bad-input corpus into every endpoint and a soak of 1,000 mixed calls
from 4 users (benchmarks/load.py). Writes benchmarks/results.json (committed: the README's benchmark table is
generated from it by `python -m vtl_models report --write-readme`).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from app import is_full
from benchmarks.calls import endpoint_call, percentiles, rss_mb, timed
from benchmarks.lean import LeanClient
from benchmarks.load import mixed_load, robustness, soak
from benchmarks.server import ROOT, serve_in_subprocess
from vtl_models.registry import EXAMPLES, TABS, tab

RESULTS = ROOT / "benchmarks" / "results.json"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def wait_until_idle(pid: int, quiet: float = 0.5, timeout: float = 60.0) -> float:
    """Wait until the server has used under 5% of a core for `quiet` seconds (its background warm-up done); return
    the seconds waited."""
    started = time.perf_counter()
    before = _cpu_seconds(pid)
    while time.perf_counter() - started < timeout:
        time.sleep(quiet)
        now = _cpu_seconds(pid)
        if now - before < 0.05 * quiet:
            break
        before = now
    return time.perf_counter() - started


def first_result(env: dict[str, str]) -> dict:
    """Process start to the first result, the first full tab's example sent at the first HTTP 200, as a user who
    opens the page and runs an example at once meets it: cold start, the background warm-up still importing the
    model code, then the tab's lazy load (a server of its own, so the main run's first calls stay lazy loads)."""
    from gradio_client import Client

    task = next(entry for entry in TABS if is_full(entry)).task
    with serve_in_subprocess(env=env) as (_, url, cold_start):
        call = endpoint_call(Client(url, verbose=False), task)
        return {"tab": tab(task).api_name, "seconds": round(cold_start + timed(call), 2)}


def measure_endpoint(clients, task: str, calls: int) -> dict:
    """The example file sent (that of the world the served weights were trained on), first call (the lazy model
    load: the background warm-up is over), sequential latency through gradio_client, the same without fetching the
    output files (what the downloads cost), and through the lean client (one kept-alive connection, no polling: the
    server's share). `clients`: default, not downloading, lean."""
    client, no_download, lean = clients
    call = endpoint_call(client, task)
    first = timed(call)
    seconds = [timed(call) for _ in range(calls)]
    no_download_p50 = percentiles([timed(endpoint_call(no_download, task)) for _ in range(calls)])["p50_ms"]
    lean_p50 = percentiles([timed(endpoint_call(lean, task)) for _ in range(calls)])["p50_ms"]
    sent = next((a for a in tab(task).example_args() if isinstance(a, Path)), None)
    return {
        "example": str(sent.relative_to(EXAMPLES)) if sent else None,  # the file timed (registry: served_example)
        "first_call_s": round(first, 2),
        **percentiles(seconds),
        "p50_no_download_ms": no_download_p50,
        "p50_lean_ms": lean_p50,
    }


def browser_figures(url: str, tasks: list[str], clicks: int) -> dict:
    """Click to result painted per tab's api_name in Debian chromium ({p50_ms, p95_ms, n}); {"skipped": why} when
    Playwright or chromium is missing."""
    from importlib.util import find_spec

    from benchmarks import browser

    if find_spec("playwright") is None:
        return {"skipped": "playwright is not installed (pip install -r requirements-dev.txt)"}
    if not Path(browser.CHROMIUM).exists():
        return {"skipped": f"no chromium at {browser.CHROMIUM} (apt-get install chromium)"}
    with tempfile.TemporaryDirectory() as tmp:
        seconds = browser.measure(url, tasks, Path(tmp), clicks)
    return {api_name: percentiles(values) for api_name, values in seconds.items()}


def training_seconds() -> dict[str, float | None]:
    """Each default model's training time as its card records it (all stages), for the table beside latency."""
    from vtl_models.hub import has_card, read_card

    out = {}
    for entry in TABS:
        training = read_card(entry.task).raw.get("training", {}) if has_card(entry.task) else {}
        out[entry.task] = training.get("total_seconds", training.get("seconds"))
    return out


def run(calls: int = 20, clients: int = 8, clicks: int = 5, soak_requests: int = 1000) -> dict:
    """The whole measurement; the dict written to benchmarks/results.json."""
    from gradio_client import Client

    env = {k: v for k, v in os.environ.items() if k != "VTL_WEIGHTS_REPO"}
    with serve_in_subprocess(env=env) as (server, url, cold_start):
        report = {
            "measured_at": time.strftime("%Y-%m-%d", time.gmtime()),
            "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}",
            "calls": calls,
            "cold_start_s": round(cold_start, 2),
            "rss_mb_idle": round(rss_mb(server.pid)),
        }
        client, lean = Client(url, verbose=False), LeanClient(url)
        three = client, Client(url, verbose=False, download_files=False), lean
        # the no-op once the background warm-up is over: measured beside its imports, it made every ratio smaller
        report["warm_up_wait_s"] = round(wait_until_idle(server.pid), 1)
        for key, each in (("noop_p50_ms", client), ("noop_lean_p50_ms", lean)):
            health = functools.partial(each.predict, api_name="/health")
            health()
            report[key] = percentiles([timed(health) for _ in range(calls)])["p50_ms"]
        full = [entry for entry in TABS if is_full(entry)]
        report["tabs"] = {entry.api_name: measure_endpoint(three, entry.task, calls) for entry in full}
        for entry in report["tabs"].values():
            entry["p50_over_noop"] = round(entry["p50_ms"] / report["noop_p50_ms"], 2)
            entry["lean_over_noop"] = round(entry["p50_lean_ms"] / report["noop_lean_p50_ms"], 2)
        lean.close()
        tasks = [entry.task for entry in full]
        report["browser"] = browser_figures(url, tasks, clicks)
        report["concurrent"] = mixed_load(url, tasks, clients)
        report["rss_mb_all_models"] = round(rss_mb(server.pid))
        report["robustness"] = robustness(client, tasks)
        report["soak"] = soak(url, tasks, server.pid, soak_requests)
    report["first_result"] = first_result(env)
    report["training_s"] = training_seconds()
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object (else indented)")
    parser.add_argument("--calls", type=int, default=20, help="sequential calls per endpoint")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients in the mixed load")
    parser.add_argument("--clicks", type=int, default=5, help="clicks per tab in the browser, after a warm-up one")
    parser.add_argument("--soak", type=int, default=1000, help="mixed calls of the soak, from 4 users")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write (default: the committed file)")
    args = parser.parse_args(argv)
    report = run(args.calls, args.clients, args.clicks, args.soak)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=None if args.json else 2))
