"""Model cards and the one path by which weights are loaded: the Hugging Face Hub if configured, else weights/.

A card `weights/<task>/<name>.json` describes one safetensors file: its sha256, architecture config, input
normalisation, labels, training command and eval metrics. Loading always checks the sha256 against the card.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from vtl_models.registry import TASKS

if TYPE_CHECKING:  # torch and safetensors are imported on first load: the app starts without them
    import torch

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(os.environ.get("VTL_WEIGHTS_DIR", Path(__file__).resolve().parent.parent / "weights"))
DEFAULT_ENDPOINT = "https://huggingface.co"


class WeightsError(RuntimeError):
    """Weights that cannot be found or do not match their card."""


@dataclass(frozen=True)
class ModelCard:
    """One weight file's card, as read from JSON."""

    task: str
    name: str
    file: str
    sha256: str
    config: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)

    @property
    def hub(self) -> dict:
        """The published copy: {repo_id, filename, revision}, possibly empty."""
        return self.raw.get("hub") or {}

    @property
    def local_path(self) -> Path:
        return WEIGHTS_DIR / self.task / self.file


def card_path(task: str, name: str = "default") -> Path:
    """Path of the card of `task`/`name` (it may not exist)."""
    if task not in TASKS:
        raise KeyError(f"unknown task {task!r}; valid tasks: {', '.join(TASKS)}")
    return WEIGHTS_DIR / task / f"{name}.json"


def read_card(task: str, name: str = "default") -> ModelCard:
    """Read the card of `task`/`name`; WeightsError if there is none."""
    path = card_path(task, name)
    if not path.exists():
        raise WeightsError(
            f"no model card {path}: the {task!r} model is not trained yet "
            f"(train it with `python -m vtl_models train {task}`)"
        )
    raw = json.loads(path.read_text())
    return ModelCard(
        task=task, name=name, file=raw["file"], sha256=raw["sha256"], config=raw.get("config", {}), raw=raw
    )


def list_cards() -> list[ModelCard]:
    """Every card under weights/, sorted by task then name."""
    cards = []
    for task in TASKS:
        for path in sorted((WEIGHTS_DIR / task).glob("*.json")):
            cards.append(read_card(task, path.stem))
    return cards


def has_card(task: str, name: str = "default") -> bool:
    """Whether `task`/`name` has a card (i.e. has been trained and committed)."""
    return card_path(task, name).exists()


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_repo() -> str | None:
    """The Hub repo configured by --weights-repo / $VTL_WEIGHTS_REPO, or None."""
    return os.environ.get("VTL_WEIGHTS_REPO") or None


def _endpoint_reachable(endpoint: str, timeout: float = 0.5) -> bool:
    # The hub client retries a refused connection for ~20 s; a plain TCP connect tells us in milliseconds.
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def _download(card: ModelCard, repo_id: str) -> Path | None:
    """Fetch the card's file from the Hub (or its cache); None when neither can give it."""
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        offline = True
    else:
        offline = not _endpoint_reachable(os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT))
    from huggingface_hub import hf_hub_download

    filename = card.hub.get("filename") or f"{card.task}/{card.file}"
    revision = card.hub.get("revision") or "main"
    try:
        # local_files_only when the server is down: the cached copy (if any) comes back without waiting on retries.
        return Path(hf_hub_download(repo_id, filename, revision=revision, local_files_only=offline))
    except Exception as err:  # any network or cache failure falls back to the embedded weights
        log.warning("could not get %s from the Hub repo %s (%s); using weights/", filename, repo_id, err)
        return None


def resolve_weights(card: ModelCard, repo_id: str | None = None) -> Path:
    """Path of the card's weight file: Hub download when a repo is configured and reachable, else weights/."""
    repo_id = repo_id or weights_repo()
    path = _download(card, repo_id) if repo_id else None
    if path is None:
        path = card.local_path
        if not path.exists():
            raise WeightsError(f"weight file {path} is missing; restore it with git or retrain the {card.task!r} model")
    actual = sha256_of(path)
    if actual != card.sha256:
        raise WeightsError(
            f"sha256 of {path} is {actual[:12]}..., but its card {card.task}/{card.name}.json says "
            f"{card.sha256[:12]}...; the file is corrupt or from another training: delete it (or its Hub cache) "
            "and fetch it again, or update the card if you retrained on purpose"
        )
    return path


def load_weights(
    task: str, name: str = "default", repo_id: str | None = None
) -> tuple[dict[str, torch.Tensor], ModelCard]:
    """Load the sha256-checked state dict of `task`/`name` (fp32) and its card."""
    from safetensors.torch import load_file

    card = read_card(task, name)
    state = load_file(str(resolve_weights(card, repo_id)))
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}, card


def load_model(
    task: str, name: str, build: Callable[[ModelCard], torch.nn.Module], device: torch.device | str = "cpu"
) -> tuple[torch.nn.Module, ModelCard]:
    """The one way a model is made from its card: `build(card)` makes the module, the sha256-checked weights fill
    it (strictly), and it comes back on `device` in eval mode, with its card."""
    state, card = load_weights(task, name)
    model = build(card)
    model.load_state_dict(state)
    return model.to(device).eval(), card


def save_weights(task: str, name: str, state: dict[str, torch.Tensor], card: dict, half: bool = False) -> Path:
    """Write `state` as safetensors (optionally fp16) and its card with sha256, size and file name filled in."""
    from safetensors.torch import save_file

    path = card_path(task, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {
        k: (v.half() if half and v.is_floating_point() else v).detach().cpu().contiguous() for k, v in state.items()
    }
    weight_file = path.with_suffix(".safetensors")
    save_file(tensors, str(weight_file))
    card = {
        "task": task,
        "name": name,
        **card,
        "file": weight_file.name,
        "sha256": sha256_of(weight_file),
        "size_bytes": weight_file.stat().st_size,
        "dtype": "float16" if half else "float32",
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    card.setdefault("hub", {"repo_id": None, "filename": f"{task}/{weight_file.name}", "revision": "main"})
    path.write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    return path


WEIGHT_KEYS = ("task", "name", "file", "sha256", "size_bytes", "dtype", "saved_at", "hub")  # a card's own file


def share_weights(task: str, name: str, source: str, card: dict) -> Path:
    """Write the card of `task`/`name` for the weight file of `task`/`source` (a selected run made the default):
    one file on disk and on the Hub, two cards, the sha256 check the same. What `card` says of a weight file of its
    own (WEIGHT_KEYS, e.g. when it is the source run's card) is replaced."""
    weights = {k: read_card(task, source).raw[k] for k in WEIGHT_KEYS[2:]}
    notes = {k: v for k, v in card.items() if k not in WEIGHT_KEYS}
    path = card_path(task, name)
    path.write_text(json.dumps({"task": task, "name": name, **notes, **weights}, indent=2) + "\n")
    return path


STAGE_TOTALS = ("earlier_stages", "total_seconds", "total_steps", "stage_command")  # what spans the stages


def resumed_stages(card: ModelCard) -> list[dict]:
    """The training stages behind a card's weights, oldest first: what a run that continues from them builds on."""
    training = card.raw["training"]
    earlier = training.get("earlier_stages", [])
    last = {k: v for k, v in training.items() if k not in STAGE_TOTALS}
    # its own command, not the chain (cards written before "stage_command" hold only the chain)
    chain_prefix = "".join(stage["command"] + " && " for stage in earlier)
    last["command"] = training.get("stage_command", training["command"].removeprefix(chain_prefix))
    return earlier + [last]


def stage_fields(earlier: list[dict], command: str, seconds: float, steps: int) -> dict:
    """Card `training` fields of a run that continued `earlier` stages: the chained command and the totals.

    A first stage gets only its command: its totals would copy its own seconds and steps."""
    if not earlier:
        return {"command": command}
    return {
        "command": " && ".join([stage["command"] for stage in earlier] + [command]),
        "stage_command": command,
        "earlier_stages": earlier,
        "total_seconds": round(seconds) + sum(stage["seconds"] for stage in earlier),
        "total_steps": steps + sum(stage["steps"] for stage in earlier),
    }


def update_card(task: str, name: str, **fields) -> None:
    """Merge `fields` (e.g. eval metrics) into an existing card."""
    path = card_path(task, name)
    raw = json.loads(path.read_text())
    raw.update(fields)
    path.write_text(json.dumps(raw, indent=2) + "\n")
