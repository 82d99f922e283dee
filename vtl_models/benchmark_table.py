"""The README's benchmark table, generated from the committed benchmarks/results.json (`python -m benchmarks`).

Every figure comes from that file; a figure the file lacks (a results file measured before its benchmark existed)
is shown as "not measured", never guessed.
"""

from __future__ import annotations

import json
from pathlib import Path

from vtl_models.registry import TABS, Tab

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks" / "results.json"
BENCH_START, BENCH_END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
COLD_START_S, RSS_MB, CONCURRENT_P95_OVER_P50 = 8.0, 2500, 3.0  # the design's serving targets
FIRST_CALL_S = 2.0  # the design's bound on what a tab's first request (its lazy load) adds
SOAK_REQUESTS, SOAK_GROWTH = 1000, 0.05  # the soak: at least this many calls, memory growing less than this
BAD_CASES = 100  # the bad-input run: at least this many cases over every endpoint
NOT_MEASURED = "not measured"


def _met(ok: bool | None) -> str:
    return NOT_MEASURED if ok is None else ("met" if ok else "**missed**")


def _lean(m: dict, noop_lean: float | None) -> str:
    """The lean p50, its ratio to the lean no-op and what the tab adds to it in milliseconds."""
    if "p50_lean_ms" not in m or noop_lean is None:
        return NOT_MEASURED
    return f"{m['p50_lean_ms']:.0f} ms ({m['lean_over_noop']:.2f}x, +{m['p50_lean_ms'] - noop_lean:.0f} ms)"


def _browser(b: dict | None) -> str:
    return f"{b['p50_ms']:.0f} / {b['p95_ms']:.0f} ms ({b['n']} clicks)" if b else NOT_MEASURED


def _api_verdict(entry: Tab, m: dict, noop_lean: float | None) -> tuple[str, bool | None]:
    """The tab's API target as words, and whether `m` meets it (None: the run did not measure it)."""
    kind, limit = entry.p50_target
    if kind == "ms":
        return f"p50 <= {limit:g} ms", m["p50_ms"] <= limit
    bound = f" ({limit * noop_lean:.0f} ms)" if noop_lean else ""
    return f"lean p50 <= {limit:g}x its no-op{bound}", (m["lean_over_noop"] <= limit if "lean_over_noop" in m else None)


def tabs_table(r: dict) -> list[str]:
    """One row per measured tab: first call, p50/p95 through gradio_client, the lean client, the browser, targets."""
    noop_lean = r.get("noop_lean_p50_ms")
    browser = r.get("browser", {})
    lines = [
        "| tab (endpoint) | first call (lazy load) | p50 / p95, gradio_client | p50 without fetching files | p50, lean "
        "client (x its no-op, + ms) | browser: click to result painted, p50 / p95 | API target | | browser target | |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in TABS:
        m = r["tabs"].get(entry.api_name)
        if m is None:
            continue
        target, ok = _api_verdict(entry, m, noop_lean)
        b = browser.get(entry.api_name)
        felt = _met(b["p50_ms"] <= entry.browser_p50_ms if b else None)
        lines.append(
            f"| {entry.title} (`{entry.api_name}`) | {m['first_call_s']:.2f} s | {m['p50_ms']:.0f} / "
            f"{m['p95_ms']:.0f} ms | {m['p50_no_download_ms']:.0f} ms | {_lean(m, noop_lean)} | {_browser(b)} | "
            f"{target} | {_met(ok)} | p50 <= {entry.browser_p50_ms:g} ms | {felt} |"
        )
    return lines


def app_table(r: dict) -> list[str]:
    """The whole app: cold start, first calls and result, concurrency, memory, bad inputs, the soak."""
    c = r["concurrent"]
    slowest = max(m["first_call_s"] for m in r["tabs"].values())
    lines = [
        "| whole app | measured | target | |",
        "|---|---|---|---|",
        f"| cold start to the first HTTP 200 | {r['cold_start_s']:.1f} s | <= {COLD_START_S:g} s | "
        f"{_met(r['cold_start_s'] <= COLD_START_S)} |",
        f"| slowest first call of a tab (its lazy load, the background warm-up over) | {slowest:.2f} s | "
        f"<= {FIRST_CALL_S:g} s | {_met(slowest <= FIRST_CALL_S)} |",
    ]
    if "first_result" in r:  # sent at the first HTTP 200, it also waits on the warm-up's imports
        first, bound = r["first_result"], COLD_START_S + FIRST_CALL_S
        lines.append(
            f"| process start to the first result, `{first['tab']}`'s example sent at the first HTTP 200 | "
            f"{first['seconds']:.1f} s | <= {bound:g} s | {_met(first['seconds'] <= bound)} |"
        )
    lines += [
        f"| {c['clients']} clients, mixed load over every tab: failures | {c['failures']} of {c['n']} | 0 | "
        f"{_met(c['failures'] == 0)} |",
        f"| ... p50 / p95 | {c['p50_ms']:.0f} / {c['p95_ms']:.0f} ms | p95 <= {CONCURRENT_P95_OVER_P50:g}x p50 | "
        f"{_met(c['p95_ms'] <= CONCURRENT_P95_OVER_P50 * c['p50_ms'])} |",
        f"| resident memory, idle / all models loaded | {r['rss_mb_idle']} / {r['rss_mb_all_models']} MB | "
        f"<= {RSS_MB} MB | {_met(r['rss_mb_all_models'] <= RSS_MB)} |",
    ]
    if "robustness" in r:
        b, s = r["robustness"], r["soak"]
        bad_ok = b["failures"] == 0 and b["cases"] >= BAD_CASES
        users = f" from {s['users']} users" if "users" in s else ""
        after = " (after each user's first call of each tab)" if "users" in s else ""
        lines += [
            f"| bad inputs (benchmarks/corpus.py: files and text) into every endpoint: unclear, hung or fatal | "
            f"{b['failures']} of {b['cases']} | 0 of >= {BAD_CASES} | {_met(bad_ok)} |",
            f"| soak, {s['requests']} mixed calls{users}: server errors | {s['server_errors']} | 0 of >= "
            f"{SOAK_REQUESTS} | {_met(s['server_errors'] == 0 and s['requests'] >= SOAK_REQUESTS)} |",
            f"| ... resident-memory growth over the soak{after} | {100 * s['rss_growth']:.1f}% | "
            f"< {100 * SOAK_GROWTH:g}% | {_met(s['rss_growth'] < SOAK_GROWTH)} |",
        ]
    return lines


def benchmarks_section() -> str:
    """The README's benchmark section, between its markers."""
    if not BENCHMARKS.exists():
        return f"{BENCH_START}\nNo benchmark results yet: run `python -m benchmarks`.\n{BENCH_END}"
    r = json.loads(BENCHMARKS.read_text())
    lean_noop = f"{r['noop_lean_p50_ms']:.0f} ms" if "noop_lean_p50_ms" in r else NOT_MEASURED
    browser = r.get("browser")
    why = (
        " (not in this results file)"
        if browser is None
        else (f" (not run: {browser['skipped']})" if "skipped" in browser else "")
    )
    lines = [
        f"`python -m benchmarks` on {r['measured_at']} ({r['machine']}; {r['calls']} sequential calls per tab after a "
        "first call). Through gradio_client, as a script calls the app: it opens a connection and builds an SSL "
        "context for every upload, call and download and polls for the result every 50 ms; the no-op `health` "
        f"endpoint: p50 {r['noop_p50_ms']:.0f} ms. Through the *lean client* (benchmarks/lean.py: one kept-alive "
        "connection in one session, no polling, files uploaded and fetched as the page does), the server's share: "
        "no-op "
        f"{lean_noop}. Both send the same example again and again, so they include each predictor's per-picture "
        "cache (vtl_models.common.PictureCache: the work that depends on the picture alone, reused when a visitor "
        "changes only a setting or the labels). In the browser (Debian chromium through Playwright) each click sends "
        "a new picture, so it pays for all of that and nothing comes from a cache" + why + ".",
        "",
        *tabs_table(r),
    ]
    trained = {task: s for task, s in r.get("training_s", {}).items() if s is not None}
    if trained:
        cells = ", ".join(f"{task} {s / 60:.0f} min" for task, s in trained.items())
        lines += ["", f"Training time of each default model, from its card (all stages, 2 CPU cores): {cells}."]
    lines += ["", *app_table(r)]
    return f"{BENCH_START}\n" + "\n".join(lines) + f"\n{BENCH_END}"
