"""What every tab relies on: errors become gr.Error, the quality accordion reads the card."""

from __future__ import annotations

import dataclasses

import gradio as gr
import pytest

from demos import common
from vtl_models.common import InvalidInput
from vtl_models.hub import WeightsError


def test_guarded_turns_user_errors_into_their_message():
    @common.guarded
    def handler(x):
        raise InvalidInput("upload an image first")

    with pytest.raises(gr.Error, match="upload an image first"):
        handler(1)


def test_guarded_hides_internal_errors_behind_a_readable_message():
    @common.guarded
    def handler(x):
        return {}["missing"]

    with pytest.raises(gr.Error, match=r"could not be processed \(KeyError\)"):
        handler(1)


def test_guarded_reports_weight_problems_and_passes_results():
    @common.guarded
    def broken():
        raise WeightsError("sha256 of weights/x does not match")

    @common.guarded
    def fine(x, y=2):
        return x + y

    with pytest.raises(gr.Error, match="sha256"):
        broken()
    assert fine(1, y=3) == 4


def test_quality_markdown_says_so_without_weights_and_only_then(monkeypatch):
    from vtl_models.hub import read_card

    with_weights = common.quality_markdown("video")
    assert "No trained weights" not in with_weights and read_card("video").raw["trained_on"] in with_weights
    assert "| " in with_weights  # the card's metrics table
    monkeypatch.setattr(common, "eval_report", lambda task: None)  # as for a task with no default card
    without = common.quality_markdown("video")
    assert "No trained weights" in without and "trained on" not in without and "|" not in without


def test_card_caveats_reach_the_accordion(monkeypatch):
    from vtl_models.hub import read_card

    smile = read_card("smile")
    card = dataclasses.replace(smile, raw={**smile.raw, "caveats": ["a caveat only this test writes"]})
    monkeypatch.setattr(common, "read_card", lambda task: card)
    text = common.quality_markdown("smile")
    assert "**Caveats:**" in text and "- a caveat only this test writes" in text


def test_png_file_is_written_once_per_picture():
    import numpy as np
    from PIL import Image

    from demos.common import png_file

    picture = np.random.default_rng(0).integers(0, 255, (12, 20, 3), dtype=np.uint8)
    path = png_file(picture)
    assert png_file(picture.copy()) == path and png_file(picture[:, ::-1]) != path
    assert np.array_equal(np.asarray(Image.open(path)), picture)
    assert png_file(picture.reshape(20, 12, 3)) != path  # same bytes, other shape
    assert path.endswith("/image.png") and png_file(picture, "grid").endswith("/grid.png")


def test_output_files_are_written_whole_once_and_old_ones_leave(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "OUTPUTS", tmp_path)
    writes = []

    def write(path):
        writes.append(path)
        path.write_bytes(b"mesh")

    first = common.output_file("shape.glb", b"key", write)
    assert common.output_file("shape.glb", b"key", write) == first and len(writes) == 1  # content-named: once
    assert writes[0].name != "shape.glb" and writes[0].suffix == ".glb"  # written beside, then renamed into place
    for i in range(5):
        common.output_file("shape.glb", f"other {i}".encode(), write)
    monkeypatch.setattr(common, "MIN_AGE_S", 0)
    assert common.prune_outputs(keep=2) == 4 and len(list(tmp_path.iterdir())) == 2
