"""The benchmark's own pieces: the lean client, the browser's inputs, and the table when a figure is missing."""

from __future__ import annotations

import json

import pytest

from app import is_full
from benchmarks.browser import variants
from benchmarks.calls import api_example
from vtl_models.registry import TABS, tab


def test_every_browser_click_gets_a_picture_of_its_own(tmp_path):
    """No output may come from a cache: each click's input differs from the example and from the others."""
    for task in ("zeroshot", "video"):  # a JPEG photo and an animated GIF
        source = next(a for a in tab(task).example_args() if hasattr(a, "suffix"))
        paths = variants(source, tmp_path, 4)
        contents = {p.read_bytes() for p in paths} | {source.read_bytes()}
        assert len(contents) == 5, task


def test_the_lean_client_gets_what_gradio_client_gets(app_server, tmp_path):
    """Same endpoint, same example, same answer; an error comes back as the server's message."""
    from gradio_client import Client, handle_file

    from benchmarks.lean import LeanClient

    url = app_server[0]
    lean, client = LeanClient(url), Client(url, verbose=False)
    assert lean.predict(api_name="/health") == ["ok"]
    entry = next(t for t in TABS if is_full(t))
    api_name, args = api_example(entry.task)
    lean_out, client_out = lean.predict(*args, api_name=api_name), client.predict(*args, api_name=api_name)
    texts = [o for o in lean_out if isinstance(o, str)]  # gradio_client gives files as local paths, also str
    assert texts and all(text in client_out for text in texts), (lean_out, client_out)
    bad = tmp_path / "photo.png"
    bad.write_bytes(b"%PDF-1.4 not an image")
    with pytest.raises(RuntimeError, match="could not be read as an image"):
        lean.predict(handle_file(str(bad)), *args[1:], api_name=api_name)
    lean.close()


def test_the_table_says_not_measured_for_what_an_older_results_file_lacks(tmp_path, monkeypatch):
    from vtl_models import benchmark_table

    full = [t for t in TABS if is_full(t)]
    tabs = {
        t.api_name: {"first_call_s": 0.5, "p50_ms": 200.0, "p95_ms": 250.0, "p50_no_download_ms": 150.0} for t in full
    }
    tabs[full[0].api_name] |= {"p50_lean_ms": 90.0, "lean_over_noop": 1.2}
    old = {
        "measured_at": "2026-01-01", "machine": "test", "calls": 3, "noop_p50_ms": 90.0, "noop_lean_p50_ms": 75.0,
        "cold_start_s": 5.0,
        "rss_mb_idle": 200, "rss_mb_all_models": 1000, "tabs": tabs,
        "concurrent": {"clients": 8, "failures": 0, "n": 24, "p50_ms": 100.0, "p95_ms": 200.0},
    }  # fmt: skip
    results = tmp_path / "results.json"
    results.write_text(json.dumps(old))
    monkeypatch.setattr(benchmark_table, "BENCHMARKS", results)
    section = benchmark_table.benchmarks_section()
    rows = {line.split("|")[1].strip(): line for line in section.splitlines() if line.startswith("| ")}
    first = rows[f"{full[0].title} (`{full[0].api_name}`)"]
    assert "90 ms (1.20x, +15 ms)" in first and "| met |" in first.split("lean p50")[1]
    second = rows[f"{full[1].title} (`{full[1].api_name}`)"]
    assert second.count("not measured") >= 3, second
    assert "**missed**" not in section
