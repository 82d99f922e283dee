"""Inference API of the Person search tab: a query person (crop or whole frame) -> ranked gallery matches.

The gallery (demos/examples/reid/gallery.jpg + .npz: 1,000 crops of target A's demo identities + vtest.avi
tracklet crops) is embedded once; its features are cached in a file keyed by the weights' sha256, so a search is
one matrix product. Past a million crops the matrix product would move to a vector index (faiss IndexFlatIP, then
IVF-PQ) over the same L2-normalised features.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from vtl_models.common import InvalidInput, PictureCache, to_numpy
from vtl_models.domain import DomainScorer, Verdict
from vtl_models.hub import ModelCard, load_model, read_card
from vtl_models.images import fit_longest_side, resize, to_rgb, to_tensor
from vtl_models.reid.data import HEIGHT, WIDTH
from vtl_models.reid.limits import MAX_PEOPLE, MAX_TOP_K
from vtl_models.reid.model import ARN, ARNConfig, SharedEmbedder, Trunk
from vtl_models.reid.shipped import SHIPPED_FEATURES, load_gallery

log = logging.getLogger("vtl.reid")
CACHE = Path(__file__).resolve().parents[2] / "data" / "reid" / "gallery_features"  # for weights without shipped ones
CROP_ASPECT = (1.4, 4.0)  # height / width of an image taken as a person crop (the model's crops: 2.0)
CROP_MAX_HEIGHT = 600  # px: taller images are camera frames, whatever their shape


def build_encoder(card: ModelCard) -> SharedEmbedder:
    """The module a card's weights fill: the whole ARN, or a baseline's shared encoder alone."""
    cfg = ARNConfig(**card.config)
    return ARN(cfg) if card.raw.get("method", "arn") == "arn" else SharedEmbedder(cfg)


def load_encoder(name: str = "default", device: torch.device | str = "cpu") -> SharedEmbedder:
    """An ARN (or a baseline's shared encoder) rebuilt from its card and sha256-checked weights."""
    return load_model("reid", name, build_encoder, device)[0]


def is_person_crop(image: np.ndarray) -> bool:
    """A tall, small image is taken as a person crop; anything else as a camera frame to detect people in."""
    h, w = image.shape[:2]
    return CROP_ASPECT[0] <= h / w <= CROP_ASPECT[1] and h <= CROP_MAX_HEIGHT


@dataclass
class Match:
    """One gallery item in the ranking."""

    index: int
    score: float  # cosine similarity of shared features
    camera: str
    identity: int | None  # known for the procedural gallery and vtest tracklets (pseudo-identity)
    crop: np.ndarray


@dataclass
class SearchResult:
    """The query actually searched, the people found in a frame (if one was given) and the top matches."""

    query: np.ndarray
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.int64))
    person: int | None = None  # which detected box was the query (0-based)
    matches: list[Match] = field(default_factory=list)
    domain: Verdict | None = None  # how far the query lies from the generated pedestrians the model was trained on
    frame: np.ndarray | None = None  # the frame the boxes are in (uint8, at most 1280 px a side), if one was given


class ReidPredictor:
    """Frozen trunk + ARN shared encoder; gallery features held in memory."""

    def __init__(self, device: torch.device, name: str = "default"):
        self.device = torch.device(device)
        self.trunk = Trunk().to(self.device)
        self.model = load_encoder(name, self.device)
        card = read_card("reid", name)
        self.sha256, self.input = card.sha256, card.raw["input"]  # input: crop size and the trunk's normalisation
        gallery = load_gallery()
        self.crops, self.identities, self.cameras = gallery["crops"], gallery["identity"], gallery["camera"]
        self.camera_names = gallery["camera_names"]
        self.gallery = torch.from_numpy(self._gallery_features()).to(self.device)
        self.domain = DomainScorer("reid", self.device)  # the query only: the gallery is the tab's own
        # a frame's people and a query's check and feature depend on the picture alone, not on top_k or the camera
        self.detections, self.queries = PictureCache(), PictureCache()

    def _gallery_features(self) -> np.ndarray:
        if SHIPPED_FEATURES.exists():  # computed by `python -m vtl_models.reid.gallery` for the shipped weights
            shipped = np.load(SHIPPED_FEATURES)
            if str(shipped["sha256"]) == self.sha256 and len(shipped["features"]) == len(self.crops):
                return shipped["features"].astype(np.float32)
        path = CACHE / f"{self.sha256[:16]}.npy"
        if path.exists():
            return np.load(path)
        log.warning(  # what made a first search take 7.5 s once: features shipped for older weights
            "no gallery features for weights %s: embedding %d crops now (~7 s on 2 CPU cores, once per machine); "
            "ship them with `python -m vtl_models.reid.gallery --features`",
            self.sha256[:12],
            len(self.crops),
        )
        features = np.concatenate([self.embed(self.crops[i : i + 256]) for i in range(0, len(self.crops), 256)])
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp.npy")
        np.save(partial, features)
        partial.replace(path)
        return features

    @torch.inference_mode()
    def embed(self, crops: np.ndarray) -> np.ndarray:
        """uint8 crops (N, 128, 64, 3) -> L2-normalised shared features (N, D)."""
        return to_numpy(self.model.embed(self.trunk(to_tensor(crops, self.input, self.device))))

    def detect(self, frame: np.ndarray) -> np.ndarray:
        """People in a frame, as x, y, w, h boxes (at most MAX_PEOPLE, most confident first)."""
        from vtl_models.reid.real import detect_people

        return detect_people(frame)[:MAX_PEOPLE]

    @torch.inference_mode()
    def predict(self, image, person: int = 1, top_k: int = 10, exclude_camera: int | None = None) -> SearchResult:
        """Search the gallery for the person in `image`.

        Args:
            image: a person crop (tall and small: `is_person_crop`) or a whole camera frame (anything `to_rgb` reads).
            person: in a frame, which detected person (1-based, most confident first) is the query.
            top_k: how many matches to return (at most MAX_TOP_K).
            exclude_camera: a gallery camera index to leave out (the query's own camera).
        """
        rgb = fit_longest_side(to_rgb(image), 1280)
        result = SearchResult(query=rgb)
        if not is_person_crop(rgb):
            from vtl_models.reid.real import crop

            result.boxes = self.detections.get(rgb, lambda: self.detect(rgb))
            result.frame = rgb
            if len(result.boxes) == 0:
                raise InvalidInput(
                    "no person found in this image: give a crop of one standing person (taller than wide), "
                    "or a camera frame where people are at least ~100 pixels tall"
                )
            if not 1 <= int(person) <= len(result.boxes):
                raise InvalidInput(f"person {person} does not exist: {len(result.boxes)} people were found")
            result.person = int(person) - 1
            result.query = crop(rgb, result.boxes[result.person])
        else:
            result.query = resize(rgb, (WIDTH, HEIGHT))
        query = result.query  # the crop the model sees
        result.domain, embedded = self.queries.get(query, lambda: (self.domain(query), self.embed(query[None])))
        feature = torch.from_numpy(embedded).to(self.device)
        scores = to_numpy(self.gallery @ feature[0])  # one matrix product over the whole gallery
        if exclude_camera is not None:
            scores = np.where(self.cameras == int(exclude_camera), -np.inf, scores)
        k = int(np.clip(top_k, 1, MAX_TOP_K))
        for i in np.argsort(-scores, kind="stable")[:k]:
            if not np.isfinite(scores[i]):
                break
            identity = int(self.identities[i])
            result.matches.append(
                Match(
                    int(i),
                    float(scores[i]),
                    self.camera_names[self.cameras[i]],
                    identity if identity >= 0 else None,
                    self.crops[i],
                )
            )
        return result


def load_predictor(device: torch.device, name: str = "default") -> ReidPredictor:
    """Build the predictor from weights/reid/<name> (sha256-checked) on `device`."""
    return ReidPredictor(device, name)
