"""What goes to the Hugging Face Hub: the weights as a model repo (`publish`) and the app as a Gradio Space
(`deploy`). Nothing here runs at serving time; the Hub is reached only through huggingface_hub's HfApi.

    python -m vtl_models publish --repo USER/NAME
    python -m vtl_models deploy --space USER/NAME [--weights-repo USER/NAME]
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from vtl_models import hub
from vtl_models.registry import ROOT, TABS

# What a Space needs to run the app; tests, benchmarks, CI and training caches stay behind.
APP_PATHS = ("app.py", "requirements.txt", "README.md", ".gitattributes", "demos", "vtl_models", "weights")
SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache"}
SKIPPED_SUFFIXES = {".pyc", ".tmp", ".log"}


def space_files(root: Path = ROOT, with_weights: bool = True) -> list[str]:
    """The repo-relative files a Space is given: the app, its models and examples, and weights/ unless they come
    from a model repo."""
    files = []
    for top in APP_PATHS:
        if top == "weights" and not with_weights:
            continue
        path = root / top
        for file in [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()):
            parts = set(file.relative_to(root).parts)
            if not parts & SKIPPED_PARTS and file.suffix not in SKIPPED_SUFFIXES:
                files.append(file.relative_to(root).as_posix())
    return files


def deploy(space: str, weights_repo: str | None = None, token: str | None = None, api=None) -> str:
    """Create or update the Gradio Space `space` from this checkout; returns the commit id.

    With `weights_repo`, weights/ is not uploaded: the Space gets the variable VTL_WEIGHTS_REPO and loads the
    weights from that model repo (`python -m vtl_models publish` puts them there)."""
    from huggingface_hub import HfApi

    api = api or HfApi(token=token)
    api.create_repo(space, repo_type="space", space_sdk="gradio", exist_ok=True)
    info = api.upload_folder(
        repo_id=space,
        repo_type="space",
        folder_path=str(ROOT),
        allow_patterns=space_files(with_weights=weights_repo is None),
        delete_patterns=["*"],  # files the app no longer has leave the Space too
        commit_message="Visual Transfer Lab app",
    )
    if weights_repo:
        api.add_space_variable(space, "VTL_WEIGHTS_REPO", weights_repo)
    return info.oid


def model_repo_readme() -> str:
    """The model repo's README.md: the Hub's card metadata, then every task's eval against its bars (from the
    cards), so the weights repo explains itself."""
    from vtl_models.report import bars_table

    licences = sorted({str(card.raw.get("licence") or "") for card in hub.list_cards()} - {""})
    lines = [
        "---",
        "license: apache-2.0",
        "library_name: pytorch",
        "tags:",
        *(f"- {tag}" for tag in ("transfer-learning", "safetensors", "gradio", "vision")),
        "---",
        "",
        "# Visual Transfer Lab weights",
        "",
        "Small PyTorch models for the six tabs of the Visual Transfer Lab app, each trained on procedural data and "
        "evaluated on held-out data against baselines. Every `<task>/<name>.safetensors` has a JSON card beside it "
        "(architecture, input normalisation, sha256, training command, eval).",
        "",
        "| task | tab | weights | held-out items | bars met |",
        "|---|---|---|---|---|",
    ]
    sections = []
    for entry in TABS:
        cards = [c for c in hub.list_cards() if c.task == entry.task]
        if not cards:
            continue
        report = (hub.read_card(entry.task).raw.get("eval") or {}) if hub.has_card(entry.task) else {}
        table = bars_table(entry.task, report) if report else "No evaluation yet."
        met = table.count("| met |")
        files = ", ".join(f"`{c.task}/{c.file}`" for c in cards)
        lines.append(f"| {entry.task} | {entry.title} | {files} | {report.get('n_test', '-')} | {met} of "
                     f"{len(entry.bars_for(report))} |")  # fmt: skip
        sections += ["", f"## {entry.title} (`{entry.task}`)", "", entry.summary, "", table]
    lines += sections + ["", "Licences of pretrained parts: " + ("; ".join(licences) or "none") + "."]
    return "\n".join(lines) + "\n"


def publish(repo_id: str, token: str | None = None, api=None) -> str:
    """Upload weights/ (files and cards) and the model repo's README to a Hub model repo, then pin every card to
    the new commit. Returns the commit id; the cards in weights/ then name {repo_id, filename, revision}."""
    from huggingface_hub import HfApi

    api = api or HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        readme = Path(tmp) / "README.md"
        readme.write_text(model_repo_readme())
        api.upload_file(path_or_fileobj=str(readme), path_in_repo="README.md", repo_id=repo_id, repo_type="model")
    info = api.upload_folder(
        repo_id=repo_id,
        folder_path=str(hub.WEIGHTS_DIR),
        repo_type="model",
        allow_patterns=["*/*.safetensors", "*/*.json"],
        commit_message="Visual Transfer Lab weights",
    )
    for card in hub.list_cards():
        pinned = {"repo_id": repo_id, "filename": f"{card.task}/{card.file}", "revision": info.oid}
        hub.update_card(card.task, card.name, hub=pinned)
    return info.oid


__all__ = ["deploy", "model_repo_readme", "publish", "space_files"]
