"""Shared pieces: image conversion, the ImageNet backbone, device choice and the command line."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

from vtl_models import TASKS, backbones
from vtl_models.common import InvalidInput, pick_device
from vtl_models.images import to_rgb, to_tensor


def _saved(image: Image.Image, tmp_path, name: str, **kwargs) -> str:
    path = tmp_path / name
    image.save(path, **kwargs)
    return str(path)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "CMYK", "I;16", "1", "F"])
def test_every_pil_mode_becomes_rgb(mode):
    image = Image.fromarray(data.astronaut()[:64, :48]).convert(mode)
    array = to_rgb(image)
    assert array.dtype == np.uint8 and array.shape == (64, 48, 3)


def test_sixteen_bit_png_keeps_its_range(tmp_path):
    ramp = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    array = to_rgb(_saved(Image.fromarray(ramp), tmp_path, "ramp.png"))
    assert array.max() >= 250 and array.min() <= 5


def test_exif_rotation_is_applied(tmp_path):
    image = Image.fromarray(np.zeros((20, 40, 3), np.uint8))
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    array = to_rgb(_saved(image, tmp_path, "rot.jpg", exif=exif))
    assert array.shape == (40, 20, 3)


def test_animated_gif_gives_first_frame(tmp_path):
    frames = [Image.new("RGB", (32, 32), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    red, _, blue = to_rgb(str(path))[0, 0]
    assert red > 200 and blue < 50


@pytest.mark.parametrize(
    "array", [np.random.rand(32, 32), np.random.rand(3, 32, 32).astype(np.float32), np.ones((32, 32, 1), bool)]
)
def test_arrays_of_other_dtypes_and_layouts(array):
    out = to_rgb(array)
    assert out.dtype == np.uint8 and out.shape == (32, 32, 3)


@pytest.mark.parametrize(
    "bad, message",
    [
        (None, "no image"),
        (np.zeros((4, 4, 3), np.uint8), "at least"),
        (np.zeros((10, 10, 10, 3)), "expected an image"),
        (np.full((32, 32), np.nan), "finite"),
    ],
)
def test_bad_inputs_say_what_to_do(bad, message):
    with pytest.raises(InvalidInput, match=message):
        to_rgb(bad)


def test_non_image_files_are_refused(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    truncated = tmp_path / "cut.jpg"
    buffer = io.BytesIO()
    Image.fromarray(data.chelsea()).save(buffer, format="JPEG")
    truncated.write_bytes(buffer.getvalue()[:200])
    for path in (text, truncated, tmp_path / "missing.png"):
        with pytest.raises(InvalidInput, match="not an image"):
            to_rgb(str(path))


def test_backbone_classifies_chelsea_as_a_cat():
    model = backbones.efficientnet_lite0().eval()
    with torch.no_grad():
        probs = model(to_tensor(data.chelsea(), backbones.INPUT)).softmax(-1)[0]
    top = int(probs.argmax())
    assert "cat" in backbones.imagenet_lemmas()[top]
    assert backbones.imagenet_wordnet_ids()[top] == "n02124075"  # Egyptian cat
    assert float(probs[top]) > 0.5


def test_backbone_feature_maps_have_documented_channels():
    features = backbones.efficientnet_lite0_features(out_indices=(0, 1, 2, 3, 4))
    maps = features(torch.zeros(1, 3, 64, 64))
    assert [m.shape[1] for m in maps] == list(backbones.FEATURE_CHANNELS)
    assert [m.shape[-1] for m in maps] == [32, 16, 8, 4, 2]


def test_device_choice():
    assert pick_device("cpu").type == "cpu"
    assert pick_device("auto").type in ("cpu", "cuda")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA"):
            pick_device("cuda")


def test_cli_rejects_unknown_task_listing_valid_ones():
    out = subprocess.run([sys.executable, "-m", "vtl_models", "eval", "NOPE"], capture_output=True, text=True)
    assert out.returncode != 0
    assert all(task in out.stderr for task in TASKS)


def test_picture_cache_makes_once_per_picture_and_forgets_the_oldest():
    from vtl_models.common import PictureCache

    cache, made = PictureCache(size=2), []
    pictures = [np.full((4, 4, 3), value, np.uint8) for value in (0, 1, 2)]

    def make(k):
        made.append(k)
        return k

    assert [cache.get(p, lambda k=k: make(k)) for k, p in enumerate(pictures[:2])] == [0, 1]
    assert cache.get(pictures[0].copy(), lambda: make(9)) == 0  # the same pixels from another array: kept
    assert cache.get(pictures[0].reshape(4, 12), lambda: make(8)) == 8  # the same bytes, another shape: not the same
    cache.get(pictures[2], lambda: make(2))  # over the size: 1, the least recently used, goes (0 was used since)
    assert cache.get(pictures[1], lambda: make(7)) == 7 and made == [0, 1, 8, 2, 7]
    assert cache.get(pictures[1], lambda: make(6), option=True) == 6  # another setting the value depends on


def test_the_app_lets_openmp_threads_sleep_before_torch_loads(monkeypatch):
    """Spinning OpenMP threads beside any other load made a trunk pass 8x slower (vtl_models.process); app.py asks for
    passive ones before gradio, and so torch, is imported, and a deployment's own setting wins."""
    import os

    import app

    for key in ("HF_HUB_OFFLINE", "GRADIO_ANALYTICS_ENABLED"):  # set by the call too: restored after the test
        monkeypatch.setenv(key, os.environ.get(key, ""))
    for value, expected in ((None, "PASSIVE"), ("ACTIVE", "ACTIVE")):
        if value is None:
            monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
        else:
            monkeypatch.setenv("OMP_WAIT_POLICY", value)
        app._configure_environment(None)
        assert os.environ["OMP_WAIT_POLICY"] == expected
