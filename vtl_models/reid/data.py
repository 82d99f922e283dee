"""Two procedural camera networks for person re-ID: a labelled outdoor "street" source and an indoor target.

An image is (domain, identity, camera, shot): the identity fixes the person (pedestrian.py), the camera fixes the
viewpoint family, lighting, colour cast and background family, and the shot jitters all of them plus scale, blur and
occlusion. Everything is deterministic by seed; identity ranges of each split are disjoint.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from vtl_models.reid.pedestrian import build_mesh, random_identity

HEIGHT, WIDTH = 128, 64  # crop size (H x W), the minimum
N_CAMERAS = 4


@dataclass(frozen=True)
class Style:
    """What a camera network looks like."""

    name: str
    render_scale: float  # render at this fraction of the crop size, then upsample: lower resolution
    elevation: tuple[float, float]
    ambient: tuple[float, float]
    cast_strength: float  # how far each camera's colour cast is from white
    blur: tuple[float, float]  # Gaussian sigma range (px at crop size)
    noise: float
    saturation: float  # clothing colours are pulled towards grey by this factor (1 = as drawn)


STREET = Style("street", 1.0, (5, 20), (0.35, 0.55), 0.10, (0.0, 0.8), 3.0, 1.0)
INDOOR = Style("indoor", 0.5, (30, 45), (0.2, 0.35), 0.12, (0.5, 1.3), 6.0, 0.7)
STYLES = {"source": STREET, "target": INDOOR}

# Identity ranges per (domain, split): disjoint people. The target's train identities are unlabelled in ARN
# training (only the oracle baseline reads their labels); val chooses settings; test is read by eval alone.
SPLITS = {
    ("source", "train"): range(0, 600),
    ("source", "val"): range(600, 700),
    ("target", "train"): range(0, 400),
    ("target", "val"): range(400, 500),
    ("target", "test"): range(500, 750),
    ("target", "gallery"): range(750, 1000),  # the tab's search gallery (shipped), never trained or tested on
}
DOMAIN_SEED = {"source": 11, "target": 29}


def _rng(*keys) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(keys).encode()))


@dataclass(frozen=True)
class CameraSetup:
    """One fixed camera of a network: its view, light, colour cast and background family."""

    azimuth: float
    light_azimuth: float
    cast: tuple[float, float, float]
    palette: tuple  # background base colours


@lru_cache(maxsize=8)
def cameras(domain: str) -> tuple[CameraSetup, ...]:
    """The N_CAMERAS cameras of `domain`: front, back and the two sides, each with its own light and cast."""
    style, rng = STYLES[domain], _rng("cameras", DOMAIN_SEED[domain])
    setups = []
    for azimuth in (0.0, 180.0, 90.0, -90.0):
        cast = 1.0 + style.cast_strength * rng.uniform(-1, 1, 3)
        if domain == "target":  # indoor light: every camera of the network under the same warm tungsten cast
            cast = cast * np.array([1.0, 0.82, 0.6])
        palette = tuple(tuple(int(v) for v in rng.integers(40, 220, 3)) for _ in range(3))
        setups.append(CameraSetup(azimuth, float(rng.uniform(-60, 60)), tuple(cast / cast.max()), palette))
    return tuple(setups)


def _street_background(rng: np.random.Generator, setup: CameraSetup, h: int, w: int) -> np.ndarray:
    img = np.zeros((h, w, 3), np.float32)
    facade = np.array(setup.palette[0], np.float32) * rng.uniform(0.8, 1.2)
    img[:] = facade
    horizon = int(h * rng.uniform(0.65, 0.8))
    win = np.array(setup.palette[1], np.float32) * 0.6
    step_y, step_x = int(rng.integers(14, 24)), int(rng.integers(12, 20))
    oy, ox = int(rng.integers(0, step_y)), int(rng.integers(0, step_x))
    for y in range(oy, horizon - 8, step_y):
        for x in range(ox, w, step_x):
            img[y : y + step_y // 2, x : x + step_x // 2] = win
    img[horizon:] = np.array([95, 95, 100], np.float32) * rng.uniform(0.7, 1.2)  # asphalt
    img[horizon : horizon + 2] = 200
    return img


def _indoor_background(rng: np.random.Generator, setup: CameraSetup, h: int, w: int) -> np.ndarray:
    wall = np.array(setup.palette[0], np.float32) * 0.4 + 140 * rng.uniform(0.8, 1.1)
    img = np.tile(wall, (h, w, 1)).astype(np.float32)
    floor_y = int(h * rng.uniform(0.55, 0.7))
    if rng.random() < 0.6:  # a door or a shelf
        x0 = int(rng.integers(-w // 2, w))
        img[int(h * 0.15) : floor_y, max(x0, 0) : max(x0 + w // 2, 0)] = np.array(setup.palette[1], np.float32) * 0.7
    tile = int(rng.integers(6, 14))
    yy, xx = np.mgrid[0 : h - floor_y, 0:w]
    checker = ((yy // tile + xx // tile) % 2)[..., None].astype(np.float32)
    a, b = np.array(setup.palette[2], np.float32), np.array([200, 200, 190], np.float32)
    img[floor_y:] = a * checker + b * (1 - checker)
    img[floor_y - 2 : floor_y] = 60  # skirting board
    return img


class PedestrianRenderer:
    """Renders crops of (domain, identity, camera, shot); one GL context per instance (make one per process)."""

    def __init__(self):
        from vtl_models.render import Renderer

        self._renderers = {}
        self._Renderer = Renderer

    def _renderer(self, scale: float):
        key = (int(WIDTH * scale), int(HEIGHT * scale))
        if key not in self._renderers:
            self._renderers[key] = self._Renderer(size=key)
        return self._renderers[key]

    def person(self, domain: str, identity: int):
        """The identity's mesh, palette-adjusted for the domain."""
        return _person_mesh(domain, identity)

    def render(self, domain: str, identity: int, camera: int, shot: int) -> np.ndarray:
        """One uint8 (HEIGHT, WIDTH, 3) crop."""
        from vtl_models.render import Camera, Light

        style, setup = STYLES[domain], cameras(domain)[camera]
        rng = _rng("shot", DOMAIN_SEED[domain], identity, camera, shot)
        vertices, faces, colours = self.person(domain, identity)
        renderer = self._renderer(style.render_scale)
        h, w = renderer.height, renderer.width
        distance = rng.uniform(2.7, 3.3)
        cam = Camera(
            azimuth=setup.azimuth + rng.uniform(-25, 25),
            elevation=rng.uniform(*style.elevation),
            distance=distance,
            fov=36.0,
            target=(rng.uniform(-0.06, 0.06), 0.88 + rng.uniform(-0.06, 0.06), 0.0),
        )
        light = Light(
            azimuth=setup.light_azimuth + rng.uniform(-20, 20),
            elevation=rng.uniform(20, 60),
            ambient=rng.uniform(*style.ambient),
        )
        background_fn = _street_background if domain == "source" else _indoor_background
        background = np.clip(background_fn(rng, setup, h, w), 0, 255).astype(np.uint8)
        rgb, mask = renderer.render(vertices, faces, colours, cam, light, background)
        image = rgb.astype(np.float32)
        if rng.random() < 0.3:  # partial occlusion: a pole, a bin or a passer-by's edge
            ow = int(w * rng.uniform(0.15, 0.35))
            x0 = 0 if rng.random() < 0.5 else w - ow
            y0 = int(h * rng.uniform(0.3, 0.7))
            image[y0:, x0 : x0 + ow] = rng.integers(30, 220, 3)
        cast = np.asarray(setup.cast, np.float32) * (1 + 0.05 * rng.uniform(-1, 1, 3))
        image = image * cast * rng.uniform(0.75, 1.15)
        if (HEIGHT, WIDTH) != (h, w):
            image = cv2.resize(image, (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
        sigma = rng.uniform(*style.blur)
        if sigma > 0.3:
            image = cv2.GaussianBlur(image, (0, 0), sigma)
        image += rng.normal(0, style.noise, image.shape)
        return np.clip(image + 0.5, 0, 255).astype(np.uint8)


@lru_cache(maxsize=2048)
def _person_mesh(domain: str, identity: int):
    person = random_identity(_rng("identity", DOMAIN_SEED[domain], identity))
    vertices, faces, colours = build_mesh(person)
    saturation = STYLES[domain].saturation
    if saturation != 1.0:
        grey = colours.astype(np.float32).mean(1, keepdims=True)
        colours = np.clip(grey + saturation * (colours - grey), 0, 255).astype(np.uint8)
    return vertices, faces, colours


def split_index(domain: str, split: str, shots: int) -> np.ndarray:
    """Rows (identity, camera, shot) of a split: every identity seen by every camera `shots` times."""
    ids = SPLITS[(domain, split)]
    return np.array([(i, c, s) for i in ids for c in range(N_CAMERAS) for s in range(shots)], np.int64)


_WORKER: PedestrianRenderer | None = None


def _render_row(args) -> np.ndarray:
    global _WORKER
    if _WORKER is None:
        _WORKER = PedestrianRenderer()
    domain, (identity, camera, shot) = args
    return _WORKER.render(domain, int(identity), int(camera), int(shot))


def render_rows(domain: str, rows: np.ndarray, workers: int = 2) -> np.ndarray:
    """Render every (identity, camera, shot) row -> uint8 (N, HEIGHT, WIDTH, 3)."""
    jobs = [(domain, tuple(r)) for r in rows]
    if workers > 1:
        import os
        from multiprocessing import get_context

        os.environ.setdefault("LP_NUM_THREADS", "1")
        with get_context("fork").Pool(workers) as pool:
            out = pool.map(_render_row, jobs, chunksize=32)
    else:
        out = [_render_row(j) for j in jobs]
    return np.stack(out)


def domain_images(split: str, n: int) -> np.ndarray:
    """n procedural crops of `split`: what the out-of-domain check is fitted on."""
    # both camera networks, as ARN trains on them; the street source has no test identities
    domains = [d for d in ("source", "target") if (d, split) in SPLITS]
    crops = []
    for domain, part in zip(domains, np.array_split(np.arange(n), len(domains)), strict=True):
        rows = split_index(domain, split, 1)
        chosen = np.sort(np.random.default_rng(0).choice(len(rows), len(part), replace=False))
        crops.append(render_rows(domain, rows[chosen], workers=1))
    return np.concatenate(crops)
