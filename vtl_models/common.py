"""Small pieces every task shares: device choice, seeding, input errors."""

from __future__ import annotations

import os
import random
import threading
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
