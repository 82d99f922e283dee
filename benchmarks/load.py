"""Load on the served app: many users at once, a long soak, and the bad-input corpus into every endpoint."""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.calls import GENERIC, api_example, percentiles, rss_mb, timed, user_calls
from benchmarks.corpus import BAD_TEXTS, bad_files


def _outcomes(futures) -> tuple[list[float], list[str]]:
    """Durations of the calls that answered, and what went wrong in the others."""
    seconds, errors = [], []
    for future in futures:
        try:
            seconds.append(future.result())
        except Exception as err:  # counted, and kept so a failure says what it was
            errors.append(f"{type(err).__name__}: {err}"[:300])
    return seconds, errors


def mixed_load(url: str, tasks: list[str], clients: int, rounds: int = 3) -> dict:
    """`clients` users at once (a thread and a Client each), each call a tab's example in turn over every full tab:
    failures, p50, p95."""
    with ThreadPoolExecutor(clients) as pool:
        seconds, errors = _outcomes([pool.submit(timed, call) for call in user_calls(url, tasks, clients * rounds)])
    return {"clients": clients, "failures": len(errors), "errors": errors, **percentiles(seconds or [float("nan")])}


def bad_cases(tasks: list[str], folder: Path) -> list[tuple[str, str, str, list]]:
    """(task, case, api_name, args) for every bad file of benchmarks/corpus.py into every tab's file input, and every
    bad text into every text box (zero-shot's labels, video's anchor steps); the rest of each call is the example."""
    from gradio_client import handle_file

    files = bad_files(folder)
    cases = []
    for task in tasks:
        api_name, args = api_example(task)
        for i, value in enumerate(args):
            if isinstance(value, dict) and "path" in value:
                cases += [
                    (task, name, api_name, [*args[:i], handle_file(str(p)), *args[i + 1 :]])
                    for name, p in files.items()
                ]
            elif isinstance(value, str):
                cases += [(task, name, api_name, [*args[:i], text, *args[i + 1 :]]) for name, text in BAD_TEXTS.items()]
    return cases


def robustness(client, tasks: list[str], seconds_bound: float = 30.0) -> dict:
    """Every bad input of `bad_cases`: a failure is a call that hangs past the bound, an error that says nothing, or a
    server that stops answering health."""
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = bad_cases(tasks, Path(tmp))
        for task, name, api_name, args in cases:
            started = time.perf_counter()
            try:
                client.predict(*args, api_name=api_name)
            except Exception as err:
                if GENERIC in str(err) or "Traceback" in str(err):
                    failures.append(f"{task}/{name}: {err}"[:200])
            if time.perf_counter() - started > seconds_bound:
                failures.append(f"{task}/{name}: over {seconds_bound:g} s")
            if client.predict(api_name="/health") != "ok":
                failures.append(f"{task}/{name}: health failed after it")
    return {"cases": len(cases), "failures": len(failures), "errors": failures}


def soak(url: str, tasks: list[str], pid: int, requests: int = 1000, threads: int = 4) -> dict:
    """`requests` example calls over every tab from `threads` users (a thread and a Client each): server errors and
    resident-memory growth. The growth is measured from the end of the first round (each user's first call of each
    tab: its session, its thread's buffers), so it shows what keeps growing, not what a first use allocates."""
    calls = user_calls(url, tasks, requests)
    warm = threads * len(tasks)
    with ThreadPoolExecutor(threads) as pool:
        _, first_errors = _outcomes([pool.submit(call) for call in calls[:warm]])
        before = rss_mb(pid)
        _, errors = _outcomes([pool.submit(call) for call in calls[warm:]])
    errors = first_errors + errors
    return {
        "requests": requests,
        "users": threads,
        "server_errors": len(errors),
        "errors": errors[:5],
        "rss_growth": round(rss_mb(pid) / before - 1, 4),
    }
