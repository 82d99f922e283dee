"""What the model cards say, as Markdown: each task's eval against its baselines and the issue's bars, met or missed.

    python -m vtl_models report [--write-readme]

The README's results section is this output (a test checks they agree), so every figure there comes from a card,
and every card's figures from `python -m vtl_models eval TASK --json --update-card`.
"""

from __future__ import annotations

from pathlib import Path

from vtl_models.hub import has_card, read_card
from vtl_models.registry import OPS, TABS, TASKS, Bar

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
BARS = {tab.task: list(tab.bars) for tab in TABS}  # the bars of each task's issue


def _fmt(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def verdicts(task: str, report: dict) -> list[tuple[Bar, object, object, str]]:
    """Each bar of `task` with (measured, reference, "met" | "missed" | "not measured") in `report`."""
    out = []
    for bar in BARS.get(task, []):
        measured, reference = report.get("metrics", {}).get(bar.metric), bar.reference(report)
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
    parts.append(metrics_table(report))
    return "\n\n".join(parts)


def results_section() -> str:
    """The README's results section, between its markers."""
    body = "\n\n".join(task_section(task) for task in TASKS)
    return f"{START}\n{body}\n{END}"


def readme_results() -> str:
    """The results section as the README has it now."""
    text = README.read_text()
    return text[text.index(START) : text.index(END) + len(END)]


def write_readme() -> None:
    """Replace the README's results section with the cards' current figures."""
    README.write_text(README.read_text().replace(readme_results(), results_section()))
