"""Inference for the Smile transfer tab: find the face, encode it, decode it in both domains with the smile set.

A face (real photo, procedural photo or cartoon) -> Haar face detection (largest face, or a centre crop) -> crop
framed like the training faces -> the domain's encoder E -> (z, l) -> the generator's two domain branches with the
smile code switched off / on / to a slider value. Outputs are upscaled smoothly for display.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from vtl_models.common import InvalidInput, PictureCache, per_thread
from vtl_models.domain import DomainScorer, Verdict, check_name
from vtl_models.hub import ModelCard
from vtl_models.hub import load_model as load_from_card
from vtl_models.images import center_square, to_image, to_rgb, to_tensor
from vtl_models.smile.limits import DOMAINS, MAX_SAMPLES, STRENGTH_RANGE, cartoons_of, check_world
from vtl_models.smile.model import CDRD, CDRDConfig, attribute_code

DISPLAY = 256  # side of each displayed face


@dataclass
class FaceCrop:
    """The crop given to the encoder and how it was found."""

    image: np.ndarray  # uint8 (S, S, 3), the model's input size
    found_face: bool
    message: str
    square: np.ndarray  # the same crop at its original resolution


@per_thread  # detectMultiScale is not thread-safe: each request thread has its own cascade
def _cascade() -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():
        raise RuntimeError("OpenCV's Haar face cascade is missing (opencv-python-headless 4.14 ships it)")
    return cascade


@dataclass
class SmileTransfer:
    """One face translated: uint8 RGB pictures (faces DISPLAY px), the domain it was read as, the smile estimate."""

    grid: np.ndarray  # rows photo, cartoon; columns smile off, on
    photo: np.ndarray  # the photo at the requested smile strength
    cartoon: np.ndarray  # the cartoon at the requested smile strength
    input_crop: np.ndarray  # the face crop the encoder was given, upscaled
    domain: str  # the domain the input was read as
    smile_probability: float  # the model's smile estimate for the input
    message: str  # how the face was found
    domain_check: Verdict | None  # the face as the model sees it against the training faces (None: no check)

    @property
    def at_slider(self) -> np.ndarray:
        """The photo and the cartoon at the requested strength, side by side."""
        return np.concatenate([self.photo, self.cartoon], 1)


def face_view(size: int) -> Callable[[np.ndarray], np.ndarray]:
    """What the model (and so the domain check) sees of an image: its framed face at `size` pixels."""
    return lambda image: crop_face(image, size, _cascade()).image


def crop_face(image: np.ndarray, size: int, cascade: cv2.CascadeClassifier) -> FaceCrop:
    """Largest detected face, framed like the training faces (hair and chin inside), resized to `size`."""
    height, width = image.shape[:2]
    scale = min(1.0, 640 / max(height, width))  # detect on a bounded copy: huge photos stay fast
    small = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    grey = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    minimum = max(16, min(small.shape[:2]) // 8)
    faces = cascade.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(minimum, minimum))
    if len(faces) == 0:
        crop, found = center_square(image), False
        message = "No face was found, so the centre of the image was used; a frontal face fills the frame best."
    else:
        x, y, w, h = (v / scale for v in max(faces, key=lambda f: f[2] * f[3]))
        # the training faces fill about half the frame, a little below the centre: widen the Haar box to match
        side = 1.75 * max(w, h)
        cx, cy = x + w / 2, y + h / 2 + 0.05 * h
        left, top = round(cx - side / 2), round(cy - side / 2)
        pad = max(0, -left, -top, left + round(side) - width, top + round(side) - height)
        padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        crop = padded[top + pad : top + pad + round(side), left + pad : left + pad + round(side)]
        found = True
        message = f"Found {len(faces)} face(s); using the largest."
    resized = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return FaceCrop(resized, found, message, crop)


def guess_domain(image: np.ndarray) -> str:
    """'cartoon' for flat-coloured images (most pixels equal to a neighbour), else 'photo'."""
    if min(image.shape[:2]) > 128:  # compare neighbours at <= 128 px; never upscale (copies would look flat)
        image = cv2.resize(image, (128, 128), interpolation=cv2.INTER_AREA)
    small = image.astype(np.int16)
    flat = (np.abs(np.diff(small, axis=1)).sum(-1) <= 3).mean()
    return "cartoon" if flat > 0.5 else "photo"


def upscale(image: np.ndarray, side: int = DISPLAY) -> np.ndarray:
    """Smooth (bicubic) upscaling of a small face for display."""
    return cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC)


class SmilePredictor:
    """CDRD with its committed weights; every method returns uint8 RGB arrays."""

    def __init__(self, model: CDRD, card: ModelCard):
        self.model, self.card = model, card
        self.device = next(model.parameters()).device
        self.input = card.raw["input"]  # size and normalisation the model was trained with
        self.size = model.cfg.size
        # the check of the world the weights were trained on: procedural faces, or photos and Lorelei cartoons
        self.domain = DomainScorer("smile", self.device, name=check_name(check_world(cartoons_of(card))))
        # the face crop and its domain check depend on the picture alone: a new strength or domain reuses them
        self.crops, self.domain_checks = PictureCache(), PictureCache()

    def prepare(self, image, domain: str = "auto") -> tuple[torch.Tensor, int, FaceCrop]:
        """User image -> model input (1, 3, S, S), domain index and the crop."""
        rgb = to_rgb(image)
        crop = self.crops.get(rgb, lambda: crop_face(rgb, self.size, _cascade()))
        if domain == "auto":
            domain = guess_domain(crop.square)
        if domain not in DOMAINS:
            raise InvalidInput(f"domain must be one of auto, {', '.join(DOMAINS)}; got {domain!r}")
        return to_tensor(crop.image, self.input, self.device), DOMAINS.index(domain), crop

    @torch.inference_mode()
    def predict(self, image, strength: float = 1.0, domain: str = "auto") -> SmileTransfer:
        """Translate a face: 2x2 grid (rows photo/cartoon, columns smile off/on), slider outputs, smile estimate."""
        low, high = STRENGTH_RANGE
        if not low <= float(strength) <= high:
            raise InvalidInput(f"the smile strength must be between {low:g} and {high:g}")
        x, d, crop = self.prepare(image, domain)
        smiles = torch.tensor([0.0, 1.0, float(strength)], device=self.device)
        out = self.model.translate(x.expand(3, -1, -1, -1), d, smiles)  # (3 smiles, 2 domains, 3, S, S)
        faces = {(dom, s): upscale(to_image(out[i, j : j + 1], self.input)[0]) for j, dom in enumerate(DOMAINS)
                 for i, s in enumerate(("off", "on", "slider"))}  # fmt: skip
        grid = np.concatenate(
            [np.concatenate([faces[(dom, "off")], faces[(dom, "on")]], 1) for dom in DOMAINS], 0
        )  # rows: photo, cartoon; columns: smile off, on
        smiling = float(self.model.classify(x, d)[0])
        return SmileTransfer(
            grid=grid,
            photo=faces[("photo", "slider")],
            cartoon=faces[("cartoon", "slider")],
            input_crop=upscale(crop.image),
            domain=DOMAINS[d],
            smile_probability=smiling,
            message=crop.message,
            # the face as the model sees it, like the bank's faces
            domain_check=self.domain_checks.get(crop.image, lambda: self.domain(crop.image)),
        )

    @torch.inference_mode()
    def sample(self, seed: int, n: int = 4) -> np.ndarray:
        """New random faces: for each latent (column), photo/cartoon rows with the smile off then on."""
        n = int(min(max(n, 1), MAX_SAMPLES))
        columns = []
        for s in (0.0, 1.0):
            smile = torch.full((n,), s, device=self.device)
            columns.append(self.model.sample(n, smile, seed=int(seed) % 2**31))
        # rows: photo off, photo on, cartoon off, cartoon on
        rows = [to_image(columns[s][:, dom], self.input) for dom in (0, 1) for s in (0, 1)]
        side = DISPLAY // 2
        return np.concatenate([np.concatenate([upscale(f, side) for f in row], 1) for row in rows], 0)


def build(card: ModelCard) -> CDRD:
    """The network a smile card describes (untrained: `load_model` fills it)."""
    return CDRD(CDRDConfig(**card.config))


def load_model(name: str = "default", device: torch.device | str = "cpu") -> tuple[CDRD, ModelCard]:
    """The model of weights/smile/<name> on `device` in eval mode, and its card."""
    return load_from_card("smile", name, build, device)


def load_predictor(device: torch.device, name: str = "default") -> SmilePredictor:
    """Build the predictor from weights/smile/<name> (sha256-checked) on `device`."""
    return SmilePredictor(*load_model(name, device))


__all__ = ["SmilePredictor", "SmileTransfer", "load_predictor", "crop_face", "guess_domain", "attribute_code"]
