"""Procedural faces in two domains that share their factors: shaded "photo" faces and flat "cartoon" faces.

Every face is drawn from one set of factors (smile and its width, face shape, skin tone, hair style and colour, eyes,
glasses, head turn, background). The photo renderer shades an analytic 3D head (height field -> normals ->
Blinn-Phong with a random light, specular highlights, strand-textured hair, textured backgrounds, camera noise and
blur); the cartoon renderer fills flat colours and draws outlines. The mouth corners sit at the same place in both
domains, but a photo smile is an open, toothy, shaded mouth while a cartoon smile is one thick arc: that difference
is the domain gap the model must bridge. Rendering is vectorised over a batch, so one core streams thousands of
faces per second at 32-64 px. Deterministic by seed.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from vtl_models.smile.faces import draw_cartoon, draw_photo, sample_factors

DOMAINS = ("photo", "cartoon")
FACTOR_CLASSES = {"smile": 2, "skin": 4, "hair_colour": 4, "hair_style": 3, "eyes": 2, "glasses": 2}
PRESERVED = ("skin", "hair_colour", "glasses", "eyes")  # the non-smile factors checked after translation
# Disjoint seed ranges: every batch is generated from (split base + index, domain), never shared between splits.
SPLIT_BASE = {"train": 0, "val": 50_000_000, "test": 90_000_000}
DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "smile"
DATA_VERSION = 1  # part of the cache file name: bump it whenever faces.py draws differently
# the target domain's painter: the procedural flat cartoon of faces.py, or the artist-made Lorelei faces (artwork.py)
CARTOONS = ("procedural", "lorelei")
CHECK_SIZE = {"procedural": 32, "lorelei": 64}  # the faces of each world's out-of-domain check: its runs' size
DOMAIN_NOTES = {  # what each world's check is fitted on, for its card (the procedural check predates the notes)
    "lorelei": "half procedural photos, half Lorelei cartoons (artwork.py; design by Lisa Wischofsky, CC0 1.0, via "
    "DiceBear), 64 px, data.domain_images",
}


def render(
    factors: dict[str, np.ndarray], domain: str, size: int, seed: int, cartoons: str = "procedural"
) -> np.ndarray:
    """Render faces of `factors` in `domain` at `size` px -> uint8 (N, size, size, 3).

    `seed` drives only the domain's nuisances (light, texture, noise); the face itself is fixed by `factors`.
    """
    if domain not in DOMAINS or cartoons not in CARTOONS:
        raise KeyError(f"unknown domain {domain!r} or cartoons {cartoons!r}; valid: {DOMAINS}, {CARTOONS}")
    if domain == "cartoon" and cartoons == "lorelei":
        from vtl_models.smile import artwork

        return artwork.render(factors, size, seed)
    rng = np.random.default_rng([seed, DOMAINS.index(domain), 7])
    draw = draw_photo if domain == "photo" else draw_cartoon
    image = draw(factors, size, rng)  # float32 (N, H, W, 3) in [0, 1]
    if domain == "photo":
        # camera: slight defocus blur then sensor noise
        sigma = 0.3 + 0.3 * rng.random(len(image))
        for i in range(len(image)):
            image[i] = cv2.GaussianBlur(image[i], (0, 0), float(sigma[i]) * size / 48.0)
        noise = rng.normal(0.0, 1.0, image.shape).astype(np.float32)
        image += noise * (0.01 + 0.03 * rng.random((len(image), 1, 1, 1))).astype(np.float32)
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def make_batch(
    domain: str, n: int, size: int = 32, split: str = "train", index: int = 0, cartoons: str = "procedural"
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Batch `index` of `split` in `domain`: (uint8 images (n, size, size, 3), factors dict of arrays)."""
    seed = SPLIT_BASE[split] + index
    # photo and cartoon draw independent factors (unpaired domains): the domain index enters the factor seed.
    factors = sample_factors(np.random.default_rng([seed, DOMAINS.index(domain), 1]), n)
    return render(factors, domain, size, seed, cartoons), factors


def paired_batch(
    n: int, size: int = 32, split: str = "test", index: int = 0, cartoons: str = "procedural"
) -> tuple[dict, np.ndarray, np.ndarray]:
    """The same faces in both domains (for sample grids and evaluation only): (factors, photos, cartoons)."""
    seed = SPLIT_BASE[split] + index
    factors = sample_factors(np.random.default_rng([seed, 99, 1]), n)
    return factors, render(factors, "photo", size, seed), render(factors, "cartoon", size, seed, cartoons)


def cached_split(
    domain: str, n: int, size: int, split: str = "train", chunk: int = 1000, cartoons: str = "procedural"
) -> dict[str, np.ndarray]:
    """`n` faces of `split`/`domain` at `size`, generated once and cached under data/smile/ (git-ignored)."""
    from vtl_models.smile.artwork import VERSION

    world = "" if domain == "photo" or cartoons == "procedural" else f"{cartoons}_v{VERSION}_"
    path = DATA_DIR / f"v{DATA_VERSION}_{split}_{world}{domain}_{size}_{n}.npz"
    if path.exists():
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    images, factor_parts = [], []
    for index in range((n + chunk - 1) // chunk):
        batch, factors = make_batch(domain, min(chunk, n - index * chunk), size, split, index, cartoons)
        images.append(batch)
        factor_parts.append(factors)
    out = {"images": np.concatenate(images)}
    for key in factor_parts[0]:
        out[key] = np.concatenate([part[key] for part in factor_parts])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **out)
    tmp.replace(path)
    return out


def to_float(images: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W, 3) -> float32 (N, 3, H, W) in [-1, 1], the models' input."""
    from vtl_models.common import to_numpy
    from vtl_models.images import SIGNED, to_tensor

    return to_numpy(to_tensor(images, SIGNED))


def domain_images(split: str, n: int, cartoons: str = "procedural") -> np.ndarray:
    """n faces of `split`, half photos, half cartoons of the world `cartoons`, at the size that world's runs are
    trained at (CHECK_SIZE): what the world's out-of-domain check (vtl_models.domain_fit) is fitted on."""
    size = CHECK_SIZE[cartoons]
    return np.concatenate([make_batch(d, n // 2, size, split, 0, cartoons)[0] for d in ("photo", "cartoon")])
