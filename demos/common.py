"""What every tab shares: lazily built predictors, errors shown as gr.Error, and the "How well" accordion."""

from __future__ import annotations

import functools
import gc
import hashlib
import importlib
import itertools
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from vtl_models.common import InvalidInput, on_zero_gpu, pick_device
from vtl_models.hub import WeightsError, has_card, read_card
from vtl_models.registry import tab
from vtl_models.report import (
    CLAIMS_RULE,
    bars_table,
    caveats_list,
    claims_table,
    metrics_table,
    photo_mode_table,
    verdicts,
)

log = logging.getLogger("vtl.demos")

_predictors: dict[str, object] = {}
_lock = threading.Lock()
_device_name = "auto"  # app.py's --device, set by use_device
OUTPUTS = Path(tempfile.gettempdir()) / "vtl-outputs"


MAX_OUTPUT_FOLDERS = int(os.environ.get("VTL_MAX_OUTPUTS", "2000"))  # ~ a day of busy use; older files leave
PRUNE_EVERY = 50  # new files between two prunings: listing the folder on every write would cost more than it saves
MIN_AGE_S = 600  # a file younger than this may still be on its way to a visitor: never pruned
_written = itertools.count(1)
_prune_lock = threading.Lock()


def output_file(name: str, key: bytes, write: Callable[[Path], None]) -> str:
    """Write an output file once as `name` in a folder named by its content key, and return its path.

    `write(path)` writes the file; it is given a temporary path with the same suffix and the result is renamed into
    place, so a visitor is never sent a half-written file (two visitors asking for the same output at once would
    otherwise race). Gradio copies the path into its own cache once. The folder is bounded: past
    MAX_OUTPUT_FOLDERS, the oldest outputs are removed, so a Space running for weeks does not fill its disk. A file
    asked for again has its folder's time renewed, so the pruning, which goes by that time, leaves it alone."""
    path = OUTPUTS / hashlib.sha256(key + name.encode()).hexdigest()[:40] / name
    if path.exists():
        try:
            with _prune_lock:  # a pruning in progress has listed the folders: touch it before or after, not during
                os.utime(path.parent)  # in use again: the pruning keeps it for MIN_AGE_S more
            return str(path)
        except FileNotFoundError:  # pruned between the check and the touch: write it again
            pass
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{os.getpid()}-{threading.get_ident()}-{name}")
    write(partial)
    partial.replace(path)
    if next(_written) % PRUNE_EVERY == 0:
        prune_outputs()
    return str(path)


def _age(folder: Path) -> float | None:
    """Seconds since the folder was last written or asked for; None if it has vanished."""
    try:
        return time.time() - folder.stat().st_mtime
    except FileNotFoundError:
        return None


def prune_outputs(keep: int = MAX_OUTPUT_FOLDERS) -> int:
    """Remove the oldest output folders beyond `keep` (none younger than MIN_AGE_S); return how many went.

    One pruning at a time (under a lock); a folder that vanishes meanwhile is skipped."""
    with _prune_lock:
        ages = {p: _age(p) for p in OUTPUTS.iterdir() if p.is_dir()}
        folders = sorted((p for p, age in ages.items() if age is not None), key=ages.get, reverse=True)
        old = [p for p in folders[: max(0, len(folders) - keep)] if ages[p] > MIN_AGE_S]
        for folder in old:
            shutil.rmtree(folder, ignore_errors=True)
    return len(old)


def png_file(image: np.ndarray, name: str = "image") -> str:
    """An output picture as `name`.png through `output_file` (a path, not an array: gradio would rewrite its cache
    file for an array on every call). Fast PNG compression: level 1 writes 4x faster than the default for ~20% more
    bytes, which on loopback or a Space costs less than the encoding time saved."""
    image = np.ascontiguousarray(image)
    key = repr((image.shape, image.dtype.str)).encode() + image.tobytes()
    return output_file(f"{name}.png", key, lambda path: Image.fromarray(image).save(path, compress_level=1))


def use_device(name: str) -> None:
    """Build the predictors on `name` ("auto", "cpu" or "cuda": app.py's --device)."""
    global _device_name
    _device_name = name


def predictor_device():
    """The torch.device the predictors are built on, resolved by pick_device when one is built (so building the page
    does not import torch)."""
    return pick_device(_device_name)


def get_predictor(task: str):
    """The task's predictor, built on first use and cached (one per process)."""
    if task not in _predictors:
        with _lock:
            if task not in _predictors:
                module = importlib.import_module(f"vtl_models.{task}.predictor")
                gc.freeze()  # the collector skips what stays loaded for good (see vtl_models.process.warm_up)
                _predictors[task] = module.load_predictor(predictor_device())
                gc.freeze()
    return _predictors[task]


GPU_SECONDS = int(os.environ.get("VTL_GPU_SECONDS", "60"))  # the longest a ZeroGPU call may hold its GPU


def on_gpu(fn):
    """`fn` run inside spaces.GPU on a ZeroGPU Space (that tier lends a GPU only within such calls, and the model
    moves to CUDA there); `fn` itself everywhere else."""
    if not on_zero_gpu():
        return fn
    import spaces  # only on ZeroGPU: elsewhere the app does not need the package

    return spaces.GPU(duration=GPU_SECONDS)(fn)


def guarded(fn):
    """Wrap an event handler so that any failure reaches the user as a readable gr.Error, never a traceback; on a
    ZeroGPU Space the handler runs inside spaces.GPU."""
    call = on_gpu(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return call(*args, **kwargs)
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


def domain_note(verdict, instead: str = "") -> str:
    """Markdown said beside a result whose input lies outside the model's procedural training domain ("" inside).

    `verdict`: a vtl_models.domain.Verdict or None (no check); `instead`: where such inputs are better served."""
    if verdict is None or verdict.inside:
        return ""
    return (
        f"\n\n**Outside what this model knows:** this input is far from the generated images it was trained on "
        f"(distance {verdict.distance:.2f}; inputs beyond {verdict.threshold:.2f} are flagged, a threshold set on "
        f"held-out generated images). Expect a rough answer. {instead}"
    ).rstrip()


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
    """A tab's example images (the README's sample grids, `*_grid.*`, excluded), for a gr.Examples of the image
    input alone."""
    files = sorted(p for p in directory.glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    return [str(p) for p in files if not p.stem.endswith("_grid")]


def placeholder_demo(task: str) -> gr.Blocks:
    """The honest placeholder of a tab whose model has not landed yet: what it will do, and no fake output."""
    with gr.Blocks() as demo:
        gr.Markdown(
            f"**{tab(task).summary}**\n\nThe model for this tab is not trained yet, so this tab has no output to show. "
            f"It will appear here once `python -m vtl_models train {task}` has produced weights that pass their "
            "evaluation. No fake or placeholder results are shown."
        )
    return demo


def eval_report(task: str) -> dict | None:
    """The eval stored in the task's default card ({} if it has none), or None when there are no default weights."""
    return (read_card(task).raw.get("eval") or {}) if has_card(task) else None


def quality_markdown(task: str, report: dict | None = None) -> str:
    """Markdown: what the weights know (the card's `trained_on`), the paper's setting (the registry's), the issue's
    bars met or missed, and the card's metrics against baselines. `report`: the card's eval if already read."""
    report = eval_report(task) if report is None else report
    if report is None:
        return "No trained weights yet."
    card = read_card(task).raw
    trained_on = card.get("trained_on", "(the card does not say)")
    lines = [f"**Default weights trained on:** {trained_on}", "", f"**Paper's setting:** {tab(task).paper_setting}", ""]
    if report.get("metrics"):
        if verdicts(task, report):
            lines += ["**The bars this demo set itself:**", "", bars_table(task, report), ""]
        if claims := claims_table(report):
            lines += [f"**The paper's claims** ({CLAIMS_RULE}):", "", claims, ""]
        if caveats := caveats_list(card):
            lines += ["**Caveats:**", "", caveats, ""]
        lines += [metrics_table(report), ""]
        if photo_mode := photo_mode_table(report):
            lines += [photo_mode, ""]
        lines += [
            f"Held-out test items: {report.get('n_test')}; reproduce with `python -m vtl_models eval {task} --json`.",
        ]
    else:
        lines.append("This card has no evaluation yet.")
    return "\n".join(lines)


def quality_accordion(task: str) -> None:
    """The "How well does it work?" accordion every tab shows, and a visible notice when its weights miss a bar."""
    report = eval_report(task)
    checked = verdicts(task, report or {})
    missed = [bar.describe() for bar, *_, verdict in checked if verdict == "missed"]
    if missed:
        gr.Markdown(
            f"**Preliminary model:** these weights miss {len(missed)} of the {len(checked)} bars this demo set "
            f"itself ({'; '.join(missed)}). Its figures are in the accordion at the foot of this tab."
        )
    with gr.Accordion("How well does it work?", open=False):
        gr.Markdown(quality_markdown(task, report))
