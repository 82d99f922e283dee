"""Inference for the Image-to-3D tab: one image -> voxel grid, mesh files (.glb/.obj/.stl), silhouette and pose."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import trimesh
from scipy import ndimage
from skimage import measure

from vtl_models.common import InvalidInput, PictureCache, to_numpy
from vtl_models.domain import DomainScorer, Verdict
from vtl_models.hub import ModelCard
from vtl_models.hub import load_model as load_from_card
from vtl_models.images import center_square, resize, to_rgb, to_tensor
from vtl_models.render import Camera
from vtl_models.shape3d.limits import SMOOTHING_RANGE, THRESHOLD_RANGE
from vtl_models.shape3d.model import ShapeNet3D, ShapeNetConfig

OBJECT_FILL = 0.66  # typical side of the object's box / image side in the training renders


@dataclass
class Shape3DResult:
    """What the tab shows: the mesh, silhouette, pose and the model input."""

    mesh: trimesh.Trimesh  # vertex-coloured, watertight where the grid allows; export it with mesh.export(path)
    silhouette: np.ndarray  # (S, S, 3) uint8: the model input with the predicted mask tinted
    azimuth: float
    elevation: float
    azimuth_confidence: float
    model_input: np.ndarray  # (64, 64, 3) uint8
    background_removed: bool
    watertight: bool
    domain: Verdict | None  # how far the framed object lies from the rendered training objects


def plain_background(image: np.ndarray, tolerance: float = 18.0) -> np.ndarray | None:
    """Foreground mask if the border is one plain colour (else None): pixels far from the border's median colour."""
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]).astype(np.float32)
    colour = np.median(border, axis=0)
    if np.median(np.linalg.norm(border - colour, axis=1)) > tolerance / 2:
        return None  # cluttered or gradient border: leave the image alone
    foreground = np.linalg.norm(image.astype(np.float32) - colour, axis=2) > tolerance
    foreground = ndimage.binary_opening(foreground, iterations=1)
    labels, n = ndimage.label(foreground)
    if n == 0:
        return None
    sizes = ndimage.sum(foreground, labels, range(1, n + 1))
    keep = sizes >= 0.05 * sizes.max()  # drop specks, keep all sizeable pieces (a lamp's shade and base)
    return ndimage.binary_fill_holes(keep[labels - 1] & (labels > 0))


def frame_object(image: np.ndarray, remove_background: bool) -> tuple[np.ndarray, bool]:
    """Crop a square around the object so it fills the frame as in training; (crop, whether background was found)."""
    mask = plain_background(image) if remove_background else None
    height, width = image.shape[:2]
    if mask is None or mask.sum() < 16:
        return center_square(image), False  # no plain background: a centred square, as the user framed it
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    cy, cx = (rows[0] + rows[-1]) / 2, (cols[0] + cols[-1]) / 2
    side = max(rows[-1] - rows[0], cols[-1] - cols[0]) / OBJECT_FILL
    background = np.median(np.concatenate([image[0], image[-1]]), axis=0).astype(np.uint8)
    # Pad with the background colour so the square may extend past the image edges.
    pad = int(side)
    canvas = np.empty((height + 2 * pad, width + 2 * pad, 3), np.uint8)
    canvas[:] = background
    canvas[pad : pad + height, pad : pad + width] = image
    top, left = int(round(cy - side / 2)) + pad, int(round(cx - side / 2)) + pad
    return canvas[top : top + int(side), left : left + int(side)], True


def grid_to_mesh(voxels: np.ndarray, threshold: float = 0.5, smoothing: float = 0.0) -> trimesh.Trimesh:
    """Marching cubes (scikit-image) on a padded [z, y, x] probability grid -> a closed mesh in world units."""
    grid = ndimage.gaussian_filter(voxels, smoothing) if smoothing > 0 else voxels
    if grid.max() <= threshold:
        raise InvalidInput(
            f"no voxel is above the threshold {threshold:.2f} (highest {grid.max():.2f}): lower the threshold or "
            "try an image with one clear object"
        )
    padded = np.pad(grid, 1)  # zero border: the surface closes, so the mesh is watertight
    verts, faces, _, _ = measure.marching_cubes(padded, level=threshold)
    size = voxels.shape[0]
    world = (verts[:, ::-1] - 1 + 0.5) / size - 0.5  # (z, y, x) index -> (x, y, z) world
    mesh = trimesh.Trimesh(world, faces[:, ::-1], process=True)  # axis swap flips the winding back outwards
    if mesh.volume < 0:
        mesh.invert()
    return mesh


def colour_from_image(mesh: trimesh.Trimesh, image: np.ndarray, azimuth: float, elevation: float) -> np.ndarray:
    """Vertex colours (V, 4) uint8 sampled from the input by projecting each vertex with the predicted pose."""
    from vtl_models.shape3d.data import camera_for

    camera: Camera = camera_for(azimuth, elevation)
    clip = (camera.projection_matrix() @ camera.view_matrix() @ np.c_[mesh.vertices, np.ones(len(mesh.vertices))].T).T
    ndc = clip[:, :2] / clip[:, 3:4]
    size = image.shape[0]
    cols = np.clip(((ndc[:, 0] + 1) / 2 * size).astype(int), 0, size - 1)
    rows = np.clip(((1 - ndc[:, 1]) / 2 * size).astype(int), 0, size - 1)
    rgb = image[rows, cols]
    return np.c_[rgb, np.full(len(rgb), 255, np.uint8)]


def build(card: ModelCard) -> ShapeNet3D:
    """The network a shape3d card describes (untrained: `load_model` fills it)."""
    config = ShapeNetConfig(**{**card.config, "voxel_channels": tuple(card.config["voxel_channels"])})
    return ShapeNet3D(config, pretrained=False)  # every weight comes from the card's file


def load_model(name: str = "default", device: torch.device | str = "cpu") -> tuple[ShapeNet3D, ModelCard]:
    """The model of weights/shape3d/<name> on `device` in eval mode, and its card."""
    return load_from_card("shape3d", name, build, device)


@dataclass(frozen=True)
class View:
    """What the network sees and says of one picture (before the threshold and smoothing make a mesh)."""

    model_input: np.ndarray  # the framed object at the network's size, uint8 RGB
    background_removed: bool
    voxels: np.ndarray  # occupancy probabilities (D, H, W)
    azimuth_probs: np.ndarray  # over the azimuth bins
    elevation: float
    silhouette: np.ndarray  # the predicted mask over the input, uint8 RGB
    domain: Verdict | None


class Shape3DPredictor:
    """The trained model with pre- and post-processing; thread-safe for inference."""

    def __init__(self, device: torch.device, name: str = "default"):
        self.device = torch.device(device)
        self.model, self.card = load_model(name, self.device)
        self.size = self.model.config.image_size
        self.input = self.card.raw["input"]  # size and normalisation the model was trained with
        self.threshold = float(self.card.raw["threshold"])  # fitted on validation views
        self.domain = DomainScorer("shape3d", self.device)
        self.views = PictureCache()  # what the network sees and says of a picture; threshold and smoothing come after

    @torch.inference_mode()
    def predict(
        self, image, remove_background: bool = True, threshold: float | None = None, smoothing: float = 0.5
    ) -> Shape3DResult:
        """Reconstruct the object in `image` (anything to_rgb accepts); threshold None = the card's fitted one."""
        threshold = self.threshold if threshold is None else threshold
        if not THRESHOLD_RANGE[0] <= threshold <= THRESHOLD_RANGE[1]:
            raise InvalidInput("the threshold must be between {:g} and {:g}".format(*THRESHOLD_RANGE))
        if not SMOOTHING_RANGE[0] <= smoothing <= SMOOTHING_RANGE[1]:
            raise InvalidInput("the smoothing must be between {:g} and {:g} voxels".format(*SMOOTHING_RANGE))
        rgb = to_rgb(image)
        view = self.views.get(rgb, lambda: self.look(rgb, remove_background), option=bool(remove_background))
        small, voxels, probs = view.model_input, view.voxels, view.azimuth_probs
        azimuth = float(probs.argmax() * 360.0 / len(probs))
        mesh = grid_to_mesh(voxels, threshold, smoothing)
        mesh.visual = trimesh.visual.ColorVisuals(
            mesh, vertex_colors=colour_from_image(mesh, small, azimuth, view.elevation)
        )
        return Shape3DResult(
            mesh=mesh,
            silhouette=view.silhouette,
            azimuth=azimuth,
            elevation=view.elevation,
            azimuth_confidence=float(probs.max()),
            model_input=small,
            background_removed=view.background_removed,
            watertight=bool(mesh.is_watertight),
            domain=view.domain,
        )

    @torch.inference_mode()
    def look(self, rgb: np.ndarray, remove_background: bool) -> View:
        """The picture framed as the network sees it, and the network's voxels, pose, silhouette and domain check."""
        crop, removed = frame_object(rgb, remove_background)
        small = resize(crop, self.size)
        out = self.model(to_tensor(small, self.input, self.device))
        return View(
            model_input=small,
            background_removed=removed,
            voxels=to_numpy(torch.sigmoid(out["voxel_logits"])[0]),
            azimuth_probs=to_numpy(torch.softmax(out["azimuth_logits"][0], 0)),
            elevation=float(out["elevation"][0]),
            silhouette=silhouette_overlay(small, to_numpy(torch.sigmoid(out["mask_logits"])[0])),
            domain=self.domain(small),
        )


def silhouette_overlay(image: np.ndarray, mask: np.ndarray, size: int = 192) -> np.ndarray:
    """The model input upscaled, darkened outside the predicted silhouette and tinted inside it."""
    big = resize(image, size).astype(np.float32)
    m = resize(np.repeat((mask * 255).astype(np.uint8)[..., None], 3, 2), size)[..., :1].astype(np.float32) / 255
    tint = np.array([40, 200, 120], np.float32)
    out = big * (0.35 + 0.65 * m) * (1 - 0.35 * m) + tint * 0.35 * m
    return np.clip(out, 0, 255).astype(np.uint8)


def load_predictor(device: torch.device, name: str = "default") -> Shape3DPredictor:
    """Build the predictor from weights/shape3d/<name> (sha256-checked) on `device`."""
    return Shape3DPredictor(device, name)
