"""Rendered views of the catalogue's furniture in the procedural generator's format (data.ViewBatch).

    python -m vtl_models.shape3d.furniture_views --split train --views 24   # caches data/shape3d/furniture_*.npz

Each model of the committed split (furniture.py) is loaded once (cached under data/shape3d/furniture/), then seen
from random azimuth 0-360 and elevation 0-40 with its own textures, under the generator's random light, on a plain
colour, a crop of a package texture (from the catalogue's other models, never one of the tab's) or the
generator's gradient/clutter backgrounds. Views are deterministic by model id and view index.

Measured 2026-12-07 on the 2-core machine, at nice 15 beside a GAN training: a model loads, stands upright, takes
its texture colours and is voxelised in 0.54 s on average (median 0.37 s, slowest 3.9 s: 178k faces; 162 models
in 87 s, once: then cached); a view renders in 30 ms (128 px, 4x MSAA, background, downsampling; 120 views in a
loop), and a whole split caches at 62-145 ms a view as the machine's load varies (train, 24 views of each of 111-114
models: 204-385 s; validation, 12 views of each of 24-25: 18-44 s).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from vtl_models.render import Renderer
from vtl_models.shape3d.data import (
    DATA_DIR,
    IMAGE_SIZE,
    RENDER_SIZE,
    ViewBatch,
    camera_for,
    downsample,
    random_background,
    random_light,
)
from vtl_models.shape3d.furniture import FurnitureModel, fetch, read_catalogue, read_split
from vtl_models.shape3d.furniture_mesh import FurnitureMesh, load_furniture
from vtl_models.shape3d.shapes import CATEGORIES, GRID

log = logging.getLogger(__name__)
MESH_CACHE = DATA_DIR / "furniture"
VAL_VIEWS = 12  # x 25 validation models: ~300 views, as many as the procedural validation set
BACKGROUND_TEXTURES = 60  # package texture maps kept in memory for backgrounds
BACKGROUND_CATEGORIES = ("Living room", "Bedroom", "Kitchen", "Bathroom", "Office", "Exterior", "Doors and windows")
_SCALARS = ("shell_voxels", "symmetry", "seconds")


def cached_mesh(model: FurnitureModel, unzipped: Path, cache_dir: Path = MESH_CACHE) -> FurnitureMesh:
    """`load_furniture` of a catalogue model, cached as .npz (git-ignored) by model id: delete the cache folder after
    changing furniture_mesh.py."""
    path = cache_dir / (model.id.replace(":", "__") + ".npz")
    if path.exists():
        with np.load(path) as d:
            voxels = np.unpackbits(d["voxels"])[: GRID**3].reshape(GRID, GRID, GRID).astype(bool)
            return FurnitureMesh(d["vertices"], d["faces"], d["colors"], voxels, *(d[k].item() for k in _SCALARS))
    mesh = load_furniture(unzipped / model.id.split(":")[0] / model.obj, model.rotation, model.size_cm)
    path.parent.mkdir(parents=True, exist_ok=True)
    packed = np.packbits(mesh.voxels)
    scalars = {k: getattr(mesh, k) for k in _SCALARS}
    np.savez(path, vertices=mesh.vertices, faces=mesh.faces, colors=mesh.colors, voxels=packed, **scalars)
    return mesh


def background_textures(unzipped: Path, n: int = BACKGROUND_TEXTURES) -> list[np.ndarray]:
    """Up to `n` texture maps (RGB, <= 256 px) of the catalogue's room and garden models outside the tab's
    categories, in a fixed order (not people, vehicles or miscellany: those hold faces, banknotes, phone screens)."""
    folders = {
        Path(m.id.split(":")[0]) / Path(m.obj).parent
        for m in read_catalogue(unzipped)
        if m.category is None and m.catalogue_category in BACKGROUND_CATEGORIES
    }
    paths = [p for p in sorted(unzipped.glob("*/*/*/*.jpg")) if p.parent.relative_to(unzipped) in folders]
    paths = [p for p in paths if p.stat().st_size > 8_000]  # smaller maps are mostly flat colours
    step = max(1, len(paths) // n)
    textures = []
    for path in paths[::step][:n]:
        image = Image.open(path).convert("RGB")
        image.thumbnail((256, 256))
        textures.append(np.asarray(image))
    return textures


def textured_background(rng: np.random.Generator, texture: np.ndarray, size: int = RENDER_SIZE) -> np.ndarray:
    """A random square crop of `texture`, turned by a multiple of 90 degrees, dimmed or brightened, at `size` px."""
    h, w = texture.shape[:2]
    side = int(rng.uniform(0.3, 1.0) * min(h, w))
    top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = np.rot90(texture[top : top + side, left : left + side], int(rng.integers(4)))
    image = np.asarray(Image.fromarray(np.ascontiguousarray(crop)).resize((size, size), Image.Resampling.BILINEAR))
    return np.clip(image * rng.uniform(0.6, 1.2), 0, 255).astype(np.uint8)


def view_background(rng: np.random.Generator, textures: list[np.ndarray]) -> np.ndarray:
    """40% a plain colour, 30% a package texture (when there are any), else the generator's random background."""
    kind = rng.random()
    if kind < 0.4:
        return np.broadcast_to(rng.integers(0, 256, 3).astype(np.uint8), (RENDER_SIZE, RENDER_SIZE, 3)).copy()
    if kind < 0.7 and textures:
        return textured_background(rng, textures[int(rng.integers(len(textures)))])
    return random_background(rng)


def render_models(
    records: list[dict],
    meshes: list[FurnitureMesh],
    views: int,
    textures: list[np.ndarray] | None = None,
    renderer: Renderer | None = None,
) -> ViewBatch:
    """`views` random views of each mesh, as data.render_split makes them (128 px, 4x MSAA, area-downsampled)."""
    renderer = renderer or Renderer(RENDER_SIZE, samples=4)
    n = len(meshes) * views
    out = ViewBatch(
        images=np.zeros((n, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8),
        masks=np.zeros((n, IMAGE_SIZE, IMAGE_SIZE), np.uint8),
        azimuth=np.zeros(n, np.float32),
        elevation=np.zeros(n, np.float32),
        shape_index=np.repeat(np.arange(len(meshes)), views),
        voxels=np.stack([m.voxels for m in meshes]) if meshes else np.zeros((0, GRID, GRID, GRID), bool),
        category=np.array([CATEGORIES.index(r["category"]) for r in records], np.int64),
        symmetry=np.array([m.symmetry for m in meshes], np.int64),
    )
    for i, (record, mesh) in enumerate(zip(records, meshes, strict=True)):
        rng = np.random.default_rng([zlib.crc32(record["id"].encode()), 1])
        for v in range(views):
            k = i * views + v
            out.azimuth[k], out.elevation[k] = rng.uniform(0, 360), rng.uniform(0, 40)
            rgb, mask = renderer.render(
                mesh.vertices,
                mesh.faces,
                mesh.colors,
                camera_for(float(out.azimuth[k]), float(out.elevation[k])),
                random_light(rng),
                view_background(rng, textures or []),
            )
            out.images[k] = np.clip(downsample(rgb.astype(np.float32), IMAGE_SIZE) + 0.5, 0, 255).astype(np.uint8)
            out.masks[k] = np.clip(downsample(mask, IMAGE_SIZE) * 255 + 0.5, 0, 255).astype(np.uint8)
    return out


def cache_path(split: str, views: int) -> Path:
    """data/shape3d/furniture_<split>_<views>_<hash of the split's ids>.npz."""
    digest = hashlib.sha1(" ".join(r["id"] for r in read_split(split)).encode()).hexdigest()[:8]
    return DATA_DIR / f"furniture_{split}_{views}_{digest}.npz"


def furniture_split(split: str, views: int) -> ViewBatch:
    """The rendered views of a committed split, cached as data/shape3d/furniture_<split>_<views>_<ids hash>.npz
    (a changed split makes a new cache)."""
    records = read_split(split)
    path = cache_path(split, views)
    if path.exists():
        with np.load(path) as data:
            return ViewBatch(**{k: data[k] for k in data.files})
    unzipped = fetch()
    catalogue = {m.id: m for m in read_catalogue(unzipped)}
    meshes = [cached_mesh(catalogue[r["id"]], unzipped) for r in records]
    batch = render_models(records, meshes, views, background_textures(unzipped))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **batch.__dict__)
    return batch


def write_sample_grid(path: Path, per_category: int = 3, views: int = 2) -> Path:
    """The README's grid: one row per category, for `per_category` models (validation first, then training)
    `views` training-style renders (64 px) and the model's 32^3 grid seen from the first view's pose."""
    from vtl_models.render import Light
    from vtl_models.shape3d.predictor import grid_to_mesh

    unzipped = fetch()
    catalogue = {m.id: m for m in read_catalogue(unzipped)}
    textures = background_textures(unzipped)
    renderer = Renderer(RENDER_SIZE, samples=4)
    rows = []
    for category in CATEGORIES:
        records = [r for split in ("val", "train") for r in read_split(split) if r["category"] == category]
        records = records[:per_category]
        meshes = [cached_mesh(catalogue[r["id"]], unzipped) for r in records]
        batch = render_models(records, meshes, views, textures, renderer)
        tiles = []
        for i, mesh in enumerate(meshes):
            tiles += list(batch.images[i * views : (i + 1) * views])
            grid = grid_to_mesh(mesh.voxels.astype(np.float32), 0.5)
            camera = camera_for(float(batch.azimuth[i * views]), float(batch.elevation[i * views]))
            rgb, _ = renderer.render(grid.vertices, grid.faces, (150, 160, 210), camera, Light(), (255, 255, 255))
            tiles.append(downsample(rgb.astype(np.float32), IMAGE_SIZE).astype(np.uint8))
        rows.append(np.concatenate(tiles, axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(path, optimize=True)
    return path


def main(argv: list[str] | None = None) -> None:
    """CLI: cache a split's meshes and views, and log the time per model and per view (or write the sample grid)."""
    parser = argparse.ArgumentParser(prog="python -m vtl_models.shape3d.furniture_views")
    parser.add_argument("--split", default="train", choices=("train", "val", "test"))
    parser.add_argument("--views", type=int, default=24)
    parser.add_argument("--grid", type=Path, help="write the README's sample grid to this PNG instead")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.grid:
        write_sample_grid(args.grid)
        return
    start = time.perf_counter()
    batch = furniture_split(args.split, args.views)
    log.info(
        "%s: %d models, %d views in %.0f s",
        args.split,
        len(batch.voxels),
        len(batch.images),
        time.perf_counter() - start,
    )


if __name__ == "__main__":
    main()
