"""Inference API of the Labels + attention tab: image -> labels in emitted order, confidences, attention maps."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from vtl_models.backbones import Backbone
from vtl_models.common import PictureCache
from vtl_models.domain import DomainScorer, Features, Verdict
from vtl_models.hub import ModelCard, load_model
from vtl_models.images import fit_longest_side, resize, to_rgb, to_tensor
from vtl_models.multilabel.decode import beam_search
from vtl_models.multilabel.limits import MAX_BEAM
from vtl_models.multilabel.model import CNNBCE, MultilabelConfig, OrderFreeRNN
from vtl_models.multilabel.scenes import SIZE
from vtl_models.multilabel.vocab import LABELS

MAX_SIDE = 1024  # the model looks at 128 px; a smaller copy keeps resizing cheap


def load_head(name: str = "default", device: torch.device | str = "cpu") -> tuple[torch.nn.Module, ModelCard]:
    """Rebuild a trained head (Order-Free RNN or a baseline) from its card and sha256-checked weights."""
    return load_model("multilabel", name, build, device)


def build(card: ModelCard) -> torch.nn.Module:
    """The head a multilabel card describes (untrained: `load_head` fills it)."""
    config = dict(card.config)
    config["in_channels"] = tuple(config["in_channels"])
    cfg = MultilabelConfig(**config)
    return CNNBCE(cfg) if card.raw["architecture"] == "CNNBCE" else OrderFreeRNN(cfg)


@dataclass
class Prediction:
    """Labels in emitted order with their step probability and (h, w) attention map, and the image they are of."""

    labels: list[str]
    confidences: list[float]
    attention: list[np.ndarray]
    image: np.ndarray  # uint8 RGB as converted (longest side <= MAX_SIDE)
    domain: Verdict | None  # how far the image lies from the generated scenes the model was trained on


def overlay(base: np.ndarray, attention: np.ndarray) -> np.ndarray:
    """Blend a heat-map of `attention` (h, w) over `base` (uint8 RGB, square: the image already resized)."""
    size = base.shape[0]
    base = base.astype(np.float32)
    heat = cv2.resize(attention.astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    heat = (heat - heat.min()) / max(float(heat.max() - heat.min()), 1e-8)
    colour = cv2.applyColorMap((heat * 255).astype(np.uint8), cv2.COLORMAP_JET)[..., ::-1].astype(np.float32)
    weight = 0.25 + 0.45 * heat[..., None]  # the image stays readable where attention is low
    return (base * (1 - weight) + colour * weight).clip(0, 255).astype(np.uint8)


class MultilabelPredictor:
    """Frozen EfficientNet-Lite0 + the trained Order-Free RNN head."""

    def __init__(self, device: torch.device, name: str = "default"):
        self.device = torch.device(device)
        self.backbone = Backbone().to(self.device)
        self.model, self.card = load_head(name, self.device)
        self.input = self.card.raw["input"]  # size and normalisation of the trunk's pass the head was trained on
        self.domain = DomainScorer("multilabel", self.device, Features(self.device, self.backbone, self.input["size"]))
        self.default_beam = int(self.card.raw["decoding"]["beam"])  # chosen on validation scenes at training time
        self.trunk_maps = PictureCache()  # the trunk's pass depends on the picture alone, not on beam or threshold

    @torch.inference_mode()
    def predict(self, image, beam: int | None = None, threshold: float = 0.0) -> Prediction:
        """Any image to_rgb accepts -> labels emitted by beam search (width `beam`, by default the card's),
        dropping those below `threshold` confidence."""
        image = fit_longest_side(to_rgb(image), MAX_SIDE)
        beam = int(np.clip(self.default_beam if beam is None else beam, 1, MAX_BEAM))
        # The model saw SIZE x SIZE scenes; photos of any shape are squeezed to that square, as the scenes were drawn.
        scene = resize(image, SIZE) if image.shape[:2] != (SIZE, SIZE) else image
        f16, f32 = self.trunk_maps.get(scene, lambda: self.backbone(to_tensor(scene, self.input, self.device)))
        out = beam_search(self.model, f16, f32, beam=beam)
        side = f16.shape[-1]
        keep = [i for i, p in enumerate(out.probs[0]) if p >= threshold]
        return Prediction(
            labels=[LABELS[out.order[0][i]] for i in keep],
            confidences=[out.probs[0][i] for i in keep],
            attention=[out.attention[0][i].reshape(side, side) for i in keep],
            image=image,
            domain=self.domain.from_pooled(Features.pool(f32)),
        )

    @staticmethod
    def overlays(prediction: Prediction, size: int = 256) -> list[np.ndarray]:
        """One attention overlay per predicted label, on the image as the model saw it (squeezed to a square)."""
        base = resize(prediction.image, size)  # once for every label
        return [overlay(base, att) for att in prediction.attention]


def load_predictor(device: torch.device, name: str = "default") -> MultilabelPredictor:
    """Build the predictor from weights/multilabel/<name> (sha256-checked) on `device`."""
    return MultilabelPredictor(device, name)
