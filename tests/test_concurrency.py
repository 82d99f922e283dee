"""Requests at once: one predictor serves concurrent calls as it serves them one by one; output files stay put."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from demos import common
from vtl_models.hub import has_card

EXAMPLES = Path(__file__).resolve().parents[1] / "demos" / "examples" / "smile"


@pytest.mark.skipif(not has_card("smile"), reason="no smile weights committed")
def test_eight_concurrent_calls_at_two_endpoints_sharing_a_predictor_equal_the_serial_ones():
    """The smile tab's transfer and slider endpoints share one predictor and its face detector (OpenCV's
    detectMultiScale is not thread-safe): the real photo has a face to find, the generated faces may not."""
    from demos.smile import smile_at_strength, smile_transfer

    images = [str(EXAMPLES / name) for name in ("real_astronaut.jpg", "photo_0.png", "cartoon_0.png", "photo_1.png")]
    calls = [(smile_transfer, (image, 0.5, "auto")) for image in images]
    calls += [(smile_at_strength, (image, 0.25, "auto")) for image in images]

    def run(call):
        fn, args = call
        out = fn(*args)
        return out[:2] if isinstance(out, tuple) else out  # the grid's path (content-named) and the info text

    serial = [run(call) for call in calls]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        concurrent = list(pool.map(run, calls))
    assert concurrent == serial
    assert "Found 1 face" in serial[0][1]  # the detector ran on the real photo


def _old_folders(root: Path, n: int) -> list[Path]:
    folders = []
    for i in range(n):
        folder = root / f"{i:040d}"
        folder.mkdir()
        (folder / "x.png").write_bytes(b"x")
        os.utime(folder, (time.time() - 10 * common.MIN_AGE_S,) * 2)
        folders.append(folder)
    return folders


def test_an_output_asked_for_again_is_not_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "OUTPUTS", tmp_path)
    path = Path(common.output_file("shape.glb", b"key", lambda p: p.write_bytes(b"mesh")))
    _old_folders(tmp_path, 3)
    os.utime(path.parent, (time.time() - 10 * common.MIN_AGE_S,) * 2)  # as old as the others
    assert common.output_file("shape.glb", b"key", lambda p: p.write_bytes(b"other")) == str(path)  # a hit
    assert common.prune_outputs(keep=0) == 3 and path.read_bytes() == b"mesh"  # the hit renewed its folder


def test_prunings_at_once_remove_each_old_folder_once_and_never_raise(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "OUTPUTS", tmp_path)
    _old_folders(tmp_path, 40)
    with ThreadPoolExecutor(max_workers=8) as pool:
        removed = list(pool.map(lambda _: common.prune_outputs(keep=10), range(8)))
    assert sum(removed) == 30 and len(list(tmp_path.iterdir())) == 10
