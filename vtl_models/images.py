"""Turn whatever a user uploads into a plain uint8 RGB array, or say clearly why not."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

if TYPE_CHECKING:  # torch is imported on first use: input checks run without it
    import torch

from vtl_models.common import InvalidInput

MAX_PIXELS = 40_000_000  # ~ a 6,300 x 6,300 photo; larger uploads are refused before decoding
MIN_SIDE = 16
# uint8 RGB -> [-1, 1], as a card's "input" records it: what the smile and shape3d models were trained on
SIGNED = {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "normalisation": "x / 127.5 - 1 (RGB uint8 -> [-1, 1])"}
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def _from_pil(image: Image.Image) -> np.ndarray:
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)  # animated GIF/WebP/APNG: the first frame
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        scale = 65535.0 if array.max() > 255 else 255.0
        image = Image.fromarray(np.clip(array / scale * 255.0, 0, 255).astype(np.uint8))
    elif image.mode == "F":
        return _from_array(np.asarray(image))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def _from_array(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
        array = np.moveaxis(array, 0, -1)  # channels-first
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise InvalidInput(f"expected an image, got an array of shape {array.shape}")
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        array = array.astype(np.float64)
        finite = array[np.isfinite(array)]
        if finite.size == 0:
            raise InvalidInput("the image holds no finite pixel values")
        array = np.nan_to_num(array, nan=0.0, posinf=finite.max(), neginf=finite.min())
        high = finite.max()
        scale = 255.0 if high <= 1.0 else (1.0 if high <= 255 else 255.0 / 65535.0)  # [0,1] floats, 8- or 16-bit
        array = np.clip(array * scale, 0, 255).astype(np.uint8)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    if array.shape[-1] == 4:
        alpha = array[..., 3:4].astype(np.float32) / 255.0
        array = (array[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(array)


def to_rgb(image) -> np.ndarray:
    """Any image a user may send (path, PIL image, numpy array of any dtype/mode) -> uint8 (H, W, 3).

    Raises:
        InvalidInput: nothing given, not an image, too small or too large.
    """
    if image is None:
        raise InvalidInput("no image was given: upload an image or pick an example")
    if isinstance(image, (str, Path)):
        try:
            with Image.open(image) as opened:
                opened.load()
                array = _from_pil(opened)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
            raise InvalidInput(
                f"this file is not an image that can be read ({type(err).__name__}); try a PNG or JPEG"
            ) from err
        except Image.DecompressionBombError as err:
            raise InvalidInput(f"the image is too large (over {MAX_PIXELS // 1_000_000} megapixels)") from err
    elif isinstance(image, Image.Image):
        array = _from_pil(image)
    else:
        array = _from_array(image)
    height, width = array.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise InvalidInput(f"the image is {width}x{height} pixels; give one at least {MIN_SIDE} pixels on each side")
    if height * width > MAX_PIXELS:
        raise InvalidInput(f"the image is too large (over {MAX_PIXELS // 1_000_000} megapixels)")
    return array


def resize(image: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Resize uint8 RGB to `size` (int: square; tuple: (width, height)) with antialiasing."""
    width, height = (size, size) if isinstance(size, int) else size
    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.LANCZOS))


def fit_longest_side(image: np.ndarray, longest: int) -> np.ndarray:
    """Downscale so the longer side is at most `longest` pixels (never upscale)."""
    height, width = image.shape[:2]
    if max(height, width) <= longest:
        return image
    scale = longest / max(height, width)
    return resize(image, (max(1, round(width * scale)), max(1, round(height * scale))))


def center_square(image: np.ndarray) -> np.ndarray:
    """The largest centred square crop."""
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top : top + side, left : left + side]


def _mean_std(card_input: dict, device) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    mean = torch.tensor(card_input["mean"], dtype=torch.float32, device=device).view(1, -1, 1, 1)
    std = torch.tensor(card_input["std"], dtype=torch.float32, device=device).view(1, -1, 1, 1)
    return mean, std


def to_tensor(images: np.ndarray, card_input: dict, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 RGB (H, W, 3) or (N, H, W, 3) -> float (N, 3, H', W') on `device`, as the card's "input" says: the one
    way every predictor turns pictures into what its model sees.

    Args:
        card_input: "mean" and "std" per channel: (x / 255 - mean) / std. If it has a "size" (int: square, or
            [height, width]) that the pictures do not have, they are resized to it on the float pixels (bilinear;
            antialiased unless "antialias" is false: how the model's training pictures were resized).
    """
    import torch

    batch = np.asarray(images)
    batch = batch[None] if batch.ndim == 3 else batch
    x = torch.from_numpy(np.array(batch, dtype=np.uint8, copy=True)).to(device).permute(0, 3, 1, 2).float() / 255.0
    size = card_input.get("size")
    size = (size, size) if isinstance(size, int) else size
    if size is not None and tuple(x.shape[-2:]) != tuple(size):
        x = torch.nn.functional.interpolate(
            x, size=tuple(size), mode="bilinear", antialias=card_input.get("antialias", True), align_corners=False
        )
    mean, std = _mean_std(card_input, x.device)
    return (x - mean) / std


def to_image(tensor: torch.Tensor, card_input: dict) -> np.ndarray:
    """The inverse of `to_tensor`: float (N, 3, H, W) on any device -> uint8 RGB (N, H, W, 3) NumPy."""
    from vtl_models.common import to_numpy

    mean, std = _mean_std(card_input, tensor.device)
    x = ((tensor * std + mean) * 255.0).clamp(0, 255).round().byte()
    return to_numpy(x.permute(0, 2, 3, 1))
