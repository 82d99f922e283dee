"""Artist-made cartoon faces for the smile task's target domain: DiceBear's "Lorelei" style, rendered from factors.

Design by Lisa Wischofsky, CC0 1.0 (public domain); DiceBear code MIT (Florian Koerner); rasterised by resvg-js (MPL
2.0). Node renders them at data-generation time only (`lorelei.mjs`); the npm packages are installed by `install()`
into data/smile/node (git-ignored), pinned below. Nothing of node is needed to serve or test the app: tests read the
two committed renders demos/examples/smile/lorelei_*.png (licence in the README beside them).

A face is drawn from the shared factors of faces.py: skin tone, hair colour, glasses and background come from them,
the mouth is one of the artist's "happy" mouths for a smile and one of the "sad" ones otherwise (the smile label is the
option a face was drawn with); every other part (hair style, eyes, brows, nose, head) is the style's own seeded choice.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import cv2
import numpy as np

from vtl_models.smile.faces import HAIR_CARTOON, SKIN_CARTOON

NODE_DIR = Path(__file__).resolve().parents[2] / "data" / "smile" / "node"
SCRIPT = Path(__file__).with_name("lorelei.mjs")
PACKAGES = ("@dicebear/core@9.4.3", "@dicebear/lorelei@9.4.3", "@resvg/resvg-js@2.6.2")
# left, top, side of the square cut around the head, as shares of the avatar (outside it: the background colour).
# Chosen so the cartoon face sits where the photo face does (eyes at 0.53, mouth centre at (0.5, 0.68) of the frame,
# eye-to-mouth 0.16 of it; photos 0.145): the generator's shared layers draw one face layout for both domains.
CROP = (0.075, -0.105, 1.05)
VERSION = 2  # part of the cache name: bump it whenever the cartoons are drawn or framed differently
LICENCE = "Lorelei by Lisa Wischofsky, CC0 1.0, via DiceBear (MIT)"


def install() -> Path:
    """The pinned npm packages under data/smile/node (installed once, by name from the npm registry)."""
    if not (NODE_DIR / "node_modules" / "@dicebear" / "lorelei").exists():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        (NODE_DIR / "package.json").write_text('{"private": true, "type": "module"}\n')
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", *PACKAGES], cwd=NODE_DIR, check=True)
    return NODE_DIR


def _hex(rgb: np.ndarray) -> str:
    return "".join(f"{int(round(255 * float(c))):02x}" for c in np.clip(rgb, 0, 1))


def render(factors: dict[str, np.ndarray], size: int, seed: int) -> np.ndarray:
    """Lorelei faces of `factors` at `size` px -> uint8 (N, size, size, 3). `seed` picks the style's free parts."""
    faces = [
        {
            "seed": f"{seed}-{i}",
            "smile": bool(factors["smile"][i]),
            "skin": _hex(SKIN_CARTOON[factors["skin"][i]]),
            "hair": _hex(HAIR_CARTOON[factors["hair_colour"][i]]),
            "glasses": bool(factors["glasses"][i]),
            "background": _hex(factors["background"][i]),
        }
        for i in range(len(factors["smile"]))
    ]
    side = int(round(size / CROP[2] * 2))  # avatar width: the crop at 2x the output, area-downsampled
    node = install()
    script = node / SCRIPT.name
    if not script.exists() or script.read_bytes() != SCRIPT.read_bytes():
        script.write_bytes(SCRIPT.read_bytes())  # run beside its node_modules so the imports resolve
    raw = subprocess.run(
        ["node", str(script), str(side)], input=json.dumps(faces).encode(), capture_output=True, check=True
    ).stdout
    rgba = np.frombuffer(raw, np.uint8).reshape(len(faces), side, side, 4)
    out = np.empty((len(faces), size, size, 3), np.uint8)
    for i, face in enumerate(rgba):
        square = _frame(face[..., :3], np.round(255 * factors["background"][i]).astype(np.uint8), side)
        out[i] = cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)
    return out


def _frame(avatar: np.ndarray, background: np.ndarray, side: int) -> np.ndarray:
    """The CROP square of an avatar rendered `side` px wide, filled with its background where it leaves the avatar."""
    left, top, crop = (int(round(v * side)) for v in CROP)
    square = np.empty((crop, crop, 3), np.uint8)
    square[:] = background
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + crop, len(avatar)), min(left + crop, avatar.shape[1])
    square[y0 - top : y1 - top, x0 - left : x1 - left] = avatar[y0:y1, x0:x1]
    return square
