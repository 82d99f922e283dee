"""Bad inputs a visitor may send (files where a picture or a clip is expected, and text): made on the fly, used by
tests and benchmarks."""

from __future__ import annotations

import atexit
import functools
import io
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

MUST_REFUSE = ("zero_bytes.png", "not_an_image.png", "truncated.png", "one_pixel.png", "bomb.png", "zero_frames.gif")
MUST_CONVERT = ("16bit.png", "cmyk.jpg", "rgba.png", "grey.png", "exif_rotated.jpg")
# text boxes (labels, anchor steps): odd text, 60 labels, 1 MB of labels, nothing, only separators
BAD_TEXTS = {
    "ten_thousand_x": "x" * 10_000,
    "control_and_bidi": "\u202edog\u0000cat\x07, \u200f\u05d0\u05d1, ../../etc/passwd",
    "sixty_labels": ", ".join(f"label{i}" for i in range(60)),
    "one_megabyte": ", ".join(f"label{i}" for i in range(120_000))[: 2**20],
    "empty": "",
    "separators_only": " , ,\n, ",
    "numbers_and_signs": "-1, 0, 1e309, nan, 99999999999999999999",
}
# a GIF header with a screen and no frame: the file ends at once
ZERO_FRAME_GIF = b"GIF89a" + (16).to_bytes(2, "little") * 2 + bytes(3) + b";"


@functools.cache
def _videos() -> dict[str, Path]:
    """A 10,000-frame and a 1-frame MP4 (32x32) and a 3-frame 4K one, written once per process."""
    import imageio.v2 as imageio

    folder = Path(tempfile.mkdtemp(prefix="vtl-corpus-"))
    atexit.register(shutil.rmtree, folder, True)
    ramp = np.linspace(0, 255, 32, dtype=np.uint8)[None, :, None].repeat(32, 0).repeat(3, 2)
    out = {}
    for name, count in (("long_video.mp4", 10_000), ("one_frame.mp4", 1)):
        frames = [np.roll(ramp, i, axis=1) for i in range(count)]
        imageio.mimsave(folder / name, frames, fps=25, codec="libx264", macro_block_size=2, quality=3)
        out[name] = folder / name
    frames = [np.full((2160, 3840, 3), 40 * i, np.uint8) for i in range(3)]
    imageio.mimsave(folder / "4k.mp4", frames, fps=25, codec="libx264", quality=3)
    out["4k.mp4"] = folder / "4k.mp4"
    return out


def _png(image: Image.Image, path: Path) -> Path:
    image.save(path)
    return path


def bad_files(folder: Path) -> dict[str, Path]:
    """Files a visitor may upload where a picture (or a short clip) is expected."""
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))
    files = {
        "zero_bytes.png": b"",
        "not_an_image.png": b"%PDF-1.4 this is a document",
        "zero_frames.gif": ZERO_FRAME_GIF,
    }
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
    return out | _videos()
