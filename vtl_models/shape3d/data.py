"""Rendered views of the procedural objects: image, silhouette, pose and the 32^3 occupancy, deterministic by seed.

Seeds: shape `i` of a split is built from seed `SPLIT_BASE[split] + i`, its category is `CATEGORIES[i % 6]`; the
split bases are far apart, so train/val/test never share a shape. Views are rendered at 128 px with 4x MSAA and
area-downsampled to `IMAGE_SIZE` (the model's input), which also anti-aliases the edges.
"""

from __future__ import annotations

import colorsys
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from vtl_models.render import Camera, Light, Renderer
from vtl_models.shape3d.shapes import CATEGORIES, build

log = logging.getLogger(__name__)

RENDER_SIZE = 128
IMAGE_SIZE = 64
MASK_SIZE = 32
CAMERA_DISTANCE = 2.0
CAMERA_FOV = 40.0
SPLIT_BASE = {"train": 0, "val": 5_000_000, "test": 9_000_000}
DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "shape3d"


@dataclass
class ViewBatch:
    """Arrays for N rendered views (numpy, uint8/float32)."""

    images: np.ndarray  # (N, 64, 64, 3) uint8
    masks: np.ndarray  # (N, 64, 64) uint8 coverage 0..255
    azimuth: np.ndarray  # (N,) degrees in [0, 360)
    elevation: np.ndarray  # (N,) degrees
    shape_index: np.ndarray  # (N,) index into the per-shape arrays
    voxels: np.ndarray  # (S, 32, 32, 32) bool, per shape
    category: np.ndarray  # (S,) int
    symmetry: np.ndarray  # (S,) int, k-fold about y; 0 = round


def camera_for(azimuth: float, elevation: float) -> Camera:
    """The fixed-distance camera every view (and the differentiable projection) uses."""
    return Camera(azimuth=azimuth, elevation=elevation, distance=CAMERA_DISTANCE, fov=CAMERA_FOV)


def random_background(rng: np.random.Generator, size: int = RENDER_SIZE) -> np.ndarray:
    """A plain colour, a gradient or low-frequency clutter with random rectangles and discs."""
    kind = rng.random()
    base = rng.integers(0, 256, 3)
    if kind < 0.35:
        return np.broadcast_to(base.astype(np.uint8), (size, size, 3)).copy()
    if kind < 0.65:
        other = rng.integers(0, 256, 3)
        t = np.linspace(0, 1, size)[:, None, None]
        if rng.random() < 0.5:
            t = t.transpose(1, 0, 2)
        return (base * (1 - t) + other * t).astype(np.uint8).repeat(size // t.shape[0], 0).repeat(size // t.shape[1], 1)
    coarse = rng.integers(0, 256, (4, 4, 3)).astype(np.uint8)
    image = np.asarray(Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC)).copy()
    yy, xx = np.mgrid[:size, :size]
    for _ in range(int(rng.integers(2, 7))):
        colour = rng.integers(0, 256, 3)
        cx, cy, r = rng.integers(0, size, 2).tolist() + [int(rng.integers(6, size // 3))]
        region = (
            (np.abs(xx - cx) < r) & (np.abs(yy - cy) < r // 2)
            if rng.random() < 0.5
            else (xx - cx) ** 2 + (yy - cy) ** 2 < r**2
        )
        image[region] = colour
    noise = rng.normal(0, rng.uniform(0, 12), image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def random_palette(rng: np.random.Generator, n: int = 3) -> np.ndarray:
    """`n` material colours (float RGB), often related in hue like real furniture."""
    hue = rng.random()
    colours = []
    for _ in range(n):
        h = (hue + rng.normal(0, 0.08)) % 1.0 if rng.random() < 0.6 else rng.random()
        colours.append(colorsys.hsv_to_rgb(h, rng.uniform(0.1, 0.9), rng.uniform(0.3, 1.0)))
    return np.array(colours, np.float32)


def random_light(rng: np.random.Generator) -> Light:
    """Key light from the viewer's side with random colour temperature, ambient and gloss."""
    warm = rng.uniform(-0.15, 0.15)
    return Light(
        azimuth=rng.uniform(-70, 70),
        elevation=rng.uniform(0, 60),
        color=(1.0 + warm, 1.0, 1.0 - warm),
        ambient=rng.uniform(0.2, 0.5),
        specular=rng.uniform(0.0, 0.5),
        shininess=rng.uniform(8, 64),
    )


def downsample(array: np.ndarray, size: int) -> np.ndarray:
    """Area-average a square (H, W[, C]) array to (size, size[, C])."""
    factor = array.shape[0] // size
    shape = (size, factor, size, factor) + array.shape[2:]
    return array.reshape(shape).mean(axis=(1, 3))


def render_split(
    split: str, n_shapes: int, views: int, seed_offset: int = 0, renderer: Renderer | None = None
) -> ViewBatch:
    """Build `n_shapes` shapes of `split` and render `views` random views of each."""
    from tqdm import tqdm

    renderer = renderer or Renderer(RENDER_SIZE, samples=4)
    n = n_shapes * views
    out = ViewBatch(
        images=np.zeros((n, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8),
        masks=np.zeros((n, IMAGE_SIZE, IMAGE_SIZE), np.uint8),
        azimuth=np.zeros(n, np.float32),
        elevation=np.zeros(n, np.float32),
        shape_index=np.repeat(np.arange(n_shapes), views),
        voxels=np.zeros((n_shapes, 32, 32, 32), bool),
        category=np.zeros(n_shapes, np.int64),
        symmetry=np.zeros(n_shapes, np.int64),
    )
    for i in tqdm(range(n_shapes), desc=f"shape3d {split}", mininterval=5):
        seed = SPLIT_BASE[split] + seed_offset + i
        category = CATEGORIES[i % len(CATEGORIES)]
        shape, mesh, slots, voxels = build(category, seed)
        out.voxels[i], out.category[i], out.symmetry[i] = voxels, CATEGORIES.index(category), shape.symmetry
        rng = np.random.default_rng([seed, 1])
        for v in range(views):
            k = i * views + v
            out.azimuth[k], out.elevation[k] = rng.uniform(0, 360), rng.uniform(0, 40)
            colours = random_palette(rng)[slots]
            rgb, mask = renderer.render(
                mesh.vertices,
                mesh.faces,
                colours,
                camera_for(float(out.azimuth[k]), float(out.elevation[k])),
                random_light(rng),
                random_background(rng),
            )
            out.images[k] = np.clip(downsample(rgb.astype(np.float32), IMAGE_SIZE) + 0.5, 0, 255).astype(np.uint8)
            out.masks[k] = np.clip(downsample(mask, IMAGE_SIZE) * 255 + 0.5, 0, 255).astype(np.uint8)
    return out


def cached_split(split: str, n_shapes: int, views: int) -> ViewBatch:
    """`render_split` cached as .npz under data/shape3d/ (git-ignored); regenerated if missing."""
    path = DATA_DIR / f"{split}_{n_shapes}x{views}.npz"
    if path.exists():
        with np.load(path) as data:
            return ViewBatch(**{k: data[k] for k in data.files})
    batch = render_split(split, n_shapes, views)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **batch.__dict__)
    return batch


def domain_images(split: str, n: int) -> np.ndarray:
    """n procedural renders of `split`: the out-of-domain check's procedural world (domain_data.py adds furniture)."""
    return render_split(split, n, 1).images
