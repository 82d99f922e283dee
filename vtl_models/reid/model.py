"""ARN (Li et al., CVPRW 2018) scaled down: a frozen ImageNet trunk, shared and private encoders, a shared decoder.

crop (3, 128, 64) --trunk (EfficientNet-Lite0 stem..stage 5, frozen)--> x (112, 8, 4)
x --shared encoder E_c (two 3x3 conv layers)--> shared map -> GAP -> e_c (the re-ID feature)
x --source-private E_s / target-private E_t--> private map
shared map + private map --decoder D--> x_hat (112, 8, 4)   (reconstructs the trunk's map, not pixels)
e_c --classifier C--> source identity logits
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from vtl_models.backbones import efficientnet_lite0_features

TRUNK_CHANNELS = 112  # EfficientNet-Lite0 stride-16 map


@dataclass
class ARNConfig:
    """Sizes of the ARN heads (defaults: the shipped model)."""

    feature_dim: int = 256  # e_c, the retrieval feature
    shared_channels: int = 192
    private_channels: int = 128
    n_source_ids: int = 600

    def to_dict(self) -> dict:
        return asdict(self)


def _imagenet_net(pretrained: bool) -> nn.Module:
    return efficientnet_lite0_features(pretrained=pretrained, out_indices=(3,))


class Trunk(nn.Module):
    """The frozen early stages of the ImageNet EfficientNet-Lite0: normalised image -> stride-16 map (112 ch)."""

    def __init__(self, pretrained: bool = True):
        super().__init__()
        net = _imagenet_net(pretrained)
        self.stem = nn.Sequential(net.conv_stem, net.bn1)
        self.stages = nn.Sequential(*net.blocks[:5])
        self.requires_grad_(False)
        self.eval()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in the backbone's range -> (B, 112, H/16, W/16)."""
        return self.stages(self.stem(images))


class ImageNetHead(nn.Module):
    """The untouched ImageNet stages 6-7, globally pooled: the `imagenet_features` baseline (320-d)."""

    def __init__(self, pretrained: bool = True):
        super().__init__()
        self.stages = nn.Sequential(*copy.deepcopy(_imagenet_net(pretrained).blocks[5:]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(x).mean((2, 3))


class SharedEncoder(nn.Module):
    """E_c: two 3x3 conv layers on the trunk map (the ImageNet stages 6-7 cost 9x more per step on CPU)."""

    def __init__(self, cfg: ARNConfig):
        super().__init__()
        c = cfg.shared_channels
        self.net = nn.Sequential(
            nn.Conv2d(TRUNK_CHANNELS, c, 3, padding=1, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU(inplace=True),
            nn.Conv2d(c, cfg.feature_dim, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(cfg.feature_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, D, h/2, w/2)


class PrivateEncoder(nn.Module):
    """E_s or E_t: a small domain-private conv encoder to the shared map's shape."""

    def __init__(self, cfg: ARNConfig):
        super().__init__()
        c = cfg.private_channels
        self.net = nn.Sequential(
            nn.Conv2d(TRUNK_CHANNELS, c, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU(inplace=True),
            nn.Conv2d(c, cfg.feature_dim, 1, bias=False),
            nn.BatchNorm2d(cfg.feature_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Decoder(nn.Module):
    """D: shared + private map -> the trunk map it came from (shared by both domains)."""

    def __init__(self, cfg: ARNConfig):
        super().__init__()
        self.net = nn.Sequential(
            nn.ReLU(),
            nn.ConvTranspose2d(cfg.feature_dim, 128, 2, stride=2),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, TRUNK_CHANNELS, 3, padding=1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class SharedEmbedder(nn.Module):
    """E_c alone: what retrieval needs (the baselines ship only this)."""

    def __init__(self, cfg: ARNConfig):
        super().__init__()
        self.cfg = cfg
        self.shared_encoder = SharedEncoder(cfg)  # E_c

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Trunk maps (B, 112, h, w) -> L2-normalised shared features e_c (B, D): what retrieval compares."""
        return F.normalize(self.shared_encoder(x).mean((2, 3)), dim=1)


class ARN(SharedEmbedder):
    """The adaptation and re-identification network on trunk maps."""

    def __init__(self, cfg: ARNConfig):
        super().__init__(cfg)
        self.source_encoder = PrivateEncoder(cfg)  # E_s
        self.target_encoder = PrivateEncoder(cfg)  # E_t
        self.decoder = Decoder(cfg)  # D
        self.classifier = nn.Linear(cfg.feature_dim, cfg.n_source_ids)  # C

    def forward(self, x: torch.Tensor, domain: str) -> dict[str, torch.Tensor]:
        """Everything the losses need for one domain's batch."""
        shared_map = self.shared_encoder(x)
        private = (self.source_encoder if domain == "source" else self.target_encoder)(x)
        shared = shared_map.mean((2, 3))
        return {
            "shared": shared,
            "private": private.mean((2, 3)),
            "reconstruction": self.decoder(shared_map + private),
            "logits": self.classifier(shared) if domain == "source" else None,
        }


def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """L_rec: L1 between the decoder's output and the trunk map."""
    return F.l1_loss(x_hat, x)


def difference_loss(shared: torch.Tensor, private: torch.Tensor) -> torch.Tensor:
    """L_diff = ||H_c^T H_p||_F^2 on row-normalised, centred features: shared and private carry different things."""
    s = F.normalize(shared - shared.mean(0), dim=1)
    p = F.normalize(private - private.mean(0), dim=1)
    return (s.t() @ p).pow(2).sum() / shared.shape[0]


def mmd_loss(a: torch.Tensor, b: torch.Tensor, scales: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)) -> torch.Tensor:
    """L_mmd: multi-kernel (Gaussian, bandwidths relative to the mean distance) MMD^2 between two batches."""
    both = torch.cat([a, b])
    d2 = torch.cdist(both, both).pow(2)
    bandwidth = d2.detach().mean().clamp_min(1e-6)
    k = sum(torch.exp(-d2 / (bandwidth * s)) for s in scales)
    n = len(a)
    return k[:n, :n].mean() + k[n:, n:].mean() - 2 * k[:n, n:].mean()


def contrastive_loss(features: torch.Tensor, labels: torch.Tensor, margin: float = 0.7) -> torch.Tensor:
    """L_ctrs on all pairs of a source batch: positive pairs pulled together, negatives pushed past `margin`."""
    f = F.normalize(features, dim=1)
    d = (2 - 2 * f @ f.t()).clamp_min(1e-9).sqrt()
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(f), dtype=torch.bool, device=f.device)
    pos, neg = same & ~eye, ~same
    loss_pos = d[pos].pow(2).mean() if pos.any() else d.sum() * 0
    loss_neg = F.relu(margin - d[neg]).pow(2).mean() if neg.any() else d.sum() * 0
    return loss_pos + loss_neg
