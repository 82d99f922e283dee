"""How far an input lies from the procedural domain a tab's model was trained on.

The default models know only generated images, and users send real photos. Each such tab keeps a small bank of its
training images' features in the frozen ImageNet EfficientNet-Lite0 (mean and spread of the stride-32 map: what the
picture's textures look like to an ImageNet network) and scores an input by its mean cosine distance to the K nearest
of them. The trunk sees SIZE-pixel squares, the scale of the tabs' own images (a third of the work at its native
224 px); the labels tab lends its own 224-px pass instead, so its check's card says 224. The threshold is a quantile
of the same score on procedural validation images: no real photo chooses it. Generated images travel as users pass
them on, PNG or JPEG: half of the bank, of the validation and of the test images go through a JPEG round trip
(quality 70-95), so a saved JPEG of a tab's own picture is not taken for a real photo.
`eval` measures `ood_auroc`: held-out procedural test images against the real photos of `real_photos()`.

    python -m vtl_models.domain fit TASK     # writes weights/TASK/domain.safetensors and its card
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch

from vtl_models.common import normalised_device, to_numpy
from vtl_models.hub import has_card, load_weights, save_weights

log = logging.getLogger("vtl.domain")
K = 5  # neighbours averaged: one near-duplicate training image does not make an input look in-domain
QUANTILE = 0.99  # of validation scores: about 1 in 100 procedural inputs is flagged, by construction
N_BANK, N_VAL, N_TEST = 600, 300, 300
SIZE = 128  # the trunk's input side for a check fitted here
OWN_PASS = {"multilabel": 224}  # a tab whose model lends its own trunk pass: the check is fitted at that pass's size
JPEG_QUALITY = (70, 96)  # [low, high) of the round trip half the procedural images go through
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
# Natural photographs only (no logos, charts, text or drawings): what a visitor uploads.
OPENCV_PHOTOS = (
    "aero1.jpg", "aero3.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg", "basketball1.png", "board.jpg",
    "box_in_scene.png", "building.jpg", "butterfly.jpg", "fruits.jpg", "graf1.png", "home.jpg", "leuvenA.jpg",
    "leuvenB.jpg", "left01.jpg", "licenseplate_motion.jpg", "messi5.jpg", "orange.jpg", "rubberwhale1.png",
    "smarties.png", "squirrel_cls.jpg", "stuff.jpg",
)  # fmt: skip
SKIMAGE_PHOTOS = ("astronaut", "chelsea", "coffee", "camera", "rocket")


def real_photos() -> list[np.ndarray]:
    """Real photographs from packages (Debian opencv-doc, scikit-image), uint8 RGB; those that are installed."""
    import cv2
    import skimage.data

    photos = []
    for name in OPENCV_PHOTOS:
        image = cv2.imread(str(OPENCV_DATA / name), cv2.IMREAD_COLOR)
        if image is not None:
            photos.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    for name in SKIMAGE_PHOTOS:
        image = getattr(skimage.data, name)()
        photos.append(np.repeat(image[..., None], 3, -1) if image.ndim == 2 else image[..., :3])
    return photos


class Features:
    """Pooled stride-32 features of the frozen ImageNet trunk: (N, 640) unit vectors (mean and std over space)."""

    def __init__(self, device: torch.device | str = "cpu", backbone: torch.nn.Module | None = None, size: int = SIZE):
        from vtl_models.multilabel.data import Backbone  # the project's frozen trunk, shared with the labels tab

        self.device = torch.device(device)
        self.backbone = backbone or Backbone().to(self.device)
        self.size = size

    @staticmethod
    def pool(f32: torch.Tensor) -> np.ndarray:
        """The trunk's stride-32 maps (B, C, h, w) -> (B, 2C) unit vectors of their spatial mean and std."""
        flat = f32.flatten(2)
        return to_numpy(torch.nn.functional.normalize(torch.cat([flat.mean(2), flat.std(2)], 1), dim=1))

    @torch.inference_mode()
    def __call__(self, images: list[np.ndarray] | np.ndarray, batch: int = 32) -> np.ndarray:
        from vtl_models.backbones import INPUT
        from vtl_models.images import resize, to_tensor

        square = [resize(np.ascontiguousarray(im), self.size) for im in images]
        trunk_input = {**INPUT, "size": self.size}
        out = []
        for start in range(0, len(square), batch):
            x = to_tensor(np.stack(square[start : start + batch]), trunk_input, self.device)
            out.append(self.pool(self.backbone(x)[1]))
        return np.concatenate(out)


@cache
def _trunk(device: torch.device):
    from vtl_models.multilabel.data import Backbone

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


@dataclass
class DomainCheck:
    """A tab's training domain: the feature bank and the validation-chosen threshold."""

    bank: np.ndarray
    threshold: float
    size: int  # the trunk's input side the bank was computed at

    def distance(self, features: np.ndarray) -> np.ndarray:
        return knn_distance(features, self.bank)

    @classmethod
    def load(cls, task: str) -> DomainCheck | None:
        """The task's committed check, or None if it has none."""
        if not has_card(task, "domain"):
            return None
        state, card = load_weights(task, "domain")
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

    def __init__(self, task: str, device: torch.device | str = "cpu", features: Features | None = None):
        self.check = DomainCheck.load(task)
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


def samplers() -> dict[str, Callable[[str, int], np.ndarray]]:
    """Per task: (split, n) -> n procedural uint8 images of that split, as its generator makes them."""

    def smile(split: str, n: int) -> np.ndarray:
        from vtl_models.smile.data import make_batch

        return np.concatenate([make_batch(d, n // 2, 32, split, 0)[0] for d in ("photo", "cartoon")])

    def multilabel(split: str, n: int) -> np.ndarray:
        from vtl_models.multilabel.data import TEST_SEED, TRAIN_SEED, VAL_SEED, render_many

        first = {"train": TRAIN_SEED, "val": VAL_SEED, "test": TEST_SEED}[split]
        return render_many(range(first, first + n))[0]

    def shape3d(split: str, n: int) -> np.ndarray:
        from vtl_models.shape3d.data import render_split

        return render_split(split, n, 1).images

    def reid(split: str, n: int) -> np.ndarray:
        from vtl_models.reid.data import SPLITS, render_rows, split_index

        # both camera networks, as ARN trains on them; the street source has no test identities
        domains = [d for d in ("source", "target") if (d, split) in SPLITS]
        crops = []
        for domain, part in zip(domains, np.array_split(np.arange(n), len(domains)), strict=True):
            rows = split_index(domain, split, 1)
            chosen = np.sort(np.random.default_rng(0).choice(len(rows), len(part), replace=False))
            crops.append(render_rows(domain, rows[chosen], workers=1))
        return np.concatenate(crops)

    def video(split: str, n: int) -> np.ndarray:
        from vtl_models.hub import read_card
        from vtl_models.video.data import random_real_clips, shape_batch, test_real_clips

        # one frame a clip, in the default model's training mix: Shape Motion and its share of vtest.avi clips
        # (validation and test share the video's held-out end: validation its first half, test its second)
        rng = np.random.default_rng({"train": 0, "val": 1, "test": 2}[split])
        n_real = int(n * read_card("video").raw["training"]["real_share"])
        shapes = shape_batch(split, 0, n - n_real, frames=1)[:, 0]
        if split == "train":
            clips = random_real_clips(rng, n_real, 32, 1)
            real = None if clips is None else clips[:, 0]
        else:
            held_out = test_real_clips(32, 1, "vtest.avi", every=1, validation=True)
            half = None if held_out is None else np.array_split(held_out[:, 0], 2)[split == "test"]
            real = None if half is None else half[np.sort(rng.choice(len(half), min(n_real, len(half)), False))]
        return shapes if real is None else np.concatenate([shapes, real])

    return {"smile": smile, "multilabel": multilabel, "shape3d": shape3d, "reid": reid, "video": video}


def travelled(images: np.ndarray | list[np.ndarray], seed: int) -> list[np.ndarray]:
    """Every other image through a JPEG round trip at a quality drawn in JPEG_QUALITY (OpenCV's codec)."""
    import cv2

    qualities = np.random.default_rng(seed).integers(*JPEG_QUALITY, len(images))
    out = []
    for n, (image, quality) in enumerate(zip(images, qualities, strict=True)):
        if n % 2:
            _, data = cv2.imencode(
                ".jpg", np.ascontiguousarray(image[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
            )
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1]
        out.append(image)
    return out


def ood_auroc(
    task: str, features: Features | None = None, prepare: Callable[[np.ndarray], np.ndarray] | None = None
) -> float | None:
    """AUROC of the task's distance score: held-out procedural test images (negatives) against real photos, each
    photo first made into what the tab's check scores (`prepare`: e.g. the face crop the smile model sees)."""
    from sklearn.metrics import roc_auc_score

    check = DomainCheck.load(task)
    photos = real_photos()
    if check is None or len(photos) < 25:
        return None
    features = features or shared_features("cpu", check.size)
    inside = check.distance(features(travelled(samplers()[task]("test", N_TEST), seed=2)))
    outside = check.distance(features([prepare(photo) for photo in photos] if prepare else photos))
    labels = np.r_[np.zeros(len(inside)), np.ones(len(outside))]
    return round(float(roc_auc_score(labels, np.r_[inside, outside])), 4)


def fit(task: str) -> Path:
    """Bank of training features and the validation quantile; writes weights/<task>/domain.*."""
    size = OWN_PASS.get(task, SIZE)
    features = shared_features("cpu", size)
    sample = samplers()[task]
    bank = features(travelled(sample("train", N_BANK), seed=0))
    val = knn_distance(features(travelled(sample("val", N_VAL), seed=1)), bank)
    threshold = float(np.quantile(val, QUANTILE))
    trunk = "as the frozen trunk (vtl_models.multilabel.data.Backbone)"
    card = {
        "config": {"k": K, "features": "EfficientNet-Lite0 stride-32 map, mean and std over space, unit norm"},
        "input": {"size": size, "normalisation": trunk + (": the model's own pass" if task in OWN_PASS else "")},
        "threshold": threshold,
        "threshold_rule": f"{QUANTILE} quantile of the distance of {N_VAL} procedural validation images",
        "jpeg": "every other bank, validation and test image through a JPEG round trip, quality "
        f"{JPEG_QUALITY[0]}-{JPEG_QUALITY[1] - 1}",
        "training": {"command": f"python -m vtl_models.domain fit {task}", "n_bank": N_BANK, "split": "train"},
        "trained_on": f"{N_BANK} procedural training images of the {task} generator",
    }
    return save_weights(task, "domain", {"bank": torch.from_numpy(bank)}, card, half=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vtl_models.domain", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("fit", "auroc"))
    parser.add_argument("task", choices=sorted(samplers()))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(fit(args.task) if args.command == "fit" else ood_auroc(args.task))


if __name__ == "__main__":
    main()
