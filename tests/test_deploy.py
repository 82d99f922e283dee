"""What `publish` and `deploy` would send to the Hub, checked at the huggingface_hub boundary (no Hub here)."""

from __future__ import annotations

import pytest
import torch

from vtl_models import deploy, hub

REPO = "vtl-test/tiny"


class FakeApi:
    """Records the HfApi calls the commands make; every upload is one commit."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []

    def __getattr__(self, name):
        def record(*args, **kwargs):
            self.calls.append((name, {"args": args, **kwargs}))
            if name in ("upload_folder", "upload_file"):
                return type("CommitInfo", (), {"oid": str(len(self.calls)) * 40})()
            return None

        return record

    def named(self, name: str) -> list[dict]:
        return [kwargs for call, kwargs in self.calls if call == name]


@pytest.fixture
def tiny_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "WEIGHTS_DIR", tmp_path / "weights")
    torch.manual_seed(0)
    hub.save_weights("smile", "tiny", torch.nn.Linear(4, 3).state_dict(), {"config": {"in": 4}, "licence": "MIT"})
    return tmp_path / "weights"


def test_publish_uploads_weights_and_a_readme_and_pins_cards(tiny_weights):
    api = FakeApi()
    oid = deploy.publish(REPO, api=api)
    assert api.named("create_repo")[0]["repo_type"] == "model"
    (readme,) = api.named("upload_file")
    assert readme["path_in_repo"] == "README.md"
    (folder,) = api.named("upload_folder")
    assert folder["folder_path"] == str(tiny_weights) and folder["allow_patterns"] == ["*/*.safetensors", "*/*.json"]
    card = hub.read_card("smile", "tiny")
    assert card.hub == {"repo_id": REPO, "filename": "smile/tiny.safetensors", "revision": oid}
    assert hub.load_weights("smile", "tiny")[1].sha256 == card.sha256  # pinning changes nothing but the card


def test_model_repo_readme_has_card_metadata_and_a_row_per_trained_task():
    text = deploy.model_repo_readme()
    front = text.split("---")[1]
    assert "license: apache-2.0" in front and "library_name: pytorch" in front and "- safetensors" in front
    for card in hub.list_cards():
        if card.name == "default":
            assert f"| {card.task} |" in text and f"`{card.task}/{card.file}`" in text
    assert "| bar | measured | needed | |" in text  # each task's bars, from its card's eval


def test_space_gets_the_app_and_not_tests_benchmarks_or_caches():
    files = deploy.space_files()
    assert {"app.py", "requirements.txt", "README.md", "vtl_models/registry.py", "demos/common.py"} <= set(files)
    assert "weights/smile/default.safetensors" in files
    assert not [f for f in files if f.startswith(("tests/", "benchmarks/", ".ci/", "data/", "runs/"))]
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert not [f for f in deploy.space_files(with_weights=False) if f.startswith("weights/")]


@pytest.mark.parametrize("weights_repo", [None, "user/vtl-weights"])
def test_deploy_creates_a_gradio_space_and_points_it_at_the_weights(weights_repo):
    api = FakeApi()
    deploy.deploy("user/vtl", weights_repo, api=api)
    (create,) = api.named("create_repo")
    assert create["args"] == ("user/vtl",) and create["repo_type"] == "space" and create["space_sdk"] == "gradio"
    (upload,) = api.named("upload_folder")
    assert upload["repo_type"] == "space" and upload["allow_patterns"] == deploy.space_files(
        with_weights=weights_repo is None
    )
    variables = api.named("add_space_variable")
    assert variables == ([] if weights_repo is None else [{"args": ("user/vtl", "VTL_WEIGHTS_REPO", weights_repo)}])
