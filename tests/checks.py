"""Checks that several tasks' tests share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import trimesh
from PIL import Image
from torch import nn

from vtl_models.common import InvalidInput


def assert_refuses_bad_images(call: Callable, tmp_path: Path) -> None:
    """No image, an unreadable file and a too-small image each raise InvalidInput (shown to users as gr.Error)."""
    bad = tmp_path / "not_an_image.png"
    bad.write_text("hello")
    for image in (None, str(bad), np.zeros((4, 4, 3), np.uint8)):
        with pytest.raises(InvalidInput):
            call(image)


def is_file(output) -> bool:
    """An endpoint output that names an existing file (texts may be too long to be a path at all)."""
    try:
        return isinstance(output, str) and Path(output).is_file()
    except OSError:
        return False


def served_files(outputs) -> list[Path]:
    """The files an endpoint's outputs name: plain file outputs and a gallery's pictures."""
    if isinstance(outputs, (list, tuple)):
        return [f for o in outputs for f in served_files(o)]
    if isinstance(outputs, dict):
        return [f for o in outputs.values() for f in served_files(o)]
    return [Path(outputs)] if is_file(outputs) else []


def decoded(path: Path) -> np.ndarray | int:
    """A served file read as what its suffix says: a picture (a GIF's or MP4's first frame) as an array, a mesh as
    its number of faces; a file that does not decode raises."""
    if path.suffix in (".glb", ".obj", ".stl"):
        return len(trimesh.load(path, force="mesh").faces)
    if path.suffix == ".mp4":
        ok, frame = cv2.VideoCapture(str(path)).read()
        assert ok, f"{path.name} has no frame"
        return frame
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def assert_shows_a_result(outputs, what: str) -> None:
    """An endpoint's outputs show a result: at least one picture; every picture served decodes, is at least 32 px
    and not one flat colour; every mesh has faces. (A truthy or non-empty output is not enough: an error image, a
    blank canvas or a cut-off file all are.)"""
    shown = {f: decoded(f) for f in served_files(outputs)}
    assert any(isinstance(s, np.ndarray) for s in shown.values()), (what, outputs)
    for f, s in shown.items():
        assert (min(s.shape[:2]) >= 32 and np.ptp(s) > 0) if isinstance(s, np.ndarray) else s > 0, (what, f.name)


def held_tensors(obj: object, path: str = "predictor", seen: set[int] | None = None) -> Iterator[tuple[str, object]]:
    """(path, tensor) for every tensor reachable from `obj`: parameters and buffers of every submodule, tensors kept
    as attributes of modules or of the project's own objects (a scorer holding a trunk), in lists and dicts."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        yield path, obj
        return
    if isinstance(obj, nn.Module):
        yield from ((f"{path}.{n}", t) for n, t in obj.named_parameters(recurse=False))
        yield from ((f"{path}.{n}", t) for n, t in obj.named_buffers(recurse=False))
        for name, child in obj.named_children():
            yield from held_tensors(child, f"{path}.{name}", seen)
        items = [(f".{k}", v) for k, v in vars(obj).items() if not k.startswith("_")]  # plain tensor attributes
    elif isinstance(obj, dict):
        items = [(f"[{k!r}]", v) for k, v in obj.items()]
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = [(f"[{i}]", v) for i, v in enumerate(obj)]
    elif type(obj).__module__.startswith("vtl_models") and hasattr(obj, "__dict__"):
        items = [(f".{k}", v) for k, v in vars(obj).items()]
    else:
        return
    for key, value in items:
        yield from held_tensors(value, path + key, seen)
