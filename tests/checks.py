"""Checks that several tasks' tests share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
import trimesh
from PIL import Image

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
