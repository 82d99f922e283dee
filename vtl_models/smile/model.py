"""CDRD networks (Liu et al., CVPR 2018), scaled down: a cross-domain generator, discriminator and encoders.

Domain index 0 = source (photo, labeled), 1 = target (cartoon, unlabeled). Shapes are for size 32 (one extra
stage per doubling):
- Generator G(z, l): shared high-level layers G_C map (z, l) to 16x16 features; a domain-specific low-level
  branch G_S or G_T renders them as a 32x32 image (with `shared_stages` = all, G_C reaches 32x32 and each branch is
  one convolution and the output layer). The same (z, l) gives the same face in both domains.
- Discriminator D(x, d): domain-specific low-level layer D_S / D_T, shared high-level layers D_C, then a real/fake
  head and an attribute head (the classifier that labels target images after training). Spectral norm, no batch norm.
- Encoder E(x, d) (the translation extension): domain-specific low-level layer, shared high-level layers, outputs
  the latent z and the attribute logits, so G(E(x)) reconstructs x and G_other(E(x)) translates it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

N_DOMAINS = 2


@dataclass(frozen=True)
class CDRDConfig:
    """Architecture of the whole model (stored in the card to rebuild it)."""

    size: int = 32  # image side; 32 or 64
    z_dim: int = 64  # latent code z
    attr_dim: int = 2  # attribute code l: one-hot (no smile, smile); in-between values move the smile continuously
    width: int = 32  # generator channels at size/2; doubles at each coarser stage
    shared_stages: int | None = None  # generator upsampling stages shared between domains: stages - 1 (None), or all

    def __post_init__(self):
        if self.shared_stages is None:
            object.__setattr__(self, "shared_stages", self.stages - 1)
        if self.shared_stages not in (self.stages - 1, self.stages):
            raise ValueError(f"shared_stages must be {self.stages - 1} or {self.stages} at size {self.size}")

    @property
    def stages(self) -> int:
        """Upsampling stages from 4x4 to size."""
        return {16: 2, 32: 3, 64: 4}[self.size]

    def to_dict(self) -> dict:
        return asdict(self)


def attribute_code(smile: torch.Tensor) -> torch.Tensor:
    """Smile strength in [0, 1] (B,) -> attribute code l (B, 2) = (1 - s, s)."""
    smile = smile.float().clamp(0, 1)
    return torch.stack([1 - smile, smile], dim=1)


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True))


class Generator(nn.Module):
    """G: (z, l, domain) -> image in [-1, 1]; high-level layers shared, low-level layers per domain."""

    def __init__(self, cfg: CDRDConfig):
        super().__init__()
        self.cfg = cfg
        top = cfg.width * 2 ** (cfg.stages - 1)
        self.project = nn.Sequential(
            nn.Linear(cfg.z_dim + cfg.attr_dim, top * 16, bias=False), nn.BatchNorm1d(top * 16)
        )
        # shared stages from 4x4 up; l enters with z only, so the domain-specific layers see it only as face structure
        self.shared = nn.ModuleList(_up(top // 2**i, top // 2 ** (i + 1)) for i in range(cfg.shared_stages))
        c = top // 2**cfg.shared_stages
        self.domain_specific = nn.ModuleList(
            nn.Sequential(
                *(  # the remaining upsampling stage, or with all stages shared, one convolution at full size
                    (nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True))
                    if cfg.stages - cfg.shared_stages == 1
                    else (nn.Conv2d(c, c // 2, 3, 1, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True))
                ),
                nn.Conv2d(c // 2, 3, 3, 1, 1),
                nn.Tanh(),
            )
            for _ in range(N_DOMAINS)
        )

    def shared_features(self, z: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """G_C: (B, z_dim), (B, attr_dim) -> the domain-invariant face: (B, width, size/2, size/2), or with all stages
        shared (B, width/2, size, size)."""
        h = torch.relu(self.project(torch.cat([z, code], 1))).view(len(z), -1, 4, 4)
        for stage in self.shared:
            h = stage(h)
        return h

    def render(self, features: torch.Tensor, domain: int) -> torch.Tensor:
        """G_S / G_T: shared features -> (B, 3, size, size) image of `domain`."""
        return self.domain_specific[domain](features)

    def forward(self, z: torch.Tensor, code: torch.Tensor, domain: int) -> torch.Tensor:
        return self.render(self.shared_features(z, code), domain)


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(spectral_norm(nn.Conv2d(cin, cout, 4, 2, 1)), nn.LeakyReLU(0.2, True))


class Discriminator(nn.Module):
    """D: image, domain -> (real/fake logit (B,), attribute logits (B, attr_dim))."""

    def __init__(self, cfg: CDRDConfig):
        super().__init__()
        c = cfg.width  # as wide as the generator's last shared stage
        # D_S, D_T: the low-level layers see each domain's pixels; D_C: everything after is shared
        self.domain_specific = nn.ModuleList(
            nn.Sequential(_down(3, c), spectral_norm(nn.Conv2d(c, c, 3, 1, 1)), nn.LeakyReLU(0.2, True))
            for _ in range(N_DOMAINS)
        )
        self.shared = nn.Sequential(*(_down(c * 2**i, c * 2 ** (i + 1)) for i in range(cfg.stages - 1)))
        top = c * 2 ** (cfg.stages - 1)
        self.adversarial_head = spectral_norm(nn.Linear(top * 16, 1))
        self.attribute_head = spectral_norm(nn.Linear(top * 16, cfg.attr_dim))

    def features(self, x: torch.Tensor, domain: int) -> torch.Tensor:
        return self.shared(self.domain_specific[domain](x)).flatten(1)

    def forward(self, x: torch.Tensor, domain: int) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x, domain)
        return self.adversarial_head(h).squeeze(1), self.attribute_head(h)

    def smile_probability(self, x: torch.Tensor, domain: int) -> torch.Tensor:
        """The attribute head's smile probability for images of `domain`: (B,)."""
        return torch.softmax(self(x, domain)[1], 1)[:, 1]


class Encoder(nn.Module):
    """E: image, domain -> (z (B, z_dim), attribute logits (B, attr_dim)); low level per domain, high level shared."""

    def __init__(self, cfg: CDRDConfig):
        super().__init__()
        c = cfg.width // 2

        def down(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1), nn.InstanceNorm2d(cout, affine=True), nn.LeakyReLU(0.2))

        self.domain_specific = nn.ModuleList(
            nn.Sequential(nn.Conv2d(3, c, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(c, c, 3, 1, 1), nn.LeakyReLU(0.2))
            for _ in range(N_DOMAINS)
        )
        self.shared = nn.Sequential(*(down(c * 2**i, c * 2 ** (i + 1)) for i in range(cfg.stages - 1)))
        top = c * 2 ** (cfg.stages - 1)
        self.to_z = nn.Linear(top * 16, cfg.z_dim)
        self.to_attribute = nn.Linear(top * 16, cfg.attr_dim)

    def forward(self, x: torch.Tensor, domain: int) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.shared(self.domain_specific[domain](x)).flatten(1)
        return self.to_z(h), self.to_attribute(h)


class CDRD(nn.Module):
    """The whole model: generator, discriminator and encoders, saved together."""

    def __init__(self, cfg: CDRDConfig):
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg)
        self.discriminator = Discriminator(cfg)
        self.encoder = Encoder(cfg)

    @torch.no_grad()
    def sample(self, n: int, smile: torch.Tensor, seed: int) -> torch.Tensor:
        """Faces from seeded latents in both domains: (n, 2, 3, size, size) with [:, 0] photo, [:, 1] cartoon."""
        # drawn on the CPU so a seed gives the same faces on every device, then moved beside the model
        z = torch.randn(n, self.cfg.z_dim, generator=torch.Generator().manual_seed(seed)).to(smile.device)
        h = self.generator.shared_features(z, attribute_code(smile))
        return torch.stack([self.generator.render(h, d) for d in range(N_DOMAINS)], 1)

    @torch.no_grad()
    def translate(self, x: torch.Tensor, domain: int, smile: torch.Tensor | None = None) -> torch.Tensor:
        """Encode images of `domain`, optionally set the smile, decode in both domains: (B, 2, 3, size, size)."""
        z, logits = self.encoder(x, domain)
        code = attribute_code(smile) if smile is not None else torch.softmax(logits, 1)
        h = self.generator.shared_features(z, code)
        return torch.stack([self.generator.render(h, d) for d in range(N_DOMAINS)], 1)

    @torch.no_grad()
    def classify(self, x: torch.Tensor, domain: int) -> torch.Tensor:
        """Smile probability of images of `domain` from the discriminator's attribute head: (B,)."""
        return self.discriminator.smile_probability(x, domain)
