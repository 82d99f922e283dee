"""Measure the served app as users meet it: cold start, lazy first requests, latency, concurrency, memory.

    python -m benchmarks [--json] [--calls 20] [--clients 8]

Starts `python app.py` on a free port, then for each full tab calls its API endpoint (gradio_client) with the tab's
example from the registry (`vtl_models/registry.py`: api_name, example) and compares with the no-op `health`
endpoint measured in the same run; then 8 clients send a mixed load over every tab. Writes benchmarks/results.json
(committed: the README's benchmark table is generated from it by `python -m vtl_models report --write-readme`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app import is_full
from benchmarks.corpus import bad_files
from benchmarks.server import ROOT, serve_in_subprocess
from vtl_models.registry import TABS, tab

RESULTS = ROOT / "benchmarks" / "results.json"
GENERIC = "has raised an exception but has not enabled verbose error reporting"  # an error that says nothing


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _percentiles(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "n": len(ordered),
    }


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
        return {"tab": tab(task).api_name, "seconds": round(cold_start + _timed(call), 2)}


def _timed(call) -> float:
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


def measure_endpoint(clients, task: str, calls: int) -> dict:
    """First call (the lazy model load: the background warm-up is over), sequential latency, the same without
    fetching the output files (what the downloads cost), and with a client that builds no SSL context (`lean`).
    `clients`: default, not downloading, lean."""
    client, no_download, lean = clients
    call = endpoint_call(client, task)
    first = _timed(call)
    seconds = [_timed(call) for _ in range(calls)]
    p50 = {}
    for key, other in (("p50_no_download_ms", no_download), ("p50_lean_client_ms", lean)):
        p50[key] = round(1000 * statistics.median([_timed(endpoint_call(other, task)) for _ in range(calls)]), 1)
    return {"first_call_s": round(first, 2), **_percentiles(seconds), **p50}


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


def mixed_load(url: str, tasks: list[str], clients: int, rounds: int = 3) -> dict:
    """`clients` users at once (a thread and a Client each), each call a tab's example in turn over every full tab:
    failures, p50, p95."""
    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(_timed, call) for call in user_calls(url, tasks, clients * rounds)]
        seconds, errors = [], []
        for future in futures:
            try:
                seconds.append(future.result())
            except Exception as err:  # counted, and kept so a failure says what it was
                errors.append(f"{type(err).__name__}: {err}"[:300])
    return {"clients": clients, "failures": len(errors), "errors": errors, **_percentiles(seconds or [float("nan")])}


def robustness(client, tasks: list[str], seconds_bound: float = 30.0) -> dict:
    """Every bad upload of benchmarks/corpus.py into every tab that takes a file: a failure is a call that hangs past
    the bound, an error that says nothing, or a server that stops answering health."""
    from gradio_client import handle_file

    cases, failures = 0, []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = bad_files(Path(tmp))
        for task in tasks:
            api_name, args = api_example(task)
            slot = next((i for i, a in enumerate(args) if isinstance(a, dict) and "path" in a), None)
            for name, path in corpus.items() if slot is not None else ():
                cases += 1
                started = time.perf_counter()
                try:
                    client.predict(*args[:slot], handle_file(str(path)), *args[slot + 1 :], api_name=api_name)
                except Exception as err:
                    if GENERIC in str(err) or "Traceback" in str(err):
                        failures.append(f"{task}/{name}: {err}"[:200])
                if time.perf_counter() - started > seconds_bound:
                    failures.append(f"{task}/{name}: over {seconds_bound:g} s")
                if client.predict(api_name="/health") != "ok":
                    failures.append(f"{task}/{name}: health failed after it")
    return {"cases": cases, "failures": len(failures), "errors": failures}


def soak(url: str, tasks: list[str], pid: int, requests: int = 300, threads: int = 4) -> dict:
    """`requests` example calls over every tab from a few users (a thread and a Client each): server errors and
    resident-memory growth."""
    before = _rss_mb(pid)
    errors = []
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(call) for call in user_calls(url, tasks, requests)]:
            try:
                future.result()
            except Exception as err:
                errors.append(f"{type(err).__name__}: {err}"[:200])
    after = _rss_mb(pid)
    return {
        "requests": requests,
        "server_errors": len(errors),
        "errors": errors[:5],
        "rss_growth": round(after / before - 1, 4),
    }


def training_seconds() -> dict[str, float | None]:
    """Each default model's training time as its card records it (all stages), for the table beside latency."""
    from vtl_models.hub import has_card, read_card

    out = {}
    for entry in TABS:
        training = read_card(entry.task).raw.get("training", {}) if has_card(entry.task) else {}
        out[entry.task] = training.get("total_seconds", training.get("seconds"))
    return out


def run(calls: int = 20, clients: int = 8) -> dict:
    """The whole measurement; the dict written to benchmarks/results.json."""
    from gradio_client import Client

    env = {k: v for k, v in os.environ.items() if k != "VTL_WEIGHTS_REPO"}
    with serve_in_subprocess(env=env) as (server, url, cold_start):
        report = {
            "measured_at": time.strftime("%Y-%m-%d", time.gmtime()),
            "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}",
            "calls": calls,
            "cold_start_s": round(cold_start, 2),
            "rss_mb_idle": round(_rss_mb(server.pid)),
        }
        client = Client(url, verbose=False)
        # gradio_client opens a new httpx connection for each upload, call and download, and httpx builds an SSL
        # context for each (~20 ms on this CPU) even for plain HTTP; `lean` skips that: what the server costs
        lean = Client(url, verbose=False, ssl_verify=False)
        three = client, Client(url, verbose=False, download_files=False), lean
        health = lambda: client.predict(api_name="/health")  # noqa: E731
        health()
        report["noop_p50_ms"] = _percentiles([_timed(health) for _ in range(calls)])["p50_ms"]
        lean_health = lambda: lean.predict(api_name="/health")  # noqa: E731
        report["noop_lean_client_p50_ms"] = _percentiles([_timed(lean_health) for _ in range(calls)])["p50_ms"]
        report["warm_up_wait_s"] = round(wait_until_idle(server.pid), 1)  # since the noop calls, which ran beside it
        full = [entry for entry in TABS if is_full(entry)]
        report["tabs"] = {entry.api_name: measure_endpoint(three, entry.task, calls) for entry in full}
        for entry in report["tabs"].values():
            entry["p50_over_noop"] = round(entry["p50_ms"] / report["noop_p50_ms"], 2)
            entry["lean_p50_over_noop"] = round(entry["p50_lean_client_ms"] / report["noop_lean_client_p50_ms"], 2)
        report["concurrent"] = mixed_load(url, [entry.task for entry in full], clients)
        report["rss_mb_all_models"] = round(_rss_mb(server.pid))
        report["robustness"] = robustness(client, [entry.task for entry in full])
        report["soak"] = soak(url, [entry.task for entry in full], server.pid)
    report["first_result"] = first_result(env)
    report["training_s"] = training_seconds()
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object (else indented)")
    parser.add_argument("--calls", type=int, default=20, help="sequential calls per endpoint")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients in the mixed load")
    args = parser.parse_args(argv)
    report = run(args.calls, args.clients)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=None if args.json else 2))
