"""The device is chosen once, in app.py, and handed down as a value: never through the environment."""

from __future__ import annotations

import os

import torch


def test_the_device_flag_reaches_the_app_as_a_value(monkeypatch):
    import app

    built = {}

    class Stub:
        def __init__(self, device: str):
            built["device"] = device

        def launch(self, **kwargs):
            pass

        def block_thread(self):
            pass

    for key in ("VTL_DEVICE", "VTL_WEIGHTS_REPO", "HF_HUB_OFFLINE", "GRADIO_ANALYTICS_ENABLED"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(app, "build_app", Stub)
    monkeypatch.setattr(app, "warm_up", lambda: None)
    app.main(["--port", "7861", "--device", "cpu"])
    assert built["device"] == "cpu" and "VTL_DEVICE" not in os.environ
    monkeypatch.setenv("VTL_DEVICE", "cpu")  # the environment is only the flag's default
    app.main(["--port", "7861"])
    assert built["device"] == "cpu"


def test_predictors_are_built_on_the_chosen_device(monkeypatch):
    from demos import common

    monkeypatch.setattr(common, "_device_name", common._device_name)
    common.use_device("cpu")
    assert common.predictor_device() == torch.device("cpu")


def test_one_device_has_one_name_so_one_shared_trunk():
    from vtl_models import domain
    from vtl_models.common import normalised_device

    assert normalised_device("cuda") == normalised_device("cuda:0") == torch.device("cuda", 0)  # no GPU needed
    assert normalised_device("cpu") == torch.device("cpu")
    assert domain.shared_features("cpu").backbone is domain.shared_features(torch.device("cpu"), 224).backbone
