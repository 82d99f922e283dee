"""Every predictor turns pictures into tensors as its card's "input" says: editing the card changes what the model
sees, by exactly the edit (one conversion path, vtl_models.images.to_tensor)."""

from __future__ import annotations

import contextlib
import importlib

import pytest
import torch

from vtl_models.common import InvalidInput, PictureCache
from vtl_models.hub import has_card, read_card
from vtl_models.registry import EXAMPLES


def read_two_frames(path):
    from vtl_models.video.predictor import read_clip

    frames = read_clip(path)
    return [frames[0], frames[-1]]


CALLS = {  # one request per tab, as the predictor API takes it
    "smile": lambda p: p.predict(str(EXAMPLES / "smile" / "photo_0.png")),
    "multilabel": lambda p: p.predict(str(EXAMPLES / "multilabel" / "scene_lake.png")),
    "zeroshot": lambda p: p.predict(str(EXAMPLES / "zeroshot" / "squirrel.jpg"), "animal, tree"),
    "reid": lambda p: p.predict(str(EXAMPLES / "reid" / "indoor_id806_camera1.png")),
    "shape3d": lambda p: p.predict(str(EXAMPLES / "shape3d" / "01_chair.png")),
    "video": lambda p: p.complete(read_two_frames(EXAMPLES / "video" / "shapes_2.gif"), [0, 15], 16, 1, 0),
}


def first_picture_seen(predictor, call) -> torch.Tensor:
    """The input of the first RGB convolution the request runs in the predictor's own networks (its per-picture
    caches emptied first, so that the networks run again)."""
    for name, value in list(vars(predictor).items()):
        if isinstance(value, PictureCache):
            setattr(predictor, name, PictureCache())
    networks = [m for m in vars(predictor).values() if isinstance(m, torch.nn.Module)]
    networks += [predictor.photos.classifier] if hasattr(predictor, "photos") else []
    seen = []
    hooks = [
        m.register_forward_pre_hook(lambda _, args: seen.append(args[0].clone()))
        for net in networks
        for m in net.modules()
        if isinstance(m, torch.nn.Conv2d) and m.in_channels == 3
    ]
    try:
        with contextlib.suppress(InvalidInput):  # a refused result after the model ran still shows what it saw
            call(predictor)
    finally:
        for hook in hooks:
            hook.remove()
    assert seen, "no RGB convolution ran"
    return seen[0]


@pytest.mark.parametrize("task", [t for t in CALLS if has_card(t)])
def test_editing_the_cards_input_changes_what_the_model_sees(task):
    predictor = importlib.import_module(f"vtl_models.{task}.predictor").load_predictor(torch.device("cpu"))
    assert predictor.input == read_card(task).raw["input"]  # the card's own entry drives the conversion
    before = first_picture_seen(predictor, CALLS[task])
    mean, std = predictor.input["mean"], predictor.input["std"]
    predictor.input["mean"] = [mean[0] + 0.1, *mean[1:]]  # the dict the predictor converts with, edited in place
    try:
        after = first_picture_seen(predictor, CALLS[task])
    finally:
        predictor.input["mean"] = mean
    assert after.shape == before.shape
    torch.testing.assert_close(after[:, 0], before[:, 0] - 0.1 / std[0], atol=1e-4, rtol=0)
    torch.testing.assert_close(after[:, 1:], before[:, 1:], atol=0, rtol=0)
