"""Small pieces every task shares: device choice, seeding, input errors."""

from __future__ import annotations

import hashlib
import os
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:
    import torch

T = TypeVar("T")


class InvalidInput(ValueError):
    """A user input the models cannot use; its message tells the user what to do."""


def per_thread(make: Callable[[], T]) -> Callable[[], T]:
    """`make()`'s object for the calling thread, made on that thread's first call. For OpenCV detectors, whose
    detectMultiScale is not thread-safe: concurrent requests each use their own, and no lock serialises them."""
    local = threading.local()

    def get() -> T:
        if not hasattr(local, "value"):
            local.value = make()
        return local.value

    get.__doc__ = make.__doc__
    return get


class PictureCache:
    """What a predictor computes from a picture alone, kept for the last `size` pictures (least recently used goes).

    A visitor who scores the same photo against other labels, or decodes it with another beam width, waits only for
    the part that depends on those. Keyed by the pixels' hash (blake2b, ~1 ms for a 640-px photo), so a picture is
    the same whatever file it came in; the value is shared, so callers must not change it."""

    def __init__(self, size: int = 16):
        self.size = size
        self._items: OrderedDict[bytes, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, picture: np.ndarray, make: Callable[[], T], option: object = None) -> T:
        """The cached value for `picture` (and `option`, a setting the value also depends on), else `make()` (then
        cached; two threads may both make it)."""
        key = hashlib.blake2b(np.ascontiguousarray(picture).tobytes(), digest_size=16)
        key.update(repr((picture.shape, picture.dtype.str, option)).encode())
        digest = key.digest()
        with self._lock:
            if digest in self._items:
                self._items.move_to_end(digest)
                return self._items[digest]
        value = make()
        with self._lock:
            self._items[digest] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def on_zero_gpu() -> bool:
    """True on a Hugging Face ZeroGPU Space, whose environment says so (a GPU is lent per call, in spaces.GPU)."""
    return os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "true")


def pick_device(name: str = "auto") -> torch.device:
    """The device to run on, index spelled out: `name` is "cpu", "cuda" or "auto" (CUDA when a GPU is there, or lent
    per call on ZeroGPU; else the CPU)."""
    import torch  # imported on first use: the app starts without torch

    name = name.lower()
    if name == "auto" and on_zero_gpu():
        return normalised_device("cuda")  # the spaces package makes CUDA usable inside each spaces.GPU call
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for, but no CUDA device is available; use --device cpu")
    return normalised_device(name)


def normalised_device(device: torch.device | str) -> torch.device:
    """`device` with its index spelled out ("cuda" -> "cuda:0"): a cache keyed on it holds one entry per device."""
    import torch

    device = torch.device(device)
    if device.type == "cpu" or device.index is not None:
        return device
    # "cuda" means the current CUDA device; asking for it would initialise CUDA (outside spaces.GPU on ZeroGPU)
    index = torch.cuda.current_device() if device.type == "cuda" and torch.cuda.is_initialized() else 0
    return torch.device(device.type, index)


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """The one way a tensor leaves its device: detached, on the CPU, as a NumPy array."""
    return tensor.detach().cpu().numpy()


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so a run can be repeated."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
