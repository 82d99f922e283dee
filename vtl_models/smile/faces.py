"""The face drawing behind data.py: shared factor sampling and geometry, then the photo and cartoon painters.

All arrays are batched: factor arrays are (N,), geometry is broadcast as (N, 1, 1) against a (1, H, W) pixel grid
in [-1, 1] (y down). Shapes are signed-distance-like fields turned into antialiased alphas one pixel wide.
"""

from __future__ import annotations

import cv2
import numpy as np

SKIN_PHOTO = np.array([[0.96, 0.80, 0.69], [0.86, 0.65, 0.50], [0.68, 0.48, 0.33], [0.42, 0.28, 0.20]], np.float32)
SKIN_CARTOON = np.array([[1.00, 0.87, 0.74], [0.98, 0.72, 0.52], [0.80, 0.55, 0.33], [0.52, 0.34, 0.22]], np.float32)
HAIR_PHOTO = np.array([[0.07, 0.06, 0.06], [0.36, 0.22, 0.12], [0.88, 0.74, 0.45], [0.72, 0.27, 0.10]], np.float32)
HAIR_CARTOON = np.array([[0.12, 0.12, 0.16], [0.50, 0.30, 0.14], [1.00, 0.86, 0.40], [0.93, 0.38, 0.12]], np.float32)
O_MOUTH_SHARE = 0.5  # cartoon faces without a smile drawn with an "o" mouth: part of the domain gap
CLOSED_SMILE_SHARE = 0.0  # photo smiles drawn with the mouth closed: the photo classifier must also read the curve


def sample_factors(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Draw `n` faces' factors (the shared content of both domains)."""
    u = lambda lo, hi, shape=n: rng.uniform(lo, hi, shape).astype(np.float32)  # noqa: E731
    return {
        "smile": rng.integers(0, 2, n),
        "smile_width": u(0, 1),
        "skin": rng.integers(0, 4, n),
        "hair_colour": rng.integers(0, 4, n),
        "hair_style": rng.integers(0, 3, n),  # 0 short, 1 long, 2 curly
        "eyes": rng.integers(0, 2, n),  # 0 round, 1 narrow
        "glasses": (rng.random(n) < 0.4).astype(np.int64),
        "yaw": u(-1, 1),
        "face_w": u(0.5, 0.6),
        "face_h": u(0.64, 0.74),
        "jaw": u(1.8, 2.8),  # superellipse exponent: pointed chin .. square jaw
        "cx": u(-0.06, 0.06),
        "cy": u(0.0, 0.1),
        "mouth_w": u(0.14, 0.23),
        "neutral_curve": u(-0.02, 0.012),
        "closed_smile": (rng.random(n) < CLOSED_SMILE_SHARE).astype(np.int64),
        "tone_jitter": u(-0.04, 0.04, (n, 3)),
        "background": u(0.1, 0.95, (n, 3)),
        "shirt": u(0.1, 0.9, (n, 3)),
    }


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    coords = (np.arange(size, dtype=np.float32) + 0.5) / size * 2.0 - 1.0
    return coords[None, None, :], coords[None, :, None]  # x (1, 1, W), y (1, H, 1)


def _alpha(sdf: np.ndarray, size: int) -> np.ndarray:
    """Signed distance (negative inside, image units) -> antialiased coverage."""
    return np.clip(0.5 - sdf * (size / 2.0), 0.0, 1.0)


def _col(f: np.ndarray) -> np.ndarray:
    return f[:, None, None].astype(np.float32)


def _paint(image: np.ndarray, alpha: np.ndarray, colour: np.ndarray) -> None:
    """In place: image = image * (1 - alpha) + colour * alpha; colour (N, 3) or (N, H, W, 3)."""
    colour = colour[:, None, None, :] if colour.ndim == 2 else colour
    image += alpha[..., None] * (colour - image)


def geometry(f: dict[str, np.ndarray], size: int) -> dict[str, np.ndarray]:
    """Shared geometry of every face: coverage of each part and the key points, same in both domains."""
    x, y = _grid(size)
    a, b, cx, cy, yaw = _col(f["face_w"]), _col(f["face_h"]), _col(f["cx"]), _col(f["cy"]), _col(f["yaw"])
    smile, width = _col(f["smile"]), _col(f["smile_width"])
    g: dict[str, np.ndarray] = {"x": x, "y": y}
    # face: superellipse; head turn moves the features sideways across the face (the 3D sphere stays put)
    dx, dy = (x - cx) / a, (y - cy) / b
    p = _col(f["jaw"])
    r = (np.abs(dx) ** p + np.abs(np.maximum(dy, 0.0)) ** p) ** (1.0 / p)
    r = np.where(dy < 0, np.sqrt(dx**2 + dy**2), r)  # round skull, shaped jaw
    g["face"] = _alpha((r - 1.0) * np.minimum(a, b), size)
    g["face_r"] = r
    fx = cx + 0.22 * yaw * a
    g["fx"] = fx
    # hair: a cap above the hairline, a back layer for long hair, a bumpy larger cap for curly hair
    style = _col(f["hair_style"])
    theta = np.arctan2(y - cy, x - cx)
    bumps = 1.0 + (style == 2) * 0.07 * np.sin(11.0 * theta)
    grow = 1.0 + (style == 2) * 0.14
    cap_r = np.sqrt(((x - cx) / (a * 1.1 * grow)) ** 2 + ((y - cy + 0.06) / (b * 1.02 * grow)) ** 2) / bumps
    hairline = cy - b * 0.42 + 0.5 * b * ((x - fx) / a) ** 2
    below = np.clip((y - hairline) * size / 2.0 + 0.5, 0.0, 1.0)
    g["hair_cap"] = _alpha((cap_r - 1.0) * a, size) * (1.0 - below * g["face"])
    back_r = np.sqrt(((x - cx) / (a * 1.25)) ** 2 + ((y - cy - 0.25) / (b * 1.25)) ** 2)
    g["hair_back"] = (style == 1) * _alpha((back_r - 1.0) * a, size) * _alpha(y - (cy + b * 1.15), size)
    g["hair_centre"] = (cx, cy - 0.06)
    # neck and shoulders
    g["neck"] = _alpha(np.maximum(np.abs(x - cx) - a * 0.42, cy + b * 0.4 - y), size)
    g["shirt"] = _alpha(np.sqrt(((x - cx) / 1.0) ** 2 + ((y - 1.3) / 0.5) ** 2) - 1.0, size)
    # eyes and brows; the far eye is narrower when the head turns
    ey = cy - 0.06 * b / 0.63
    ex = 0.38 * a
    g["eye_xy"] = [(fx - ex, ey, 1.0 - 0.35 * np.maximum(yaw, 0)), (fx + ex, ey, 1.0 - 0.35 * np.maximum(-yaw, 0))]
    g["eye_y"] = ey
    # mouth: the corners' geometry is shared; a smile lifts the corners and widens the mouth
    my = cy + 0.44 * b
    w = _col(f["mouth_w"]) * (1.0 + smile * (0.05 + 0.15 * width))
    h = np.where(smile > 0, 0.05 + 0.06 * width, _col(f["neutral_curve"]))
    u = (x - fx) / w
    curve = my - h / 2 + h * (1.0 - u**2)
    g.update(mouth_u=u, mouth_curve=curve, mouth_w=w, mouth_y=my, mouth_h=h)
    g["inside_mouth_span"] = _alpha(np.abs(u) - 1.0, size) * np.ones_like(y)
    return g


def _ring(x, y, ex, ey, radius, thickness, size):
    return _alpha(np.abs(np.sqrt((x - ex) ** 2 + (y - ey) ** 2) - radius) - thickness, size)


def _glasses(g, f, size, thickness):
    x, y = g["x"], g["y"]
    on = _col(f["glasses"])
    frame = np.zeros(np.broadcast_shapes(x.shape, y.shape, on.shape), np.float32)
    for ex, ey, squeeze in g["eye_xy"]:
        frame = np.maximum(frame, _ring(x, y, ex, ey, 0.11 * squeeze + 0.02, thickness, size))
    (lx, ly, _), (rx, _, _) = g["eye_xy"]
    bridge = _alpha(
        np.maximum(np.abs(y - ly + 0.02) - thickness, np.abs(x - (lx + rx) / 2) - (rx - lx) / 2 + 0.12), size
    )
    return on * np.maximum(frame, bridge)


def _noise_pool(rng: np.random.Generator, size: int, count: int = 6) -> np.ndarray:
    """Smooth random textures (count, 2H, 2W) to crop backgrounds and hair texture from."""
    raw = rng.normal(0, 1, (count, 2 * size, 2 * size)).astype(np.float32)
    pool = np.stack([cv2.GaussianBlur(t, (0, 0), size / 12.0) for t in raw])
    return pool / (pool.std(axis=(1, 2), keepdims=True) + 1e-6)


def _crops(pool: np.ndarray, rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    idx, ox, oy = rng.integers(0, len(pool), n), rng.integers(0, size, n), rng.integers(0, size, n)
    return np.stack([pool[i, v : v + size, u : u + size] for i, u, v in zip(idx, ox, oy, strict=True)])


def draw_photo(f: dict[str, np.ndarray], size: int, rng: np.random.Generator) -> np.ndarray:
    """Shaded, lit faces: float32 (N, H, W, 3) in [0, 1]."""
    n = len(f["smile"])
    g = geometry(f, size)
    x, y = g["x"], g["y"]
    pool = _noise_pool(rng, size)
    # background: two-colour gradient in a random direction plus low-frequency clutter
    angle = rng.uniform(0, 2 * np.pi, n).astype(np.float32)
    ramp = 0.5 + 0.5 * (np.cos(angle)[:, None, None] * x + np.sin(angle)[:, None, None] * y)
    bg2 = np.clip(f["background"] * rng.uniform(0.3, 0.8, (n, 1)) + rng.uniform(0, 0.3, (n, 3)), 0, 1)
    image = f["background"][:, None, None, :] * (1 - ramp[..., None]) + bg2[:, None, None, :] * ramp[..., None]
    image = image + 0.08 * _crops(pool, rng, n, size)[..., None]
    image = image.astype(np.float32)
    skin = np.clip(SKIN_PHOTO[f["skin"]] + f["tone_jitter"], 0, 1)
    hair = np.clip(HAIR_PHOTO[f["hair_colour"]] + f["tone_jitter"] * 0.5, 0, 1)
    hair_tex = 0.8 + 0.2 * np.sin(
        45.0 * np.arctan2(y - g["hair_centre"][1], x - g["hair_centre"][0]) + 2.5 * _crops(pool, rng, n, size)
    )
    _paint(image, g["shirt"], f["shirt"])
    _paint(image, g["hair_back"], hair[:, None, None, :] * hair_tex[..., None])
    _paint(image, g["neck"] * (1 - g["hair_back"] * 0), skin * 0.8)
    _paint(image, g["face"], skin)
    # height field: head sphere, nose, cheeks (raised by a smile); hair a slightly larger sphere
    head = np.sqrt(np.clip(1.0 - g["face_r"] ** 2, 0, 1))
    fx, my = g["fx"], g["mouth_y"]
    smile = _col(f["smile"])
    bump = lambda px, py, s, amp: amp * np.exp(-((x - px) ** 2 + (y - py) ** 2) / (2 * s * s))  # noqa: E731
    height = head * 0.5 + bump(fx, g["eye_y"] + 0.16, 0.05, 0.12)
    for side in (-1, 1):
        height += bump(fx + side * g["mouth_w"] * 1.05, my - 0.07, 0.06, 0.03 + 0.06 * smile)
    height = height * g["face"] + g["hair_cap"] * 0.55
    # mouth: open toothy smile, or closed lips along the shared curve
    u, curve = g["mouth_u"], g["mouth_curve"]
    span = np.clip(1.0 - u**2, 0, 1)
    is_open = (smile > 0) & (_col(f["closed_smile"]) == 0)
    opening = np.where(is_open, 0.035 + 0.05 * _col(f["smile_width"]), 0.0) * span
    # an open grin is a "D": flat top at the corners' height, round bottom below the shared curve
    top = np.where(is_open, g["mouth_y"] - g["mouth_h"] / 2, curve)
    bottom = curve + opening
    mid, half = (top + bottom) / 2, (bottom - top) / 2
    lips = np.clip(skin * np.array([0.7, 0.35, 0.38], np.float32) + np.array([0.25, 0.02, 0.05], np.float32), 0, 1)
    lip_band = _alpha(np.maximum(np.abs(y - mid) - half - 0.016 * np.sqrt(span), np.abs(u) - 1), size)
    _paint(image, lip_band * g["face"], lips)
    interior = _alpha(np.maximum(np.abs(y - mid) - half, np.abs(u) - 0.97), size) * (opening > 0)
    _paint(image, interior, np.tile(np.array([[0.30, 0.06, 0.08]], np.float32), (n, 1)))
    teeth = interior * (y < top + (bottom - top) * 0.45)
    _paint(image, teeth, np.tile(np.array([[0.95, 0.93, 0.86]], np.float32), (n, 1)))
    seam = _alpha(np.maximum(np.abs(y - curve) - 0.006, np.abs(u) - 1), size) * (opening <= 0)
    _paint(image, seam * g["face"], lips * 0.45)
    # eyes: white, iris, pupil, glint; narrow eyes are half-shut
    eye_h = np.where(_col(f["eyes"]) == 0, 0.05, 0.024)
    iris_col = np.clip(HAIR_PHOTO[(f["hair_colour"] + 1) % 4] * 0.7 + 0.1, 0, 1)
    for ex, ey, squeeze in g["eye_xy"]:
        white = _alpha((np.sqrt(((x - ex) / (0.075 * squeeze)) ** 2 + ((y - ey) / eye_h) ** 2) - 1) * eye_h, size)
        _paint(image, white, np.full((n, 3), 0.92, np.float32))
        iris = white * _alpha(np.sqrt((x - ex) ** 2 + (y - ey) ** 2) - 0.038, size)
        _paint(image, iris, iris_col)
        _paint(
            image, white * _alpha(np.sqrt((x - ex) ** 2 + (y - ey) ** 2) - 0.017, size), np.zeros((n, 3), np.float32)
        )
        brow = _alpha(np.maximum(np.abs(y - (ey - 0.1 + 2.0 * (x - ex) ** 2)) - 0.014, np.abs(x - ex) - 0.08), size)
        _paint(image, brow * g["face"], hair * 0.9)
    _paint(image, g["hair_cap"], hair[:, None, None, :] * hair_tex[..., None])
    # Blinn-Phong with a random light over the height field
    gy, gx = np.gradient(height * 2.5, axis=(1, 2))
    gx, gy = gx * size / 2.0, gy * size / 2.0
    norm = np.sqrt(gx**2 + gy**2 + 1.0)
    nx, ny, nz = -gx / norm, -gy / norm, 1.0 / norm
    light = np.stack([rng.uniform(-0.8, 0.8, n), rng.uniform(-0.9, 0.3, n), np.ones(n)], 1).astype(np.float32)
    light /= np.linalg.norm(light, axis=1, keepdims=True)
    lx, ly, lz = (light[:, i, None, None] for i in range(3))
    diffuse = np.clip(nx * lx + ny * ly + nz * lz, 0, 1)
    hx, hy, hz = lx, ly, lz + 1.0
    hn = np.sqrt(hx**2 + hy**2 + hz**2)
    spec = np.clip((nx * hx + ny * hy + nz * hz) / hn, 0, 1) ** 24
    fg = np.clip(g["face"] + g["hair_cap"] + g["neck"] + g["hair_back"], 0, 1)
    shade = 0.6 + 0.5 * diffuse
    image = image * (1 - fg[..., None]) + image * fg[..., None] * shade[..., None]
    image += (0.35 * spec * fg)[..., None]
    # glasses: thin dark frame, faint tinted lens with a glint
    frame = _glasses(g, f, size, 0.007)
    _paint(image, frame, np.full((n, 3), 0.12, np.float32))
    return np.clip(image, 0, 1)


def draw_cartoon(f: dict[str, np.ndarray], size: int, rng: np.random.Generator) -> np.ndarray:
    """Flat colours, outlines and simplified features: float32 (N, H, W, 3) in [0, 1]."""
    n = len(f["smile"])
    g = geometry(f, size)
    x, y = g["x"], g["y"]
    bg = np.clip(0.35 + 0.65 * f["background"], 0, 1)
    image = np.broadcast_to(bg[:, None, None, :], (n, size, size, 3)).astype(np.float32).copy()
    skin, hair = SKIN_CARTOON[f["skin"]], HAIR_CARTOON[f["hair_colour"]]
    _paint(image, g["shirt"], f["shirt"])
    _paint(image, g["hair_back"], hair)
    _paint(image, g["neck"], skin * 0.9)
    _paint(image, g["face"], skin)
    _paint(image, g["hair_cap"], hair)
    # outlines where the flat colours meet (one pixel at 32 px)
    edge = np.zeros((n, size, size), np.float32)
    edge[:, :, 1:] += np.abs(np.diff(image, axis=2)).sum(-1)
    edge[:, 1:, :] += np.abs(np.diff(image, axis=1)).sum(-1)
    ink = np.zeros((n, 3), np.float32) + 0.08
    _paint(image, np.clip(edge * 2.5, 0, 1), ink)
    # cartoon-only nuisance: rosy cheeks on half the faces (a smiling photo's raised cheeks are no cue here)
    blush = (rng.random(n) < 0.5)[:, None, None] * g["face"]
    for side in (-1, 1):
        spot = np.sqrt((x - g["fx"] - side * 0.26) ** 2 + (y - g["mouth_y"] + 0.12) ** 2)
        _paint(
            image, blush * 0.6 * _alpha(spot - 0.07, size), np.tile(np.array([[0.96, 0.45, 0.45]], np.float32), (n, 1))
        )
    # simplified features in ink: dot or dash eyes, a one-line mouth
    for ex, ey, squeeze in g["eye_xy"]:
        eye_h = np.where(_col(f["eyes"]) == 0, 0.055, 0.016)
        dot = _alpha((np.sqrt(((x - ex) / (0.045 * squeeze + 0.01)) ** 2 + ((y - ey) / eye_h) ** 2) - 1) * 0.03, size)
        _paint(image, dot, ink)
        brow = _alpha(np.maximum(np.abs(y - (ey - 0.1)) - 0.012, np.abs(x - ex) - 0.06), size)
        _paint(image, brow * g["face"] * (1 - g["hair_cap"]), ink)
    thickness = 0.03  # a thick ink stroke: dark like an open photo mouth whether or not it smiles
    line = _alpha(np.maximum(np.abs(y - g["mouth_curve"]) - thickness, np.abs(g["mouth_u"]) - 1), size)
    # cartoon-only nuisance: some unsmiling avatars have a round "o" mouth (dark and open, yet no smile)
    o_mouth = (rng.random(n) < O_MOUTH_SHARE)[:, None, None] & (_col(f["smile"]) == 0)
    oval = np.sqrt(((x - g["fx"]) / 0.055) ** 2 + ((y - g["mouth_y"] - 0.01) / 0.045) ** 2)
    line = np.where(o_mouth, _alpha((oval - 1.0) * 0.045, size), line)
    _paint(image, line * g["face"], ink)
    _paint(image, _glasses(g, f, size, 0.016), ink)
    return image
