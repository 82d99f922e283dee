"""A catalogue OBJ as the procedural generator's objects are: upright, normalised, coloured, and a solid 32^3 grid.

Frame (as shapes.py): y up, the front faces +z, bounding box centred with its longest side `EXTENT`; grids are
indexed [z, y, x] over [-0.5, 0.5]^3. Colours are per vertex: a material's diffuse map sampled at the vertex's UV
(large textured triangles are first cut to `TEXEL_EDGE` so the map survives as vertex colours), else its Kd colour.
Transparency (the MTL's `d`) is ignored: glass renders opaque, and its voxels are set like any other surface's.

Voxelisation: the surface is cut into triangles shorter than half a voxel and every vertex marks its voxel (the
shell); then every empty voxel the grid's border cannot reach through empty voxels is filled
(scipy's binary_fill_holes). The meshes are not watertight: a shell with a gap wider than a voxel stays hollow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh
from scipy import ndimage

from vtl_models.shape3d.shapes import EXTENT, GRID, voxel_centres

TEXEL_EDGE = 0.03  # ~1.3 px of the 64-px input at the training camera: finer texture detail is averaged away anyway
SYMMETRY_IOU = 0.9  # share of a turned grid that must fall on (or next to) the grid itself


@dataclass
class FurnitureMesh:
    """A normalised model: mesh with per-vertex colours, its solid grid and what the grid says about it."""

    vertices: np.ndarray  # (V, 3) float32, the generator's frame
    faces: np.ndarray  # (F, 3) int64
    colors: np.ndarray  # (V, 3) uint8
    voxels: np.ndarray  # (32, 32, 32) bool [z, y, x]
    shell_voxels: int  # voxels the surface touches; voxels.sum() - shell_voxels were filled as interior
    symmetry: int  # k-fold about y, 0 = round (as shapes.Shape.symmetry)
    seconds: float  # load + normalise + colour + voxelise


def upright_rotation(rotation: tuple[float, ...] | None, raw_extent: np.ndarray, size_cm: tuple) -> np.ndarray:
    """3x3 R with v' = R v: the catalogue's `modelRotation` (row-major), then a quarter turn about y when that
    puts the catalogue's width along x (two Scopia tables list width and depth for the unrotated model)."""
    r = np.eye(3) if rotation is None else np.asarray(rotation, float).reshape(3, 3)
    extent = np.abs(r) @ raw_extent
    width, _, depth = size_cm
    if (extent[0] - extent[2]) * (width - depth) < 0 and abs(width - depth) > 0.1 * max(width, depth):
        r = np.array([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]]) @ r
    return r


def sample_texture(image: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """Nearest texel of an (H, W, 3) map at each UV (repeating, v up as in OBJ)."""
    h, w = image.shape[:2]
    cols = np.floor(np.mod(uv[:, 0], 1.0) * w).astype(int) % w
    rows = np.floor((1.0 - np.mod(uv[:, 1], 1.0)) * h).astype(int) % h
    return image[rows, cols]


def _cut_textured(vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray) -> tuple[np.ndarray, ...]:
    """Split every triangle longer than TEXEL_EDGE into four (UVs interpolated) until none is."""
    for _ in range(8):
        corners = vertices[faces]
        longest = np.linalg.norm(corners - np.roll(corners, 1, axis=1), axis=2).max(1)
        big = np.flatnonzero(longest > TEXEL_EDGE)
        if not len(big):
            break
        vertices, faces, attributes = trimesh.remesh.subdivide(vertices, faces, big, vertex_attributes={"uv": uv})
        uv = attributes["uv"]
    return vertices, faces, uv


def part_colours(geometry: trimesh.Trimesh, vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vertices, faces, uint8 colours) of one material's part (`vertices` already normalised), textured parts cut
    finer first."""
    faces = np.asarray(geometry.faces, np.int64)
    material = getattr(geometry.visual, "material", None)
    image = getattr(material, "image", None)
    uv = getattr(geometry.visual, "uv", None)
    if image is not None and uv is not None and len(uv) == len(vertices):
        vertices, faces, uv = _cut_textured(vertices, faces, np.asarray(uv, np.float64))
        return vertices, faces, sample_texture(np.asarray(image.convert("RGB")), uv)
    diffuse = getattr(material, "diffuse", None)
    colour = np.asarray(diffuse[:3] if diffuse is not None else (178, 178, 178), np.uint8)
    return vertices, faces, np.broadcast_to(colour, (len(vertices), 3)).copy()


def voxelise(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, int]:
    """Solid (32, 32, 32) [z, y, x] grid of a normalised mesh and the number of its shell voxels (see module doc)."""
    points, _ = trimesh.remesh.subdivide_to_size(vertices, faces, max_edge=0.5 / GRID, max_iter=12)
    index = np.clip(np.floor((points + 0.5) * GRID).astype(int), 0, GRID - 1)
    shell = np.zeros((GRID, GRID, GRID), bool)
    shell[index[:, 2], index[:, 1], index[:, 0]] = True
    return ndimage.binary_fill_holes(shell), int(shell.sum())


def rotational_symmetry(voxels: np.ndarray) -> int:
    """k-fold symmetry about y read off the grid: 0 (round) if it matches itself turned by 45 and 90 degrees,
    else 4, 2 or 1 by the quarter and half turns. A match: at least SYMMETRY_IOU of the turned grid's voxels lie
    within one voxel of the grid (nearest-voxel turns of one-voxel shells never match exactly)."""
    x, y, z = voxel_centres().T
    near = ndimage.binary_dilation(voxels)

    def match(degrees: float) -> bool:
        a = np.radians(degrees)
        turned = np.column_stack([np.cos(a) * x + np.sin(a) * z, y, -np.sin(a) * x + np.cos(a) * z])
        index = np.clip(np.floor((turned + 0.5) * GRID).astype(int), 0, GRID - 1)
        moved = voxels[index[:, 2], index[:, 1], index[:, 0]].reshape(voxels.shape)
        return (moved & near).sum() >= SYMMETRY_IOU * moved.sum() and moved.sum() >= SYMMETRY_IOU * voxels.sum()

    if match(90):
        return 0 if match(45) else 4
    return 2 if match(180) else 1


def load_furniture(obj: Path, rotation: tuple[float, ...] | None, size_cm: tuple) -> FurnitureMesh:
    """Load, stand upright, normalise, colour and voxelise one catalogue OBJ."""
    start = time.perf_counter()
    scene = trimesh.load(obj, process=False)
    parts = list(scene.geometry.values()) if isinstance(scene, trimesh.Scene) else [scene]
    raw = np.concatenate([p.vertices for p in parts])
    r = upright_rotation(rotation, raw.max(0) - raw.min(0), size_cm)
    lo, hi = (raw @ r.T).min(0), (raw @ r.T).max(0)
    scale = EXTENT / (hi - lo).max()
    verts, faces, colours, offset = [], [], [], 0
    for part in parts:
        v, f, c = part_colours(part, (np.asarray(part.vertices) @ r.T - (lo + hi) / 2) * scale)
        verts.append(v)
        faces.append(f + offset)
        colours.append(c)
        offset += len(v)
    vertices, faces = np.concatenate(verts).astype(np.float32), np.concatenate(faces)
    voxels, shell = voxelise(vertices, faces)
    return FurnitureMesh(
        vertices=vertices,
        faces=faces,
        colors=np.concatenate(colours).astype(np.uint8),
        voxels=voxels,
        shell_voxels=shell,
        symmetry=rotational_symmetry(voxels),
        seconds=time.perf_counter() - start,
    )
