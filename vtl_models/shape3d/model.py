"""Image -> (32^3 voxel occupancy, 2D mask, pose), and the differentiable projection that ties voxels to masks.

Liao, Yang, Wang, "3D Shape Reconstruction from a Single 2D Image via 2D-3D Self-Consistency": a shared image
encoder feeds a 3D decoder (voxels V), a 2D decoder (mask M) and a pose head (azimuth bins + elevation); the
projection P(V, pose) of the grid must agree with the silhouette, which lets images with only masks train V.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

TOP_POSES = 3  # azimuth bins the self-consistency term averages over (the most probable ones)


@dataclass
class ShapeNetConfig:
    """Everything needed to rebuild the network (stored in the model card)."""

    encoder: str = "cnn"  # "cnn": 5 stride-2 convs from scratch; "lite0": ImageNet EfficientNet-Lite0, fine-tuned
    image_size: int = 64
    latent: int = 256
    voxel_channels: tuple[int, int, int] = (96, 48, 24)  # 3D transposed-conv widths at 4^3, 8^3, 16^3
    mask_size: int = 64
    azimuth_bins: int = 24
    max_elevation: float = 40.0
    grid: int = 32

    def to_dict(self) -> dict:
        """JSON-friendly form."""
        return asdict(self)


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SmallEncoder(nn.Module):
    """Five stride-2 3x3 convs (64 px -> 2x2) and a linear layer to the latent code."""

    def __init__(self, latent: int, image_size: int):
        super().__init__()
        widths = (32, 64, 128, 192, 256)
        layers, cin = [], 3
        for w in widths:
            layers.append(_conv(cin, w))
            cin = w
        self.convs = nn.Sequential(*layers)
        side = image_size // 32
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(cin * side * side, latent), nn.ReLU(inplace=True))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.fc(self.convs(images))


class Lite0Encoder(nn.Module):
    """ImageNet EfficientNet-Lite0 (stride-32 map, 320 channels), average-pooled, then linear to the latent."""

    def __init__(self, latent: int, pretrained: bool = True):
        super().__init__()
        from vtl_models.backbones import efficientnet_lite0_features

        self.backbone = efficientnet_lite0_features(pretrained=pretrained, out_indices=(4,))
        self.fc = nn.Sequential(nn.Linear(320, latent), nn.ReLU(inplace=True))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.fc(self.backbone(images)[-1].mean(dim=(2, 3)))


class ShapeNet3D(nn.Module):
    """Encoder + voxel decoder + mask decoder + pose head."""

    def __init__(self, config: ShapeNetConfig | None = None, pretrained: bool = True):
        super().__init__()
        self.config = cfg = config or ShapeNetConfig()
        if cfg.encoder == "lite0":
            self.encoder = Lite0Encoder(cfg.latent, pretrained)
        else:
            self.encoder = SmallEncoder(cfg.latent, cfg.image_size)
        c0, c1, c2 = cfg.voxel_channels
        self.voxel_fc = nn.Linear(cfg.latent, c0 * 4 * 4 * 4)
        self.voxel_decoder = nn.Sequential(  # 4^3 -> 8^3 -> 16^3 -> 32^3 logits
            nn.BatchNorm3d(c0),
            nn.ReLU(inplace=True),
            nn.ConvTranspose3d(c0, c1, 4, 2, 1, bias=False),
            nn.BatchNorm3d(c1),
            nn.ReLU(inplace=True),
            nn.ConvTranspose3d(c1, c2, 4, 2, 1, bias=False),
            nn.BatchNorm3d(c2),
            nn.ReLU(inplace=True),
            nn.ConvTranspose3d(c2, 1, 4, 2, 1),
        )
        self.mask_fc = nn.Linear(cfg.latent, 64 * 4 * 4)
        ups, cin, side = [], 64, 4
        while side < cfg.mask_size:
            cout = max(16, cin // 2)
            ups += [nn.BatchNorm2d(cin), nn.ReLU(inplace=True), nn.ConvTranspose2d(cin, cout, 4, 2, 1)]
            cin, side = cout, side * 2
        self.mask_decoder = nn.Sequential(*ups, nn.Conv2d(cin, 1, 3, 1, 1))
        self.pose_head = nn.Sequential(
            nn.Linear(cfg.latent, 128), nn.ReLU(inplace=True), nn.Linear(128, cfg.azimuth_bins + 1)
        )

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """images: (B, 3, S, S) normalised to [-1, 1] -> voxel/mask/azimuth logits and elevation (degrees)."""
        z = self.encoder(images)  # (B, latent)
        c0 = self.config.voxel_channels[0]
        voxels = self.voxel_decoder(self.voxel_fc(z).view(-1, c0, 4, 4, 4))[:, 0]  # (B, 32, 32, 32) [z, y, x]
        mask = self.mask_decoder(self.mask_fc(z).view(-1, 64, 4, 4))[:, 0]  # (B, S_m, S_m)
        pose = self.pose_head(z)
        elevation = torch.sigmoid(pose[:, -1]) * self.config.max_elevation
        return {
            "voxel_logits": voxels,
            "mask_logits": mask,
            "azimuth_logits": pose[:, :-1],
            "elevation": elevation,
            "latent": z,
        }


def camera_rays(
    azimuth: torch.Tensor, elevation: torch.Tensor, distance: float, fov: float, size: int, samples: int
) -> torch.Tensor:
    """World points sampled along each pixel's ray, (B, samples, size, size, 3), for the renderer's camera.

    The camera orbits the origin as in vtl_models.render.Camera (azimuth about y from +z, elevation up);
    depths cover the grid's bounding sphere (radius sqrt(3)/2) around the origin.
    """
    az, el = torch.deg2rad(azimuth), torch.deg2rad(elevation)
    eye = distance * torch.stack([el.cos() * az.sin(), el.sin(), el.cos() * az.cos()], dim=-1)  # (B, 3)
    forward = -eye / distance
    up = torch.tensor([0.0, 1.0, 0.0], device=eye.device).expand_as(forward)
    right = F.normalize(torch.linalg.cross(forward, up), dim=-1)
    true_up = torch.linalg.cross(right, forward)
    half = math.tan(math.radians(fov) / 2)
    coords = (torch.arange(size, device=eye.device, dtype=torch.float32) + 0.5) / size * 2 - 1
    v, u = torch.meshgrid(-coords, coords, indexing="ij")  # image rows go down, camera y goes up
    radius = math.sqrt(3) / 2
    depth = torch.linspace(distance - radius, distance + radius, samples, device=eye.device)
    # direction of pixel (u, v) with unit depth along the viewing axis: u*half*right + v*half*up + forward
    direction = (
        (u * half)[None, :, :, None] * right[:, None, None]
        + (v * half)[None, :, :, None] * true_up[:, None, None]
        + forward[:, None, None]
    )  # (B, size, size, 3)
    return eye[:, None, None, None] + depth[None, :, None, None, None] * direction[:, None]


def project_voxels(
    occupancy: torch.Tensor,
    azimuth: torch.Tensor,
    elevation: torch.Tensor,
    distance: float,
    fov: float,
    size: int = 32,
    samples: int = 48,
) -> torch.Tensor:
    """Differentiable silhouette of an occupancy grid seen from a pose.

    Args:
        occupancy: (B, G, G, G) probabilities indexed [z, y, x], the grid spanning [-0.5, 0.5]^3.
        azimuth, elevation: (B,) degrees.

    Returns:
        (B, size, size) probability that the pixel's ray hits the object: 1 - prod(1 - p) along the ray.
    """
    points = camera_rays(azimuth, elevation, distance, fov, size, samples)  # (B, T, S, S, 3) as (x, y, z)
    sampled = F.grid_sample(
        occupancy[:, None], points * 2.0, mode="bilinear", padding_mode="zeros", align_corners=False
    )
    log_empty = torch.log1p(-sampled[:, 0].clamp(0, 1 - 1e-6)).sum(dim=1)  # (B, S, S)
    return 1.0 - torch.exp(log_empty)


def predicted_pose_projection_loss(
    occupancy: torch.Tensor,
    azimuth_logits: torch.Tensor,
    elevation: torch.Tensor,
    masks: torch.Tensor,
    distance: float,
    fov: float,
    top: int = TOP_POSES,
) -> torch.Tensor:
    """2D-3D self-consistency under the predicted pose, differentiable in grid, azimuth and elevation.

    The expectation, over the `top` most probable azimuth bins (softmax renormalised over them), of the BCE between
    the mask and the grid projected at that bin's centre and the predicted elevation. Its gradient moves probability
    towards the bin whose projection fits the silhouette best, and moves the elevation through the projection's
    sampling points; one projection per kept bin keeps it cheap (all 24 would cost 8x).

    Args:
        occupancy: (B, G, G, G) probabilities; azimuth_logits: (B, bins); elevation: (B,) degrees;
        masks: (B, S, S) silhouettes in [0, 1]; distance, fov: the renderer's camera.

    Returns:
        (B,) loss per view.
    """
    batch, bins = azimuth_logits.shape
    top = min(top, bins)
    top_logits, top_bins = azimuth_logits.topk(top, dim=1)  # (B, k)
    weights = top_logits.softmax(dim=1)
    azimuth = top_bins.float() * (360.0 / bins)
    grid = occupancy[:, None].expand(-1, top, -1, -1, -1).reshape(batch * top, *occupancy.shape[1:])
    projection = project_voxels(
        grid,
        azimuth.reshape(-1),
        elevation[:, None].expand(-1, top).reshape(-1),
        distance,
        fov,
        masks.shape[-1],
    )  # (B*k, S, S)
    target = masks[:, None].expand(-1, top, -1, -1).reshape_as(projection)
    bce = F.binary_cross_entropy(projection.clamp(1e-5, 1 - 1e-5), target, reduction="none").mean((1, 2))
    return (weights * bce.view(batch, top)).sum(1)


def azimuth_targets(azimuth: torch.Tensor, symmetry: torch.Tensor, bins: int) -> torch.Tensor:
    """Soft azimuth targets (B, bins): equal mass on every bin that is the same view under the k-fold symmetry.

    Round objects (symmetry 0) get an all-zero row: they carry no azimuth information and no loss.
    """
    width = 360.0 / bins
    target = torch.zeros(len(azimuth), bins, device=azimuth.device)
    for i, (az, k) in enumerate(zip(azimuth.tolist(), symmetry.tolist(), strict=True)):
        if k == 0:
            continue
        for j in range(k):
            target[i, int(((az + j * 360.0 / k) % 360.0) / width + 0.5) % bins] += 1.0 / k
    return target


def azimuth_error(predicted: torch.Tensor, true: torch.Tensor, symmetry: torch.Tensor) -> torch.Tensor:
    """Angular distance in degrees, modulo each object's k-fold symmetry (NaN for round objects)."""
    period = torch.where(symmetry > 0, 360.0 / symmetry.clamp(min=1), torch.full_like(true, float("nan")))
    diff = torch.remainder(predicted - true, period)
    return torch.minimum(diff, period - diff)
