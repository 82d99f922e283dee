"""Inference API of the Labels + attention tab: image -> labels in emitted order, confidences, attention maps."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from vtl_models.common import InvalidInput
from vtl_models.hub import ModelCard, load_weights
from vtl_models.images import resize
from vtl_models.multilabel.data import Backbone
from vtl_models.multilabel.decode import beam_search
from vtl_models.multilabel.model import CNNBCE, MultilabelConfig, OrderFreeRNN
from vtl_models.multilabel.scenes import SIZE
from vtl_models.multilabel.vocab import LABELS

MAX_BEAM = 8


def load_head(name: str = "default", device: torch.device | str = "cpu") -> tuple[torch.nn.Module, ModelCard]:
    """Rebuild a trained head (Order-Free RNN or a baseline) from its card and sha256-checked weights."""
    state, card = load_weights("multilabel", name)
    config = dict(card.config)
    config["in_channels"] = tuple(config["in_channels"])
    cfg = MultilabelConfig(**config)
    model = CNNBCE(cfg) if card.raw.get("architecture") == "CNNBCE" else OrderFreeRNN(cfg)
    model.load_state_dict(state)
    return model.to(device).eval(), card


@dataclass
class Prediction:
    """Labels in emitted order with their step probability and (h, w) attention map."""

    labels: list[str]
    confidences: list[float]
    attention: list[np.ndarray]


def overlay(image: np.ndarray, attention: np.ndarray, size: int = 256) -> np.ndarray:
    """Blend a heat-map of `attention` (h, w) over `image` (uint8 RGB), resized to size x size."""
    base = resize(image, size).astype(np.float32)
    heat = cv2.resize(attention.astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    heat = (heat - heat.min()) / max(float(heat.max() - heat.min()), 1e-8)
    colour = cv2.applyColorMap((heat * 255).astype(np.uint8), cv2.COLORMAP_JET)[..., ::-1].astype(np.float32)
    weight = 0.25 + 0.45 * heat[..., None]  # the image stays readable where attention is low
    return (base * (1 - weight) + colour * weight).clip(0, 255).astype(np.uint8)


class MultilabelPredictor:
    """Frozen EfficientNet-Lite0 + the trained Order-Free RNN head."""

    def __init__(self, device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self.backbone = Backbone().to(self.device)
        self.model, self.card = load_head("default", self.device)
        self.default_beam = int(self.card.raw["decoding"]["beam"])  # chosen on validation scenes at training time

    @torch.inference_mode()
    def predict(self, image: np.ndarray, beam: int | None = None, threshold: float = 0.0) -> Prediction:
        """uint8 RGB (H, W, 3) -> labels emitted by beam search (width `beam`, by default the card's), dropping
        those below `threshold` confidence."""
        if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InvalidInput("expected an RGB image")
        beam = int(np.clip(self.default_beam if beam is None else beam, 1, MAX_BEAM))
        # The model saw SIZE x SIZE scenes; photos of any shape are squeezed to that square, as the scenes were drawn.
        scene = resize(image, SIZE) if image.shape[:2] != (SIZE, SIZE) else image
        f16, f32 = self.backbone(torch.tensor(scene)[None].to(self.device))  # a copy: uploads may be read-only
        out = beam_search(self.model, f16, f32, beam=beam)
        side = f16.shape[-1]
        keep = [i for i, p in enumerate(out.probs[0]) if p >= threshold]
        return Prediction(
            labels=[LABELS[out.order[0][i]] for i in keep],
            confidences=[out.probs[0][i] for i in keep],
            attention=[out.attention[0][i].reshape(side, side).numpy() for i in keep],
        )

    def overlays(self, image: np.ndarray, prediction: Prediction, size: int = 256) -> list[np.ndarray]:
        """One attention overlay per predicted label, on the image as the model saw it (squeezed to a square)."""
        return [overlay(image, att, size) for att in prediction.attention]


def load_predictor(device: torch.device | str = "cpu") -> MultilabelPredictor:
    """Entry point used by demos.common.get_predictor."""
    return MultilabelPredictor(device)
