"""What the model cards say, as Markdown: each task's eval against its baselines and the issue's bars, met or missed.

    python -m vtl_models report [--write-readme]

The README's results section is this output (a test checks they agree), so every figure there comes from a card,
and every card's figures from `python -m vtl_models eval TASK --json --update-card`.
"""

from __future__ import annotations

import json
from pathlib import Path

from vtl_models.claims import verdict as claim_verdict
from vtl_models.hub import has_card, read_card
from vtl_models.registry import OPS, TABS, TASKS, Bar

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BENCHMARKS = ROOT / "benchmarks" / "results.json"
START, END = "<!-- results:start -->", "<!-- results:end -->"
BENCH_START, BENCH_END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
COLD_START_S, RSS_MB, CONCURRENT_P95_OVER_P50 = 8.0, 2500, 3.0  # the serving targets (the README's Benchmarks)
FIRST_CALL_S = 2.0  # the design's bound on what a tab's first request (its lazy load) adds
SOAK_GROWTH = 0.10  # the robustness issue's bound on memory growth over the soak
CLAIMS_RULE = (
    "the 95% interval carries test-item and training-seed noise; a win only where it lies wholly above zero, with "
    "at least 3 training seeds a side"
)
BARS = {tab.task: list(tab.bars) for tab in TABS}  # the bars of each task's issue


def _fmt(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def verdicts(task: str, report: dict) -> list[tuple[Bar, object, object, str]]:
    """Each bar of `task` with (measured, reference, "met" | "missed" | "not measured") in `report`."""
    out = []
    for bar in BARS.get(task, []):
        measured, reference = bar.measured(report), bar.reference(report)
        if measured is None or reference is None:
            verdict = "not measured"
        else:
            verdict = "met" if OPS[bar.op](measured, reference) else "missed"
        out.append((bar, measured, reference, verdict))
    return out


def bars_table(task: str, report: dict) -> str:
    """Markdown table: each bar, the measured figure, the reference, met or missed."""
    lines = ["| bar | measured | needed | |", "|---|---|---|---|"]
    for bar, measured, reference, verdict in verdicts(task, report):
        shown = "**missed**" if verdict == "missed" else verdict
        lines.append(f"| {bar.describe()} | {_fmt(measured)} | {bar.op} {_fmt(reference)} | {shown} |")
    return "\n".join(lines)


def metrics_table(report: dict) -> str:
    """Markdown table of an eval report's metrics against its baselines."""
    metrics, baselines = report.get("metrics", {}), report.get("baselines", {})
    names = list(baselines)
    lines = ["| metric | this model | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for key, value in metrics.items():
        cells = [_fmt(baselines[name].get(key, "-")) for name in names]
        lines.append(f"| {key} | {_fmt(value)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def photo_mode_table(report: dict) -> str:
    """Markdown: the report's `photo_mode` block (a mode without learned weights, kept apart from the model's metrics)
    against its baselines, each figure with what it was measured on; "" when the report has none."""
    block = report.get("photo_mode")
    if not block:
        return ""
    names = list(block["baselines"])
    lines = [
        f"Photo mode (real photos): {block['about']}.",
        "",
        "| figure | measured on | photos | photo mode | " + " | ".join(names) + " |",
        "|---|---|---|---|" + "---|" * len(names),
    ]
    for key, where in block["measured_on"].items():
        cells = " | ".join(_fmt(block["baselines"][name].get(key, "-")) for name in names)
        n_photos = block["n_photos"][key.removesuffix("_mAP")]
        lines.append(f"| {key} | {where} | {n_photos} | {_fmt(block.get(key, '-'))} | {cells} |")
    return "\n".join(lines)


def claims_table(report: dict) -> str:
    """Markdown table of the paper's claims in an eval report (model minus baseline, interval, seeds, the verdict of
    vtl_models.claims); "" when it has none."""
    claims = report.get("claims") or {}
    rows = {}
    for name, c in claims.items():
        if isinstance(c, dict) and "ci95" in c:  # then its parts decided the same way (e.g. on a label subset)
            rows[name] = c
            rows |= {f"{name} / {k}": part for k, part in c.items() if isinstance(part, dict) and "ci95" in part}
    if not rows:
        return ""
    lines = ["| claim | model − baseline | 95% interval | training seeds | verdict |", "|---|---|---|---|---|"]
    for name, c in rows.items():
        seeds = c.get("seeds", c.get("training_seeds", claims.get("training_seeds", 1)))
        diff = c.get("diff", c.get("difference"))
        lo, hi = c["ci95"]
        called = claim_verdict(c["ci95"], seeds)
        shown = f"**{called}**" if called == "win" else called
        metric = f" ({c['metric']})" if "metric" in c else ""
        lines.append(f"| {name}{metric} | {diff:+.4f} | [{lo:+.4f}, {hi:+.4f}] | {seeds} | {shown} |")
    return "\n".join(lines)


def caveats_list(card: dict) -> str:
    """Markdown bullets of the card's `caveats` (what its figures do not show, said by whoever trained it), then its
    declared deviations from the paper as one bullet with sub-bullets; ""."""
    lines = [f"- {c}" for c in card.get("caveats", [])]
    if deviations := card.get("deviations_from_paper"):
        lines += ["- Deviations from the paper:", *(f"  - {d}" for d in deviations)]
    return "\n".join(lines)


def task_section(task: str) -> str:
    """One task's results: bars, then all metrics; or a line saying it has no default weights."""
    if not has_card(task):
        return f"### {task}\n\nNo default weights yet: the tab is a placeholder."
    card = read_card(task)
    report = card.raw.get("eval")
    if not report:
        return f"### {task}\n\nDefault weights without an evaluation."
    parts = [f"### {task}", f"`python -m vtl_models eval {task} --json` ({report.get('n_test')} held-out items):"]
    if task in BARS:
        parts.append(bars_table(task, report))
    if claims := claims_table(report):
        parts.append(f"The paper's claims ({CLAIMS_RULE}):\n\n{claims}")
    if caveats := caveats_list(card.raw):
        parts.append(f"Caveats:\n\n{caveats}")
    parts.append(metrics_table(report))
    if photo_mode := photo_mode_table(report):
        parts.append(photo_mode)
    return "\n\n".join(parts)


def results_section() -> str:
    """The README's results section, between its markers."""
    body = "\n\n".join(task_section(task) for task in TASKS)
    return f"{START}\n{body}\n{END}"


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def lean(m: dict) -> str:
    """A tab's lean-client p50 cell (benchmarks/serve.py), '-' in results measured before it existed."""
    return f"{m['p50_lean_client_ms']:.0f} ms ({m['lean_p50_over_noop']:.2f}x)" if "p50_lean_client_ms" in m else "-"


def benchmarks_section() -> str:
    """The README's benchmark table, from the committed benchmarks/results.json (`python -m benchmarks`)."""
    if not BENCHMARKS.exists():
        return f"{BENCH_START}\nNo benchmark results yet: run `python -m benchmarks`.\n{BENCH_END}"
    r = json.loads(BENCHMARKS.read_text())
    noop = r["noop_p50_ms"]
    lean_noop = f"{r['noop_lean_client_p50_ms']:.0f} ms" if "noop_lean_client_p50_ms" in r else "not measured"
    lines = [
        f"`python -m benchmarks` on {r['measured_at']} ({r['machine']}; {r['calls']} sequential calls per tab after a "
        f"first call; gradio_client fetches every output file). The no-op `health` endpoint: p50 {noop:.0f} ms. "
        "gradio_client builds an SSL context (~20 ms here) for every upload, call and download, even over plain HTTP; "
        f"the *lean client* column is the same call from a client told not to (no-op: {lean_noop}).",
        "",
        "| tab (endpoint) | first call (lazy load) | p50 | p95 | p50 without fetching files | p50, lean client "
        "(x its no-op) | target | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in TABS:
        m = r["tabs"].get(entry.api_name)
        if m is None:
            continue
        kind, limit = entry.p50_target
        bound = limit * noop if kind == "x_noop" else limit
        target = f"p50 <= {limit:g}x no-op ({bound:.0f} ms)" if kind == "x_noop" else f"p50 <= {limit:g} ms"
        lines.append(
            f"| {entry.title} (`{entry.api_name}`) | {m['first_call_s']:.2f} s | {m['p50_ms']:.0f} ms | "
            f"{m['p95_ms']:.0f} ms | {m['p50_no_download_ms']:.0f} ms | {lean(m)} | {target} | "
            f"{_met(m['p50_ms'] <= bound)} |"
        )
    trained = {task: s for task, s in r.get("training_s", {}).items() if s is not None}
    if trained:
        cells = ", ".join(f"{task} {s / 60:.0f} min" for task, s in trained.items())
        lines += ["", f"Training time of each default model, from its card (all stages, 2 CPU cores): {cells}."]
    c = r["concurrent"]
    slowest = max(m["first_call_s"] for m in r["tabs"].values())
    lines += [
        "",
        "| whole app | measured | target | |",
        "|---|---|---|---|",
        f"| cold start to the first HTTP 200 | {r['cold_start_s']:.1f} s | <= {COLD_START_S:g} s | "
        f"{_met(r['cold_start_s'] <= COLD_START_S)} |",
        f"| slowest first call of a tab (its lazy load, the background warm-up over) | {slowest:.2f} s | "
        f"<= {FIRST_CALL_S:g} s | {_met(slowest <= FIRST_CALL_S)} |",
    ]
    if "first_result" in r:  # sent at the first HTTP 200, it also waits on the warm-up's imports
        first = r["first_result"]
        lines.append(
            f"| process start to the first result, `{first['tab']}`'s example sent at the first HTTP 200 | "
            f"{first['seconds']:.1f} s | <= {COLD_START_S + FIRST_CALL_S:g} s | "
            f"{_met(first['seconds'] <= COLD_START_S + FIRST_CALL_S)} |"
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
        lines += [
            f"| bad uploads (benchmarks/corpus.py) into every tab: unclear, hung or fatal | {b['failures']} of "
            f"{b['cases']} | 0 | {_met(b['failures'] == 0)} |",
            f"| soak, {s['requests']} mixed calls: server errors | {s['server_errors']} | 0 | "
            f"{_met(s['server_errors'] == 0)} |",
            f"| ... resident-memory growth over the soak | {100 * s['rss_growth']:.1f}% | < {100 * SOAK_GROWTH:g}% | "
            f"{_met(s['rss_growth'] < SOAK_GROWTH)} |",
        ]
    return f"{BENCH_START}\n" + "\n".join(lines) + f"\n{BENCH_END}"


def _section(start: str, end: str) -> str:
    text = README.read_text()
    return text[text.index(start) : text.index(end) + len(end)]


def readme_results() -> str:
    """The results section as the README has it now."""
    return _section(START, END)


def readme_benchmarks() -> str:
    """The benchmark section as the README has it now."""
    return _section(BENCH_START, BENCH_END)


def write_readme() -> None:
    """Replace the README's results and benchmark sections with the cards' and benchmarks/results.json's figures."""
    text = README.read_text().replace(readme_results(), results_section())
    README.write_text(text.replace(readme_benchmarks(), benchmarks_section()))
