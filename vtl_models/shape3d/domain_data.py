"""What the tab's out-of-domain check is fitted and measured on: procedural renders and, when Debian's
sweethome3d-furniture is here, views of its furniture models (vtl_models.domain_fit's `domain_worlds`).

The tab serves a procedural model until a furniture one replaces it, and shows examples of either world: both must
pass the check and real photos must not. So the bank holds procedural training renders and views of the furniture
TRAIN models; the threshold is the larger of the two worlds' validation quantiles (procedural validation renders,
views of the VAL models); `ood_auroc` and the flag rates read procedural test renders and views of the TEST models
(furniture_split.json), all made as the training views are (furniture_views: own textures; plain, package-texture or
generated backgrounds). Without the package and its view caches (CI) there is one world, procedural: CI only loads
the committed bank, whose card says what it was fitted on.

Bank size, chosen on validation only (furniture validation views against 11 real photos that are not the eval's:
opencv-doc's pca_test1, ela_original, left and chicky_512, scikit-image's coins, moon, grass, gravel and brick,
the reid and video tabs' vtest and tree examples): 300 procedural renders (their validation quantile stays far
below the furniture one) and 12 views of each furniture training model (1,332). Furniture banks of 300, 1,332 and
2,664 views (3, 12, 24 a model) gave a validation AUROC of 0.9898, 0.9935 and 0.9948 and flagged 9 of those 11
photos each at their thresholds: 12 views a model keep most of the gain at half the bytes of 24 (weights/ is near
its 150 MB budget).

    python -m vtl_models.domain fit shape3d       # the bank and threshold
    python -m vtl_models.shape3d.domain_data      # ood_auroc and the share of each world's test renders flagged
"""

from __future__ import annotations

import argparse
import json
import logging

import numpy as np

from vtl_models.shape3d.data import IMAGE_SIZE, render_split

log = logging.getLogger(__name__)
PROCEDURAL = 300  # procedural renders of each split (train: the bank's; val: the threshold's; test: the eval's)
FURNITURE_VIEWS = {"train": 12, "val": 24, "test": 24}  # views of each furniture model of the split
WORLD_NOTES = {
    "procedural": f"renders of the shape3d generator (data.render_split, one view a shape, {IMAGE_SIZE} px)",
    "furniture": "views of the furniture models of the split in vtl_models/shape3d/furniture_split.json (Debian "
    f"sweethome3d-furniture; furniture_views, {IMAGE_SIZE} px), the first views of each model: "
    + ", ".join(f"{views} a model in {split}" for split, views in FURNITURE_VIEWS.items()),
}


def furniture_present() -> bool:
    """Whether furniture views can be had: the unpacked package (to render them) or a view cache of every split."""
    from vtl_models.shape3d.evaluate_furniture import cached_view_counts
    from vtl_models.shape3d.furniture import DATA_DIR

    unpacked = (DATA_DIR / "u" / "Scopia" / "PluginFurnitureCatalog.properties").exists()
    return unpacked or all(
        any(v >= views for v in cached_view_counts(split)) for split, views in FURNITURE_VIEWS.items()
    )


def furniture_images(split: str, views: int) -> np.ndarray:
    """The first `views` views of each furniture model of `split`, model by model (a model's views are drawn in
    sequence from its own seed: sliced from a larger cache of the split when one exists, else rendered, cached)."""
    from vtl_models.shape3d.evaluate_furniture import cached_view_counts
    from vtl_models.shape3d.furniture_views import furniture_split

    larger = sorted(v for v in cached_view_counts(split) if v >= views)
    batch = furniture_split(split, larger[0] if larger else views)
    per_model = len(batch.images) // len(batch.voxels)
    return batch.images[(np.arange(len(batch.voxels))[:, None] * per_model + np.arange(views)).ravel()]


def domain_worlds(split: str, n: int) -> dict[str, np.ndarray]:
    """{world: uint8 (N, 64, 64, 3) renders of `split`}: PROCEDURAL renders and FURNITURE_VIEWS views of each
    furniture model; without the furniture package, n procedural renders (domain_fit's count) alone."""
    if not furniture_present():
        log.warning("no sweethome3d-furniture views (python -m vtl_models.shape3d.furniture): procedural only")
        return {"procedural": render_split(split, n, 1).images}
    return {
        "procedural": render_split(split, PROCEDURAL, 1).images,
        "furniture": furniture_images(split, FURNITURE_VIEWS[split]),
    }


def domain_images(split: str, n: int) -> np.ndarray:
    """n renders of `split` (the check's plain sampler, for tests): half procedural, half furniture views spread
    evenly over the split's models (all procedural without the package)."""
    if not furniture_present():
        return render_split(split, n, 1).images
    furniture = furniture_images(split, FURNITURE_VIEWS[split])
    spread = np.linspace(0, len(furniture) - 1, n // 2).round().astype(int)
    return np.concatenate([render_split(split, n - n // 2, 1).images, furniture[spread]])


def tab_view(photo: np.ndarray) -> np.ndarray:
    """A picture as the tab's check scores it: framed (plain background found and cropped to the object, else a
    centred square) and resized to the model's input, as Shape3DPredictor.look does."""
    from vtl_models.images import resize
    from vtl_models.shape3d.predictor import frame_object

    return resize(frame_object(photo, remove_background=True)[0], IMAGE_SIZE)


def measure() -> dict:
    """The committed check on the held-out test renders of each world (the share flagged) and on the real photos
    (the share flagged; ood_auroc as the eval computes it, the photos framed as the tab frames them, and as is)."""
    from vtl_models.domain import DomainCheck, shared_features
    from vtl_models.domain_fit import N_TEST, ood_auroc, real_photos, travelled

    check = DomainCheck.load("shape3d")
    features = shared_features("cpu", check.size)
    photos = real_photos()
    sets = {world: travelled(images, seed=2) for world, images in domain_worlds("test", N_TEST).items()}
    sets |= {"real_photos_framed": [tab_view(p) for p in photos], "real_photos_as_is": photos}
    flagged = {}
    for name, images in sets.items():
        outside = check.distance(features(images)) > check.threshold
        flagged[name] = {"n": len(images), "flagged": int(outside.sum()), "share": round(float(outside.mean()), 4)}
    return {
        "threshold": check.threshold,
        "ood_auroc": ood_auroc("shape3d", prepare=tab_view),
        "ood_auroc_photos_as_is": ood_auroc("shape3d"),
        "test_flagged": flagged,
    }


def main(argv: list[str] | None = None) -> None:
    """CLI: print `measure()` as JSON; --update-card writes it into weights/shape3d/domain.json as `measured`."""
    parser = argparse.ArgumentParser(prog="python -m vtl_models.shape3d.domain_data", description="measure the check")
    parser.add_argument("--update-card", action="store_true", help="write the figures into the check's card")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    figures = measure()
    if args.update_card:
        from vtl_models.hub import read_card, update_card

        if figures["threshold"] != read_card("shape3d", "domain").raw["threshold"]:
            raise SystemExit("the card changed while measuring")
        command = "python -m vtl_models.shape3d.domain_data --update-card"
        update_card("shape3d", "domain", measured={"command": command, **figures})
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
