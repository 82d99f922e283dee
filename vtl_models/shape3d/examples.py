"""Write the tab's example inputs and the generator's sample grid: `python -m vtl_models.shape3d.examples`.

Examples are objects from seeds past the test set (never trained on), on plain backgrounds so the tab's
background removal applies, rendered at 256 px by the same renderer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from vtl_models.render import Renderer
from vtl_models.shape3d.data import SPLIT_BASE, camera_for, random_light, random_palette, render_split
from vtl_models.shape3d.shapes import CATEGORIES, build

OUT_DIR = Path(__file__).resolve().parents[2] / "demos" / "examples" / "shape3d"
EXAMPLE_SEED = SPLIT_BASE["test"] + 100_000


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


if __name__ == "__main__":
    print(write_examples(), write_sample_grid())
