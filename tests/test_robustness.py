"""What real users send, through the served app: every full tab's main endpoint against a corpus of bad inputs made
here. Each gets a result or a clear message within a time bound, and the server answers health after each."""

from __future__ import annotations

import io
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from app import is_full
from demos.common import api_example
from vtl_models.registry import TABS

pytestmark = pytest.mark.slow
SECONDS_PER_CALL = 60  # generous: the machine may be shared; a hang would take far longer
GENERIC = "has raised an exception but has not enabled verbose error reporting"  # an error that says nothing


def _png(image: Image.Image, path: Path) -> Path:
    image.save(path)
    return path


def bad_files(folder: Path) -> dict[str, Path]:
    """Files a visitor may upload where a picture is expected."""
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))
    files = {"zero_bytes.png": b"", "not_an_image.png": b"%PDF-1.4 this is a document"}
    png = io.BytesIO()
    photo.save(png, format="PNG")
    files["truncated.png"] = png.getvalue()[: len(png.getvalue()) // 2]
    out = {name: folder / name for name in files}
    for name, data in files.items():
        out[name].write_bytes(data)
    out["one_pixel.png"] = _png(Image.new("RGB", (1, 1)), folder / "one_pixel.png")
    out["bomb.png"] = _png(Image.new("1", (20_000, 20_000)), folder / "bomb.png")  # 400 Mpx, a few KB on disk
    out["16bit.png"] = _png(Image.fromarray(rng.integers(0, 65535, (80, 80), dtype=np.uint16)), folder / "16bit.png")
    out["cmyk.jpg"] = _png(photo.convert("CMYK"), folder / "cmyk.jpg")
    out["rgba.png"] = _png(photo.convert("RGBA"), folder / "rgba.png")
    out["grey.png"] = _png(photo.convert("L"), folder / "grey.png")
    frames = [photo, photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    out["animated.gif"] = folder / "animated.gif"
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    photo.save(folder / "exif_rotated.jpg", exif=exif)
    out["exif_rotated.jpg"] = folder / "exif_rotated.jpg"
    out["too_large.png"] = folder / "too_large.png"
    out["too_large.png"].write_bytes(b"\x89PNG" + bytes(21 * 2**20))  # over the 20 MB upload cap
    return out


@pytest.fixture(scope="module")
def client(app_server) -> Client:
    return Client(app_server[0], verbose=False)


def _call(client: Client, api_name: str, args: list) -> str:
    """'ok' or the message the user would read; fails on a hang or a message that says nothing."""
    started = time.perf_counter()
    try:
        client.predict(*args, api_name=api_name)
        outcome = "ok"
    except (AppError, ValueError) as err:
        outcome = str(err)
        assert GENERIC not in outcome and "Traceback" not in outcome, outcome
    assert time.perf_counter() - started < SECONDS_PER_CALL, (api_name, args)
    return outcome


@pytest.mark.parametrize("entry", [t for t in TABS if is_full(t)], ids=lambda t: t.task)
def test_every_bad_upload_gets_a_result_or_a_clear_message(client, entry, tmp_path):
    api_name, args = api_example(entry.task)
    slot = next((i for i, a in enumerate(args) if isinstance(a, dict) and "path" in a), None)
    if slot is None:
        pytest.skip(f"{entry.task}: its example sends no file")
    outcomes = {}
    for name, path in bad_files(tmp_path).items():
        outcomes[name] = _call(client, api_name, [*args[:slot], handle_file(str(path)), *args[slot + 1 :]])
        assert client.predict(api_name="/health") == "ok", name
    for name in ("zero_bytes.png", "not_an_image.png", "truncated.png", "one_pixel.png", "bomb.png"):
        assert outcomes[name] != "ok", (name, "was accepted")
    for name in ("16bit.png", "cmyk.jpg", "rgba.png", "grey.png", "exif_rotated.jpg"):
        assert outcomes[name] == "ok" or "no voxel" in outcomes[name], (name, outcomes[name])  # converted


@pytest.mark.parametrize("entry", [t for t in TABS if is_full(t)], ids=lambda t: t.task)
def test_long_and_odd_text_gets_a_result_or_a_clear_message(client, entry):
    api_name, args = api_example(entry.task)
    texts = [i for i, a in enumerate(args) if isinstance(a, str)]
    if not texts:
        pytest.skip(f"{entry.task}: its example sends no text")
    for text in ("x" * 10_000, "\u202edog\u0000cat\x07, \u200f\u05d0\u05d1, ../../etc/passwd"):
        _call(client, api_name, [text if i in texts else a for i, a in enumerate(args)])
        assert client.predict(api_name="/health") == "ok"


def test_no_file_outside_the_app_folders_is_served(app_server):
    url = app_server[0]
    for route in ("gradio_api/file=/etc/passwd", "gradio_api/file=../../../../etc/passwd", "file=/etc/passwd"):
        try:
            with urllib.request.urlopen(url + route, timeout=10) as response:
                body = response.read()
        except urllib.error.HTTPError as err:
            assert err.code in (400, 403, 404), (route, err.code)
        else:
            assert b"root:" not in body, route
