"""Fitting and measuring the out-of-domain checks that vtl_models.domain runs: bank, threshold and ood_auroc.

The threshold is a quantile of the distance of procedural validation images: no real photo chooses it. Generated
images travel as users pass them on, PNG or JPEG: half of the bank, of the validation and of the test images go
through a JPEG round trip (quality 70-95), so a saved JPEG of a tab's own picture is not taken for a real photo.
`ood_auroc` (in each task's eval): held-out procedural test images against the real photos of `real_photos()`.
A task with a check gives its generator as `domain_images(split, n)` in its own `data` module. A tab whose inputs
come from several worlds (shape3d: procedural renders and furniture models) gives them in a `domain_data` module
instead, as `domain_worlds(split, n) -> {world: images}`: the bank holds every world's training images, the
threshold is the largest of the worlds' validation quantiles (each world has at most 1 - QUANTILE of its
validation images flagged, however unlike the others' its distances are), the test images are every world's.

A tab that serves one of several worlds with a check for each (smile) takes `--world W`: its sampler is called as
`domain_images(split, n, W)` and the check is weights/TASK/domain_W (vtl_models.domain.check_name).

    python -m vtl_models.domain fit TASK [--world W]     # writes weights/TASK/domain[_W].safetensors and its card
    python -m vtl_models.domain auroc TASK [--world W]   # the check's ood_auroc
"""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from vtl_models.domain import SIZE, DomainCheck, Features, K, check_name, knn_distance, shared_features
from vtl_models.hub import save_weights
from vtl_models.registry import TASKS

QUANTILE = 0.99  # of validation scores: about 1 in 100 procedural inputs is flagged, by construction
N_BANK, N_VAL, N_TEST = 600, 300, 300
OWN_PASS = {"multilabel": 224}  # a tab whose model lends its own trunk pass: the check is fitted at that pass's size
JPEG_QUALITY = (70, 96)  # [low, high) of the round trip half the procedural images go through
SAMPLER = "domain_images"  # what a task's data module names its sampler
WORLDS_MODULE, WORLDS = "domain_data", "domain_worlds"  # where a tab of several worlds gives them, and the name
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


def sampler(task: str) -> Callable[[str, int], np.ndarray]:
    """The task's `domain_images` (of its domain_data module where it has one, else of `data`): (split, n) -> n
    uint8 images of that split, as its generator makes them. Imported by name: this tool knows no task's generator."""
    found = getattr(_worlds_module(task), SAMPLER, None) or getattr(
        importlib.import_module(f"vtl_models.{task}.data"), SAMPLER, None
    )
    if found is None:
        raise SystemExit(f"{task} has no domain check: vtl_models.{task}.data defines no {SAMPLER}(split, n)")
    return found


def _worlds_module(task: str):
    """vtl_models.<task>.domain_data if it defines domain_worlds, else None."""
    try:
        module = importlib.import_module(f"vtl_models.{task}.{WORLDS_MODULE}")
    except ModuleNotFoundError as err:
        if err.name != f"vtl_models.{task}.{WORLDS_MODULE}":
            raise
        return None
    return module if hasattr(module, WORLDS) else None


def worlds(task: str, split: str, n: int, world: str | None = None) -> dict[str, np.ndarray]:
    """The task's images of `split` by world: {world: n images of `sampler(task)` in that world} for a check of one
    world, else its `domain_data.domain_worlds(split, n)` where it has one (its worlds' own counts), else
    {"procedural": n images of `sampler(task)`}."""
    if world is not None:
        return {world: sampler(task)(split, n, world)}
    module = _worlds_module(task)
    return getattr(module, WORLDS)(split, n) if module else {"procedural": sampler(task)(split, n)}


def world_notes(task: str, world: str | None = None) -> dict[str, str]:
    """What each world's images are, for the card (a domain_data module's WORLD_NOTES, or the data module's
    DOMAIN_NOTES for a check of one world)."""
    if world is not None:
        return {world: importlib.import_module(f"vtl_models.{task}.data").DOMAIN_NOTES[world]}
    module = _worlds_module(task)
    return getattr(module, "WORLD_NOTES", {}) if module else {"procedural": f"images of the {task} generator"}


def describe(sets: dict[str, np.ndarray], split: str) -> str:
    """ "300 procedural + 1332 furniture train images": what a split's worlds hold."""
    return " + ".join(f"{len(images)} {world}" for world, images in sets.items()) + f" {split} images"


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
    task: str,
    features: Features | None = None,
    prepare: Callable[[np.ndarray], np.ndarray] | None = None,
    world: str | None = None,
) -> float | None:
    """AUROC of the task's distance score: held-out test images of every world of the task (negatives) against real
    photos, each photo first made into what the tab's check scores (`prepare`: e.g. the face crop the smile model
    sees). `world`: the check of that world alone, on its test images."""
    from sklearn.metrics import roc_auc_score

    check = DomainCheck.load(task, check_name(world))
    photos = real_photos()
    if check is None or len(photos) < 25:
        return None
    features = features or shared_features("cpu", check.size)
    test = worlds(task, "test", N_TEST, world)
    inside = np.concatenate([check.distance(features(travelled(images, seed=2))) for images in test.values()])
    outside = check.distance(features([prepare(photo) for photo in photos] if prepare else photos))
    labels = np.r_[np.zeros(len(inside)), np.ones(len(outside))]
    return round(float(roc_auc_score(labels, np.r_[inside, outside])), 4)


def fit(task: str, world: str | None = None) -> Path:
    """Bank of training features and the validation quantile; writes weights/<task>/domain[_<world>].*."""
    size = OWN_PASS.get(task, SIZE)
    features = shared_features("cpu", size)
    train, val = worlds(task, "train", N_BANK, world), worlds(task, "val", N_VAL, world)
    bank = np.concatenate([features(travelled(images, seed=0)) for images in train.values()])
    quantiles = {
        name: float(np.quantile(knn_distance(features(travelled(images, seed=1)), bank), QUANTILE))
        for name, images in val.items()
    }
    threshold, notes = max(quantiles.values()), world_notes(task, world)
    trunk = "as the frozen trunk (vtl_models.backbones.Backbone)"
    of_worlds = " (the largest of each world's)" if len(val) > 1 else ""
    card = {
        "config": {"k": K, "features": "EfficientNet-Lite0 stride-32 map, mean and std over space, unit norm"},
        "input": {"size": size, "normalisation": trunk + (": the model's own pass" if task in OWN_PASS else "")},
        "threshold": threshold,
        "threshold_rule": f"{QUANTILE} quantile of the distance of the {describe(val, 'validation')}{of_worlds}",
        "validation_quantiles": {name: round(q, 4) for name, q in quantiles.items()},
        "jpeg": "every other bank, validation and test image of each world through a JPEG round trip, quality "
        f"{JPEG_QUALITY[0]}-{JPEG_QUALITY[1] - 1}",
        "training": {
            "command": f"python -m vtl_models.domain fit {task}" + (f" --world {world}" if world else ""),
            "n_bank": len(bank),
            "split": "train",
        },
        "trained_on": describe(train, "training") + ": " + "; ".join(f"{w}: {notes[w]}" for w in train),
    }
    return save_weights(task, check_name(world), {"bank": torch.from_numpy(bank)}, card, half=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vtl_models.domain", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("fit", "auroc"))
    parser.add_argument("task", choices=TASKS)
    parser.add_argument("--world", help="a check of its own for one world of the task (e.g. smile: lorelei)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(fit(args.task, args.world) if args.command == "fit" else ood_auroc(args.task, world=args.world))


if __name__ == "__main__":
    main()
