"""`python -m vtl_models eval shape3d --json`: voxel IoU per category, pose accuracy, baselines, OOD, and the claims.

Claims (vtl_models/claims.py, IoU per test item, paired over the same views): self_consistency_vs_none (semi against
semi_noproj, the same run with projection weight 0) and semi_vs_sup10 (semi against the 3D-labelled 10% alone),
over every training seed both sides have (<name>, <name>_seed1, ...); items are the test objects (an object's views
averaged), test items and seeds resampled as claims.py says.

Weights trained on furniture (the card's training.data) are read on the furniture test models instead, against
baselines from the training models, with the furniture runs' claims (evaluate_furniture.py).

The test set (600 objects, 100 per category, one view each) is regenerated from the test seeds. Baselines run on
the same views: the mean training grid of the true category (threshold fitted on training shapes) and the
training shape whose image feature (this model's encoder) is nearest. Out-of-distribution: renders of the real
PLY meshes from Debian's opencv-doc (bunny, parasaurolophus).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np
import torch
import trimesh
from scipy import ndimage

from vtl_models.claims import decide
from vtl_models.domain_fit import ood_auroc
from vtl_models.hub import has_card, read_card
from vtl_models.images import to_tensor
from vtl_models.render import Light, Renderer
from vtl_models.shape3d import evaluate_furniture
from vtl_models.shape3d.data import DATA_DIR, IMAGE_SIZE, RENDER_SIZE, ViewBatch, camera_for, downsample, render_split
from vtl_models.shape3d.domain_data import tab_view
from vtl_models.shape3d.model import ShapeNet3D, azimuth_error
from vtl_models.shape3d.predictor import load_model
from vtl_models.shape3d.shapes import CATEGORIES, EXTENT, GRID

log = logging.getLogger("vtl.shape3d.eval")
N_TEST_SHAPES = 600
N_REFERENCE_SHAPES = 3000  # training shapes the baselines may use (first view of each)
OOD_MESHES = {
    "bunny": Path("/usr/share/doc/opencv-doc/examples/viz/data/bunny.ply"),
    "parasaurolophus": Path("/usr/share/doc/opencv-doc/examples/surface_matching/data/parasaurolophus_6700.ply"),
}
OOD_UPRIGHT = {"parasaurolophus": ("z", 135.0)}  # the scan is stored lying on its back; stand it on its feet (y up)
OOD_TURNS = 24  # the real meshes have no canonical front: IoU is the best over this many turns about y
OOD_VIEWS = 12
POSE_TOLERANCE = 30.0
MASK_THRESHOLD = 0.5  # a silhouette pixel is in when its probability passes one half (no fitted threshold)
RUNS = ("semi", "semi_noproj", "sup10", "supervised")  # the trainings compared in metrics.<run>_iou
CLAIMS = {"self_consistency_vs_none": ("semi", "semi_noproj"), "semi_vs_sup10": ("semi", "sup10")}
SETTINGS = ((RUNS, CLAIMS), (evaluate_furniture.RUNS, evaluate_furniture.CLAIMS))  # procedural, furniture


@torch.inference_mode()
def predict(model: ShapeNet3D, card_input: dict, images: np.ndarray, batch: int = 100) -> dict[str, np.ndarray]:
    """Run the model over uint8 views; numpy outputs (voxel probabilities, azimuth degrees, elevation, latent)."""
    outs: dict[str, list] = {"voxels": [], "azimuth": [], "elevation": [], "latent": [], "mask": []}
    width = 360.0 / model.config.azimuth_bins
    for start in range(0, len(images), batch):
        out = model(to_tensor(images[start : start + batch], card_input))
        outs["voxels"].append(torch.sigmoid(out["voxel_logits"]).numpy())
        outs["azimuth"].append(out["azimuth_logits"].argmax(1).numpy() * width)
        outs["elevation"].append(out["elevation"].numpy())
        outs["latent"].append(torch.nn.functional.normalize(out["latent"], dim=1).numpy())
        outs["mask"].append(torch.sigmoid(out["mask_logits"]).numpy())
    return {k: np.concatenate(v) for k, v in outs.items()}


def voxel_iou(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Per-item IoU of boolean grids (N, G, G, G)."""
    inter = (pred & true).reshape(len(pred), -1).sum(1)
    union = (pred | true).reshape(len(pred), -1).sum(1)
    return inter / np.maximum(union, 1)


def per_category(ious: np.ndarray, category: np.ndarray) -> dict[str, float]:
    """mean_iou over categories and iou_<category> for each."""
    result = {f"iou_{c}": round(float(ious[category == i].mean()), 4) for i, c in enumerate(CATEGORIES)}
    return {"mean_iou": round(float(np.mean(list(result.values()))), 4), **result}


def reference_views() -> ViewBatch:
    """First view of the first N_REFERENCE_SHAPES training shapes (from the training cache when present)."""
    for path in sorted(DATA_DIR.glob("train_*x*.npz")):
        shapes, views = map(int, path.stem.split("_")[1].split("x"))
        if shapes >= N_REFERENCE_SHAPES:
            with np.load(path) as data:
                first = np.arange(N_REFERENCE_SHAPES) * views
                return ViewBatch(
                    images=data["images"][first],
                    masks=data["masks"][first],
                    azimuth=data["azimuth"][first],
                    elevation=data["elevation"][first],
                    shape_index=np.arange(N_REFERENCE_SHAPES),
                    voxels=data["voxels"][:N_REFERENCE_SHAPES],
                    category=data["category"][:N_REFERENCE_SHAPES],
                    symmetry=data["symmetry"][:N_REFERENCE_SHAPES],
                )
    return render_split("train", N_REFERENCE_SHAPES, 1)


def category_mean_baseline(reference: ViewBatch, test: ViewBatch) -> np.ndarray:
    """Predicted grids: the mean training grid of the (true) category, at the threshold best on training shapes."""
    means = np.stack([reference.voxels[reference.category == i].mean(0) for i in range(len(CATEGORIES))])
    best = max(
        np.arange(0.1, 0.7, 0.05),
        key=lambda t: voxel_iou(means[reference.category] > t, reference.voxels).mean(),
    )
    return means[test.category[test.shape_index]] > best  # one grid per test view


def normalised_mesh(path: Path, upright: tuple[str, float] | None = None) -> trimesh.Trimesh:
    """A real mesh (turned upright) centred and scaled like the procedural objects (longest side EXTENT)."""
    mesh = trimesh.load(path, force="mesh")
    if upright:
        axis = {"x": [1, 0, 0], "y": [0, 1, 0], "z": [0, 0, 1]}[upright[0]]
        mesh.apply_transform(trimesh.transformations.rotation_matrix(np.radians(upright[1]), axis))
    lo, hi = mesh.bounds
    mesh.apply_translation(-(lo + hi) / 2)
    mesh.apply_scale(EXTENT / (hi - lo).max())
    return mesh


def voxelize_surface(mesh: trimesh.Trimesh) -> np.ndarray:
    """32^3 [z, y, x] occupancy of a possibly open mesh: dense surface samples, closed up, holes filled."""
    points, _ = trimesh.sample.sample_surface(mesh, 200_000, seed=0)
    index = np.clip(np.floor((points + 0.5) * GRID).astype(int), 0, GRID - 1)
    grid = np.zeros((GRID, GRID, GRID), bool)
    grid[index[:, 2], index[:, 1], index[:, 0]] = True
    grid = ndimage.binary_closing(grid, iterations=1, border_value=0) | grid
    return ndimage.binary_fill_holes(grid)


def ood_iou(model: ShapeNet3D, card_input: dict, renderer: Renderer, threshold: float) -> dict[str, float | None]:
    """Mean IoU over OOD_VIEWS renders of each opencv-doc mesh; None when the package is not installed."""
    result: dict[str, float | None] = {}
    rng = np.random.default_rng(123)
    for name, path in OOD_MESHES.items():
        if not path.exists():
            log.warning("%s missing (apt-get install opencv-doc): ood_iou_%s is null", path, name)
            result[f"ood_iou_{name}"] = None
            continue
        mesh = normalised_mesh(path, OOD_UPRIGHT.get(name))
        true = voxelize_surface(mesh)
        images = []
        for view in range(OOD_VIEWS):
            camera = camera_for(view * 360.0 / OOD_VIEWS + rng.uniform(0, 30), rng.uniform(0, 40))
            colour = rng.uniform(0.3, 0.9, 3)
            rgb, _ = renderer.render(mesh.vertices, mesh.faces, colour, camera, Light(), rng.integers(0, 256, 3))
            images.append(np.clip(downsample(rgb.astype(np.float32), IMAGE_SIZE) + 0.5, 0, 255).astype(np.uint8))
        pred = predict(model, card_input, np.stack(images))["voxels"]
        best = np.zeros(len(pred))
        for turn in range(OOD_TURNS):  # turn the prediction about y (axes z, x of the [z, y, x] grid)
            turned = ndimage.rotate(pred, 360.0 * turn / OOD_TURNS, axes=(1, 3), reshape=False, order=1) > threshold
            best = np.maximum(best, voxel_iou(turned, np.repeat(true[None], len(pred), 0)))
        result[f"ood_iou_{name}"] = round(float(best.mean()), 4)
    return result


def pose_accuracy(azimuth: np.ndarray, test: ViewBatch) -> float:
    """Share of views (round objects excluded) whose azimuth is within POSE_TOLERANCE modulo the symmetry."""
    error = azimuth_error(
        torch.from_numpy(azimuth), torch.from_numpy(test.azimuth), torch.from_numpy(symmetry := view_symmetry(test))
    ).numpy()
    return round(float((error[symmetry > 0] <= POSE_TOLERANCE).mean()), 4)


def view_symmetry(test: ViewBatch) -> np.ndarray:
    """Each test view's object's rotational symmetry (0: round); ViewBatch holds it per object."""
    return test.symmetry[test.shape_index]


def run_outputs(name: str, test: ViewBatch) -> tuple[np.ndarray, float]:
    """(IoU per test view at the run's validation-fitted threshold, pose accuracy) of weights/shape3d/<name>."""
    model, card = load_model(name)
    out = predict(model, card.raw["input"], test.images)
    ious = voxel_iou(out["voxels"] > float(card.raw["threshold"]), test.voxels[test.shape_index])
    return ious, pose_accuracy(out["azimuth"], test)


def seed_suffixes(*names: str) -> list[str]:
    """Weight-name suffixes of the training seeds every one of `names` has: "" (seed 0), "_seed1", ..."""
    out, seed = [""], 1
    while all(has_card("shape3d", f"{name}_seed{seed}") for name in names):
        out.append(f"_seed{seed}")
        seed += 1
    return out


def per_object(ious: np.ndarray, test: ViewBatch) -> np.ndarray:
    """Mean IoU of each test object over its views (the claims' items: one object's views are not independent)."""
    return np.bincount(test.shape_index, ious, len(test.voxels)) / np.bincount(test.shape_index, None, len(test.voxels))


def claims(test: ViewBatch, seed0: dict[str, np.ndarray], pairs: dict | None = None, prefix: str = "") -> dict:
    """The claims entries (None when a side has no weights): mean IoU over the test objects, paired across runs.

    `seed0` holds IoU per test view of each seed-0 run by mode; runs are weights/shape3d/<prefix><mode><suffix>."""
    result: dict = {}
    cache = {prefix + mode: ious for mode, ious in seed0.items()}
    for claim, (ours, theirs) in (pairs or CLAIMS).items():
        if ours not in seed0 or theirs not in seed0:
            result[claim] = None
            continue
        runs: dict[str, list] = {prefix + ours: [], prefix + theirs: []}
        for suffix in seed_suffixes(*runs):
            for name in runs:
                if name + suffix not in cache:
                    cache[name + suffix] = run_outputs(name + suffix, test)[0]
                runs[name].append(per_object(cache[name + suffix], test))
        mean_iou = lambda ious, idx: float(ious[idx].mean())  # noqa: E731 (the statistic decide() resamples)
        result[claim] = decide(mean_iou, *runs.values(), len(test.voxels), "IoU")
    return result


def run(name: str = "default", data: str | None = None) -> dict:
    """The eval contract dict for weights/shape3d/<name>; `data` (procedural, furniture) defaults to the card's."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", 2)))
    start = time.time()
    model, card = load_model(name)
    furniture = (data or card.raw["training"].get("data", "procedural")) == "furniture"
    renderer = Renderer(RENDER_SIZE, samples=4)
    if furniture:
        test, prefix, runs, pairs = evaluate_furniture.test_views(), evaluate_furniture.PREFIX, *SETTINGS[1]
    else:
        test, prefix, runs, pairs = render_split("test", N_TEST_SHAPES, 1, renderer=renderer), "", *SETTINGS[0]
    out = predict(model, card.raw["input"], test.images)
    true = test.voxels[test.shape_index]
    threshold = float(card.raw["threshold"])  # fitted on validation views by train.calibrate_threshold
    ious = voxel_iou(out["voxels"] > threshold, true)
    category = test.category[test.shape_index]  # per view (ViewBatch holds it per object)
    metrics = per_category(ious, category)
    metrics["pose_acc"] = pose_accuracy(out["azimuth"], test)
    metrics["n_pose"] = int((view_symmetry(test) > 0).sum())
    metrics["elevation_mae_deg"] = round(float(np.abs(out["elevation"] - test.elevation).mean()), 2)
    mask_true = test.masks > 127
    mask_pred = out["mask"] > MASK_THRESHOLD
    metrics["mask_iou"] = round(
        float(((mask_true & mask_pred).sum((1, 2)) / np.maximum((mask_true | mask_pred).sum((1, 2)), 1)).mean()), 4
    )
    seed0 = {}  # IoU per test view of each run (seed 0), for metrics.<run>_iou and the claims
    for other in runs:
        if has_card("shape3d", prefix + other):
            seed0[other], metrics[f"{other}_pose_acc"] = run_outputs(prefix + other, test)
            metrics[f"{other}_iou"] = per_category(seed0[other], category)["mean_iou"]
        else:
            metrics[f"{other}_iou"] = metrics[f"{other}_pose_acc"] = None
    metrics.update(ood_iou(model, card.raw["input"], renderer, threshold))
    # held-out renders of both worlds against real photos framed as the tab frames them (shape3d/domain_data.py)
    metrics["ood_auroc"] = ood_auroc("shape3d", prepare=tab_view)
    log.info("baselines")
    reference = evaluate_furniture.reference_views() if furniture else reference_views()
    baselines = {
        "category_mean_shape": per_category(voxel_iou(category_mean_baseline(reference, test), true), category)
    }
    ref_latent = predict(model, card.raw["input"], reference.images)["latent"]
    nearest = np.argmax(out["latent"] @ ref_latent.T, axis=1)
    nearest_grid = reference.voxels[reference.shape_index[nearest]]  # the grid of the nearest view's object
    baselines["nearest_neighbour"] = per_category(voxel_iou(nearest_grid, true), category)
    renderer.release()
    claim_entries = claims(test, seed0, pairs, prefix)
    metrics["n_test_objects"] = int(len(test.voxels))
    return {
        "task": "shape3d",
        "model": name,
        "data": "furniture" if furniture else "procedural",  # the test set's world: which bars hold (registry)
        "weights_sha256": read_card("shape3d", name).sha256,
        "n_test": int(len(test.images)),
        "seconds": round(time.time() - start, 1),
        "metrics": metrics,
        "baselines": baselines,
        "claims": claim_entries,
        "notes": {
            "default": f"the run {card.raw.get('selected', {}).get('from', name)!r}, chosen on validation IoU",
            "claims": "mean voxel IoU over the test views, each run at its validation-fitted threshold; "
            "self_consistency_vs_none = semi vs semi_noproj, semi_vs_sup10 = semi vs sup10",
            "pose_acc": f"azimuth within {POSE_TOLERANCE:.0f} deg modulo each object's rotational symmetry; "
            "round objects (no azimuth) excluded",
            "ood": "renders of opencv-doc's bunny.ply and parasaurolophus_6700.ply, voxelised from surface samples",
            "ood_auroc": "the tab's domain check (weights/shape3d/domain.json) on held-out test renders of both "
            "its worlds (procedural renders and views of the furniture test models: shape3d/domain_data.py) against "
            "real photos, each framed and resized to the model's input as the tab does (domain_data.tab_view)",
            "nearest_neighbour": f"nearest of {N_REFERENCE_SHAPES} training views in this model's encoder feature",
            "trained_on": card.raw.get("trained_on"),
            "thresholds": "occupancy thresholds fitted per model on validation views: "
            + ", ".join(
                f"{n} {read_card('shape3d', n).raw['threshold']}"
                for n in ("default", *(prefix + r for r in runs))
                if has_card("shape3d", n)
            ),
            **(evaluate_furniture.notes(len(reference.images), len(test.voxels)) if furniture else {}),
        },
    }
