"""Write the tab's example inputs and the generator's sample grid: `python -m vtl_models.shape3d.examples`.

Examples are objects from seeds past the test set (never trained on), on plain backgrounds so the tab's
background removal applies, rendered at 256 px by the same renderer. `--furniture` writes the furniture model's
examples instead: FURNITURE_EXAMPLES, test models of furniture_split.json (never trained on), with their own
textures, under demos/examples/shape3d/furniture/ (attribution in that folder's README); the tab shows them only
when the served weights were trained on furniture.
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from vtl_models.render import Renderer
from vtl_models.shape3d.data import SPLIT_BASE, camera_for, random_light, random_palette, render_split
from vtl_models.shape3d.shapes import CATEGORIES, build

OUT_DIR = Path(__file__).resolve().parents[2] / "demos" / "examples" / "shape3d"
EXAMPLE_SEED = SPLIT_BASE["test"] + 100_000
FURNITURE_DIR = OUT_DIR / "furniture"
# test models only (furniture_split.json), chosen by eye for a clear silhouette; creators and licences in the README
FURNITURE_EXAMPLES = ("Scopia:chair", "Scopia:table-on-trestles", "BlendSwap-CC-BY:lamp", "Scopia:jar")


def write_examples(out_dir: Path = OUT_DIR, size: int = 256) -> list[Path]:
    """One plain-background render per category; returns the written paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(size, samples=4)
    paths = []
    for i, category in enumerate(CATEGORIES):
        seed = EXAMPLE_SEED + i
        shape, mesh, slots, _ = build(category, seed)
        rng = np.random.default_rng([seed, 1])
        azimuth, elevation = rng.uniform(0, 360), rng.uniform(10, 35)
        background = np.array([235, 235, 230]) if i % 2 == 0 else rng.integers(60, 200, 3)
        rgb, _ = renderer.render(
            mesh.vertices,
            mesh.faces,
            random_palette(rng)[slots],
            camera_for(azimuth, elevation),
            random_light(rng),
            background,
        )
        path = out_dir / f"{i + 1:02d}_{category}.png"
        Image.fromarray(rgb).save(path, optimize=True)
        paths.append(path)
    renderer.release()
    return paths


def write_sample_grid(path: Path = OUT_DIR / "samples_grid.png", per_category: int = 8) -> Path:
    """A grid of training-style renders (64 px), one row per category, for the README."""
    batch = render_split("val", per_category * len(CATEGORIES), 1)
    order = np.argsort(batch.category, kind="stable")
    images = batch.images[order].reshape(len(CATEGORIES), per_category, 64, 64, 3)
    grid = images.transpose(0, 2, 1, 3, 4).reshape(len(CATEGORIES) * 64, per_category * 64, 3)
    Image.fromarray(grid).save(path, optimize=True)
    return path


def write_furniture_examples(
    out_dir: Path = FURNITURE_DIR, ids: tuple[str, ...] = FURNITURE_EXAMPLES, size: int = 256
) -> list[Path]:
    """One textured render per furniture test model in `ids`, three-quarter front, on a plain background."""
    from vtl_models.shape3d.furniture import fetch, read_catalogue, read_split
    from vtl_models.shape3d.furniture_views import cached_mesh

    records = {r["id"]: r for r in read_split("test")}
    unzipped = fetch()
    catalogue = {m.id: m for m in read_catalogue(unzipped)}
    out_dir.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(size, samples=4)
    paths = []
    for i, model_id in enumerate(ids):
        mesh = cached_mesh(catalogue[model_id], unzipped)
        rng = np.random.default_rng([zlib.crc32(model_id.encode()), 2])  # not a test view's seed ([id, 1])
        azimuth, elevation = rng.uniform(20, 70), rng.uniform(10, 30)
        background = np.array([235, 235, 230]) if i % 2 == 0 else rng.integers(60, 200, 3)
        camera = camera_for(azimuth, elevation)
        rgb, _ = renderer.render(mesh.vertices, mesh.faces, mesh.colors, camera, random_light(rng), background)
        path = out_dir / f"{i + 1:02d}_{records[model_id]['category']}.png"
        Image.fromarray(rgb).save(path, optimize=True)
        paths.append(path)
    renderer.release()
    return paths


if __name__ == "__main__":
    print(write_furniture_examples() if "--furniture" in sys.argv[1:] else (write_examples(), write_sample_grid()))
