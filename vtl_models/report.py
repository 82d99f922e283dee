"""What the model cards say, as Markdown: each task's eval against its baselines and the issue's bars, met or missed.

    python -m vtl_models report [--write-readme]

The README's results section is this output (a test checks they agree), so every figure there comes from a card,
and every card's figures from `python -m vtl_models eval TASK --json --update-card`.
"""

from __future__ import annotations

from pathlib import Path

from vtl_models.benchmark_table import BENCH_END, BENCH_START, benchmarks_section
from vtl_models.claims import verdict as claim_verdict
from vtl_models.hub import has_card, read_card
from vtl_models.registry import TASKS, Bar, ClaimBar, tab

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
CLAIMS_RULE = (
    "the 95% interval carries test-item and training-seed noise; a win only where it lies wholly above zero, with "
    "at least 3 training seeds a side"
)


def _fmt(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def verdicts(task: str, report: dict) -> list[tuple[Bar | ClaimBar, object, object, str]]:
    """Each bar of `task` that holds for `report` (its training world's and every world's: Tab.bars_for) with
    (measured, reference, "met" | "missed" | "not measured") in `report`."""
    bars = tab(task).bars_for(report) if task in TASKS else []
    return [(bar, bar.measured(report), bar.reference(report), bar.verdict(report)) for bar in bars]


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
        called = claim_verdict(c["ci95"], seeds)
        shown = f"**{called}**" if called == "win" else called
        metric = f" ({c['metric']})" if "metric" in c else ""
        interval = "[{:+.4f}, {:+.4f}]".format(*c["ci95"]) if c["ci95"] else "not measured (seed noise unknown)"
        lines.append(f"| {name}{metric} | {diff:+.4f} | {interval} | {seeds} | {shown} |")
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
    if verdicts(task, report):
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
