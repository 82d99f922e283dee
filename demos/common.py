"""What every tab shares: lazily built predictors, errors shown as gr.Error, and the "How well" accordion."""

from __future__ import annotations

import functools
import hashlib
import importlib
import logging
import os
import tempfile
import threading
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from vtl_models.common import InvalidInput, pick_device
from vtl_models.hub import WeightsError, has_card, read_card
from vtl_models.report import BARS, bars_table, metrics_table, verdicts

log = logging.getLogger("vtl.demos")

_predictors: dict[str, object] = {}
_lock = threading.Lock()
OUTPUTS = Path(tempfile.gettempdir()) / "vtl-outputs"


def png_file(image: np.ndarray, name: str = "image") -> str:
    """Write an output picture once as `name`.png in a folder named by its content, and return its path.

    Handing gradio numpy arrays makes it rewrite its content-addressed cache file on every call; two visitors getting
    the same picture at once (say, the same example) could then be sent a file truncated by the other's write. A path
    is copied into that cache once and atomically. Fast PNG compression: level 1 writes 4x faster than the default
    for ~20% more bytes, which on loopback or a Space costs less than the encoding time saved."""
    image = np.ascontiguousarray(image)
    digest = hashlib.sha256(repr((image.shape, image.dtype.str)).encode() + image.tobytes()).hexdigest()
    path = OUTPUTS / digest[:40] / f"{name}.png"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        Image.fromarray(image).save(partial, format="PNG", compress_level=1)
        partial.replace(path)
    return str(path)


def get_predictor(task: str):
    """The task's predictor, built on first use and cached (one per process)."""
    if task not in _predictors:
        with _lock:
            if task not in _predictors:
                module = importlib.import_module(f"vtl_models.{task}.predictor")
                _predictors[task] = module.load_predictor(pick_device())
    return _predictors[task]


def guarded(fn):
    """Wrap an event handler so that any failure reaches the user as a readable gr.Error, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (InvalidInput, WeightsError) as err:
            raise gr.Error(str(err)) from None
        except Exception as err:  # the server must survive anything a user sends
            log.exception("handler %s failed", fn.__name__)
            raise gr.Error(
                f"Sorry, this input could not be processed ({type(err).__name__}). Try another one."
            ) from None

    return wrapper


def readable_image(component: gr.Image) -> gr.Image:
    """Give an image input a clear message for unreadable uploads (gradio's own is a generic error without a reason).

    The instance's preprocess is wrapped; a gr.Image subclass would make gradio write a .pyi stub into demos/."""
    preprocess = component.preprocess

    def checked(payload):
        try:
            return preprocess(payload)
        except gr.Error:
            raise
        except Exception as err:
            raise gr.Error(
                f"This file could not be read as an image ({type(err).__name__}). Give a PNG, JPEG, WebP, BMP or GIF."
            ) from None

    component.preprocess = checked
    return component


def example_images(directory: Path) -> list[str]:
    """A tab's example images (the README's samples grid excluded), for a gr.Examples of the image input alone."""
    files = sorted(p for p in directory.glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    return [str(p) for p in files if not p.name.startswith("samples_grid")]


def api_example(task: str) -> tuple[str, list]:
    """The tab's main endpoint and its example call's arguments, files wrapped for gradio_client."""
    from gradio_client import handle_file

    demo = importlib.import_module(f"demos.{task}")
    return f"/{demo.API_NAME}", [handle_file(str(a)) if isinstance(a, Path) else a for a in demo.API_EXAMPLE]


def placeholder_demo(task: str, what: str) -> gr.Blocks:
    """The honest placeholder of a tab whose model has not landed yet: what it will do, and no fake output."""
    with gr.Blocks() as demo:
        gr.Markdown(
            f"**{what}**\n\nThe model for this tab is not trained yet, so this tab has no output to show. "
            f"It will appear here once `python -m vtl_models train {task}` has produced weights that pass their "
            "evaluation. No fake or placeholder results are shown."
        )
    return demo


def eval_report(task: str) -> dict | None:
    """The eval stored in the task's default card ({} if it has none), or None when there are no default weights."""
    return (read_card(task).raw.get("eval") or {}) if has_card(task) else None


def quality_markdown(task: str, paper_setting: str, trained_on: str, report: dict | None = None) -> str:
    """Markdown: what the weights know, the issue's bars met or missed, and the card's metrics against baselines.

    `report`: the card's eval if the caller has read it already."""
    report = eval_report(task) if report is None else report
    if report is None:
        return "No trained weights yet."
    lines = [f"**Default weights trained on:** {trained_on}", "", f"**Paper's setting:** {paper_setting}", ""]
    if report.get("metrics"):
        if task in BARS:
            lines += ["**The bars this demo set itself:**", "", bars_table(task, report), ""]
        lines += [
            metrics_table(report),
            "",
            f"Held-out test items: {report.get('n_test')}; reproduce with `python -m vtl_models eval {task} --json`.",
        ]
    else:
        lines.append("This card has no evaluation yet.")
    return "\n".join(lines)


def quality_accordion(task: str, paper_setting: str, trained_on: str) -> None:
    """The "How well does it work?" accordion every tab shows, and a visible notice when its weights miss a bar."""
    report = eval_report(task)
    missed = [bar.describe() for bar, *_, verdict in verdicts(task, report or {}) if verdict == "missed"]
    if missed:
        gr.Markdown(
            f"**Preliminary model:** these weights miss {len(missed)} of the {len(BARS[task])} bars this demo set "
            f"itself ({'; '.join(missed)}). Its figures are in the accordion at the foot of this tab."
        )
    with gr.Accordion("How well does it work?", open=False):
        gr.Markdown(quality_markdown(task, paper_setting, trained_on, report))
