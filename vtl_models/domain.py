"""How far an input lies from the procedural domain a tab's model was trained on (the runtime check).

The default models know only generated images, and users send real photos. Each such tab keeps a small bank of its
training images' features in the frozen ImageNet EfficientNet-Lite0 (mean and spread of the stride-32 map: what the
picture's textures look like to an ImageNet network) and scores an input by its mean cosine distance to the K nearest
of them. The trunk sees SIZE-pixel squares, the scale of the tabs' own images (a third of the work at its native
224 px); the labels tab lends its own 224-px pass instead, so its check's card says 224. The bank, its threshold and
`ood_auroc` come from the fitting tool, vtl_models.domain_fit:

    python -m vtl_models.domain fit TASK     # writes weights/TASK/domain.safetensors and its card

A tab that serves one of several worlds (smile: procedural or Lorelei cartoons) keeps one check a world, named by
`check_name`, and its predictor loads the one of the world its weights were trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import torch

from vtl_models.common import normalised_device, to_numpy
from vtl_models.hub import has_card, load_weights

K = 5  # neighbours averaged: one near-duplicate training image does not make an input look in-domain
SIZE = 128  # the trunk's input side for a check fitted here


class Features:
    """Pooled stride-32 features of the frozen ImageNet trunk: (N, 640) unit vectors (mean and std over space)."""

    def __init__(self, device: torch.device | str = "cpu", backbone: torch.nn.Module | None = None, size: int = SIZE):
        from vtl_models.backbones import INPUT, Backbone  # the project's frozen trunk, shared with the labels tab

        self.device = torch.device(device)
        self.backbone = backbone or Backbone().to(self.device)
        self.size = size
        self.input = {**INPUT, "size": size}  # the trunk's normalisation, at this check's size

    @staticmethod
    def pool(f32: torch.Tensor) -> np.ndarray:
        """The trunk's stride-32 maps (B, C, h, w) -> (B, 2C) unit vectors of their spatial mean and std."""
        flat = f32.flatten(2)
        return to_numpy(torch.nn.functional.normalize(torch.cat([flat.mean(2), flat.std(2)], 1), dim=1))

    @torch.inference_mode()
    def __call__(self, images: list[np.ndarray] | np.ndarray, batch: int = 32) -> np.ndarray:
        from vtl_models.images import resize, to_tensor

        square = [resize(np.ascontiguousarray(im), self.size) for im in images]
        out = []
        for start in range(0, len(square), batch):
            x = to_tensor(np.stack(square[start : start + batch]), self.input, self.device)
            out.append(self.pool(self.backbone(x)[1]))
        return np.concatenate(out)


@cache
def _trunk(device: torch.device):
    from vtl_models.backbones import Backbone

    return Backbone().to(device)


def shared_features(device: torch.device | str = "cpu", size: int = SIZE) -> Features:
    """Features on the one frozen trunk per device ("cuda" and "cuda:0" are one; at any input size) for the domain
    checks of every tab that has no trunk of its own to lend."""
    device = normalised_device(device)
    return Features(device, _trunk(device), size)


def knn_distance(features: np.ndarray, bank: np.ndarray, k: int = K) -> np.ndarray:
    """Mean cosine distance of each row of `features` to its k nearest rows of `bank` (both unit vectors)."""
    distance = 1.0 - features @ bank.T
    return np.sort(distance, axis=1)[:, :k].mean(1)


def check_name(world: str | None = None) -> str:
    """The weights name of a task's check: `domain`, or `domain_<world>` for a world with a check of its own."""
    return "domain" if world is None else f"domain_{world}"


@dataclass
class DomainCheck:
    """A tab's training domain: the feature bank and the validation-chosen threshold."""

    bank: np.ndarray
    threshold: float
    size: int  # the trunk's input side the bank was computed at

    def distance(self, features: np.ndarray) -> np.ndarray:
        return knn_distance(features, self.bank)

    @classmethod
    def load(cls, task: str, name: str = "domain") -> DomainCheck | None:
        """The task's committed check `name` (see check_name), or None if it has none."""
        if not has_card(task, name):
            return None
        state, card = load_weights(task, name)
        return cls(to_numpy(state["bank"]).astype(np.float32), float(card.raw["threshold"]), card.raw["input"]["size"])


@dataclass
class Verdict:
    """Where one input lies: its distance to the training domain, the threshold, and whether it is inside."""

    distance: float
    threshold: float

    @property
    def inside(self) -> bool:
        return self.distance <= self.threshold


class DomainScorer:
    """A predictor's domain check: one image in, a Verdict out (None when the task has no committed check)."""

    def __init__(
        self, task: str, device: torch.device | str = "cpu", features: Features | None = None, name: str = "domain"
    ):
        self.check = DomainCheck.load(task, name)
        if self.check and features and features.size != self.check.size:
            raise ValueError(f"the {task} check's bank is at {self.check.size} px, these features at {features.size}")
        self.features = (features or shared_features(device, self.check.size)) if self.check else None

    def __call__(self, image: np.ndarray) -> Verdict | None:
        return None if self.check is None else self.from_pooled(self.features([image]))

    def mean(self, images: np.ndarray | list[np.ndarray]) -> Verdict | None:
        """One verdict for several images of one input (a clip's frames): their mean distance."""
        return (
            None
            if self.check is None
            else Verdict(float(self.check.distance(self.features(images)).mean()), self.check.threshold)
        )

    def from_pooled(self, pooled: np.ndarray) -> Verdict | None:
        """The verdict from features already pooled by `Features.pool` (a predictor that ran the trunk anyway)."""
        return None if self.check is None else Verdict(float(self.check.distance(pooled)[0]), self.check.threshold)


if __name__ == "__main__":  # the command the cards record; the tool itself is vtl_models.domain_fit
    from vtl_models.domain_fit import main

    main()
