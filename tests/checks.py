"""Checks that several tasks' tests share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from vtl_models.common import InvalidInput


def assert_refuses_bad_images(call: Callable, tmp_path: Path) -> None:
    """No image, an unreadable file and a too-small image each raise InvalidInput (shown to users as gr.Error)."""
    bad = tmp_path / "not_an_image.png"
    bad.write_text("hello")
    for image in (None, str(bad), np.zeros((4, 4, 3), np.uint8)):
        with pytest.raises(InvalidInput):
            call(image)
