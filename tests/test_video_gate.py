"""The served path's gate (vtl_models.video.gate): the linear blend where the model reconstructs the anchors badly,
its threshold chosen on validation clips that the eval's test clips never share."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vtl_models.hub import has_card
from vtl_models.video.data import TASKS, shape_batch
from vtl_models.video.gate import choose
from vtl_models.video.metrics import complete_parts, copy_share, linear_blend


def _tiny_model():
    from vtl_models.video.model import SRcGAN, VideoConfig

    torch.manual_seed(0)
    return SRcGAN(VideoConfig(size=16, latent_channels=4, width=8, full_res_channels=4, hidden=8, code_dim=4)).eval()


def test_the_gate_serves_the_blend_on_the_clip_the_model_reconstructs_worse():
    """Two clips, the gate between their anchor fidelities: the worse one gets exactly linear_blend in every sample
    (copy_mask 1), the better one what the ungated model serves; the decoder's own frames are not gated."""
    model, steps = _tiny_model(), TASKS["interpolation"][0]
    videos = shape_batch("val", 0, 2, 16, 8)
    free = complete_parts(model, videos, steps, 3, seed=0)
    worse = int(np.argmin(free["fidelity"]))
    assert free["trusted"].all() and free["fidelity"][worse] < free["fidelity"][1 - worse]
    gated = complete_parts(model, videos, steps, 3, seed=0, gate_db=float(free["fidelity"].mean()))
    assert gated["trusted"].tolist() == [worse == 1, worse == 0]
    np.testing.assert_array_equal(gated["video"][1 - worse], free["video"][1 - worse])
    blend = np.broadcast_to(linear_blend(videos[worse], steps), (3, 8, 16, 16, 3))
    np.testing.assert_array_equal(gated["video"][worse], blend)
    assert copy_share(gated["copy_mask"][worse], steps) == 1.0 > copy_share(free["copy_mask"][worse], steps)
    np.testing.assert_array_equal(gated["decoded"], free["decoded"])


def test_choose_takes_the_threshold_that_serves_each_set_its_better_path():
    fidelity = {"shapes": np.array([24.0, 26.0, 30.0]), "real": np.array([21.0, 22.0])}
    model = {"shapes": np.array([22.0, 23.0, 25.0]), "real": np.array([28.0, 29.0])}
    blend = {"shapes": np.array([20.0, 20.0, 20.0]), "real": np.array([29.0, 30.0])}
    assert choose(fidelity, model, blend) == 23.0  # between the real clips' 22 and the shapes' 24
    blend["shapes"][0] = 23.0  # the least faithful shape clip is now better blended: the gate moves above it
    assert choose(fidelity, model, blend) == 25.0


def test_validation_real_clips_never_share_a_frame_with_the_test_clips(monkeypatch):
    """The gate's real validation clips (validation.validation_set) come from the first half of vtest.avi's held-out end
    and never from tree.avi; the eval's real_vtest test clips from its second half."""
    from vtl_models.video import data, evaluate, validation

    frames = np.arange(250, dtype=np.uint8)[:, None, None, None] * np.ones((1, 40, 40, 3), np.uint8)
    read = []
    monkeypatch.setattr(data, "read_video", lambda name: read.append(name) or frames)
    monkeypatch.setattr(validation, "N_VAL", 1)
    val = validation.validation_set(8)["real"]
    assert read == ["vtest.avi"]
    test = evaluate.test_sets(8, n_test=1, n_open=1)["real_vtest"]
    assert val.max() < test.min() and val.min() >= int(250 * (1 - data.REAL_VAL_SHARE))


@pytest.mark.skipif(not has_card("video"), reason="video weights not trained yet")
def test_the_served_gate_was_chosen_on_validation_for_these_weights():
    from vtl_models.hub import read_card

    card = read_card("video")
    gate = card.raw["gate"]
    assert gate["weights_sha256"] == card.sha256
    assert set(gate["validation"]) == {"interpolation", "prediction", "real"}  # validation.validation_set's sets
    assert gate["chosen_on"].startswith("validation only")
    assert "first half of vtest.avi's held-out end" in gate["chosen_on"]
    for row in gate["validation"].values():  # the shares follow from the threshold and each set's fidelities
        low, high = row["fidelity_db"]
        assert (row["model_share"] > 0) == (high >= gate["threshold_db"])
        assert (row["model_share"] < 1) == (low < gate["threshold_db"])
