"""SR-cGAN at small scale: VAE frame encoder/decoder, recurrent temporal generator over frame latents, and the
frame and video (3D conv) discriminators, both conditioned on the anchors.

Shapes: videos are (B, T, 3, H, W) in [-1, 1]; `mask` is (B, T) with 1 at the anchor steps; frame latents are
(B, T, C, H/4, W/4). The generator fills every step from the anchors' latents, the mask and a per-sample stochastic
code, then decodes each step and composites the decoded frame with the time-weighted blend of the nearest anchors
through a predicted mask (so static background, which the small latent blurs, can be copied from the anchors).

Issue 38's mechanisms are config fields whose defaults are the committed architecture: a posterior encoder
q(z | whole clip) for training's posterior sample, the code read by the decoder too, the anchors' own encoder means as
the latents at anchor steps, and the DIS-flow interpolation of the anchors as the copy source.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class VideoConfig:
    size: int = 32  # frame side (pixels)
    latent_channels: int = 16  # C of the VAE's spatial latent (size/4 x size/4)
    width: int = 24  # channels of the VAE's middle layer (2x at the latent's resolution)
    full_res_channels: int = 8  # decoder features at full size (the costliest layers on a CPU: kept thin)
    hidden: int = 32  # ConvGRU state channels, per direction
    code_dim: int = 8  # the per-sample stochastic code z
    disc_width: int = 32
    # issue 38; the defaults are the committed architecture
    posterior: bool = False  # a posterior encoder q(z | whole clip): training draws one of the K codes from it
    decoder_code: bool = False  # the decoder reads z too, not only the ConvGRU: the code must shape the frames
    anchor_latent_is_mean: bool = False  # at anchor steps the latent is the anchor's encoder mean (and z is 0)
    copy_source: str = "blend"  # what the compositor copies: "blend" (time-weighted) or "dis_flow" (OpenCV)

    def to_dict(self) -> dict:
        return asdict(self)


def _act() -> nn.Module:
    return nn.LeakyReLU(0.2, inplace=True)


class FrameEncoder(nn.Module):
    """VAE encoder q(s | x): frame (N, 3, H, W) -> mean and log-variance (N, C, H/4, W/4)."""

    def __init__(self, cfg: VideoConfig):
        super().__init__()
        w = cfg.width
        self.net = nn.Sequential(
            nn.Conv2d(3, w, 3, 1, 1), _act(),
            nn.Conv2d(w, w, 4, 2, 1), _act(),
            nn.Conv2d(w, 2 * w, 4, 2, 1), _act(),
            nn.Conv2d(2 * w, 2 * w, 3, 1, 1), _act(),
        )  # fmt: skip
        self.head = nn.Conv2d(2 * w, 2 * cfg.latent_channels, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.head(self.net(x)).chunk(2, dim=1)
        return mean, logvar.clamp(-10, 5)


class FrameDecoder(nn.Module):
    """VAE decoder p(x | s[, z]): latent (N, C, H/4, W/4) and, with `decoder_code`, the code (N, Z) broadcast over the
    grid -> features at full size and an RGB frame in [-1, 1]."""

    def __init__(self, cfg: VideoConfig):
        super().__init__()
        w = cfg.width
        self.code_dim = cfg.code_dim if cfg.decoder_code else 0
        self.net = nn.Sequential(
            nn.Conv2d(cfg.latent_channels + self.code_dim, 2 * w, 3, 1, 1), _act(),
            nn.Conv2d(2 * w, 2 * w, 3, 1, 1), _act(),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(2 * w, w, 3, 1, 1), _act(),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(w, cfg.full_res_channels, 3, 1, 1), _act(),
        )  # fmt: skip
        self.rgb = nn.Conv2d(cfg.full_res_channels, 3, 3, 1, 1)

    def forward(self, s: torch.Tensor, code: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """`code` is read only with `decoder_code`; None there is the prior's mean, 0 (a single frame's VAE pass)."""
        if self.code_dim:
            code = s.new_zeros(len(s), self.code_dim) if code is None else code
            s = torch.cat([s, code[:, :, None, None].expand(-1, -1, *s.shape[-2:])], 1)
        features = self.net(s)
        return features, torch.tanh(self.rgb(features))


class Compositor(nn.Module):
    """Predicts where to copy the anchors' blend instead of the decoded frame: out = m * blend + (1 - m) * decoded."""

    def __init__(self, cfg: VideoConfig):
        super().__init__()
        w = cfg.full_res_channels
        self.net = nn.Sequential(nn.Conv2d(w + 9, w, 3, 1, 1), _act(), nn.Conv2d(w, 1, 3, 1, 1))

    def forward(self, features, decoded, source) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """source: `copy_source` (N, 6, H, W): the anchors' blend and where the anchors differ. Returns the frame, the
        copy mask m and its logits."""
        logits = self.net(torch.cat([features, decoded, source], 1))
        m = torch.sigmoid(logits)
        return m * source[:, :3] + (1 - m) * decoded, m, logits


class ConvGRUCell(nn.Module):
    """Convolutional GRU cell over the latent grid."""

    def __init__(self, inputs: int, hidden: int):
        super().__init__()
        self.gates = nn.Conv2d(inputs + hidden, 2 * hidden, 3, 1, 1)
        self.candidate = nn.Conv2d(inputs + hidden, hidden, 3, 1, 1)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        update, reset = torch.sigmoid(self.gates(torch.cat([x, h], 1))).chunk(2, 1)
        candidate = torch.tanh(self.candidate(torch.cat([x, reset * h], 1)))
        return (1 - update) * h + update * candidate


class PosteriorEncoder(nn.Module):
    """q(z | whole clip): the clip (B, T, 3, H, W) with its anchor flag -> mean and log-variance of the code (B, Z).

    Training only: one of the K samples takes its code from here (the others from the prior N(0, I)), so what the
    anchors leave open (a turn's time and direction) has a place in z; inference samples the prior."""

    def __init__(self, cfg: VideoConfig):
        super().__init__()
        w = cfg.disc_width // 2
        self.net = nn.Sequential(
            nn.Conv3d(4, w, (3, 4, 4), (1, 2, 2), (1, 1, 1)), _act(),
            nn.Conv3d(w, 2 * w, (3, 4, 4), (2, 2, 2), (1, 1, 1)), _act(),
            nn.AdaptiveAvgPool3d((1, 4, 4)), nn.Flatten(),  # over time; a 4x4 grid keeps where things went
        )  # fmt: skip
        self.head = nn.Linear(2 * w * 16, 2 * cfg.code_dim)

    def forward(self, video: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        flag = mask[:, :, None, None, None].expand(-1, -1, 1, *video.shape[-2:])
        mean, logvar = self.head(self.net(torch.cat([video, flag], 2).transpose(1, 2))).chunk(2, dim=1)
        return mean, logvar.clamp(-10, 5)


class TemporalGenerator(nn.Module):
    """Recurrent video representation: a bidirectional ConvGRU over the anchors' latents -> every step's latent.

    Input per step: the anchor latent (zero off the anchors), the anchor mask, and the sample's code z broadcast over
    the grid. The forward pass carries the past anchors, the backward pass the future ones (interpolation)."""

    def __init__(self, cfg: VideoConfig):
        super().__init__()
        inputs = cfg.latent_channels + 1 + cfg.code_dim
        self.hidden = cfg.hidden
        self.forward_cell = ConvGRUCell(inputs, cfg.hidden)
        self.backward_cell = ConvGRUCell(inputs + cfg.hidden, cfg.hidden)  # also sees the forward state
        self.head = nn.Sequential(
            nn.Conv2d(2 * cfg.hidden + inputs, 2 * cfg.hidden, 3, 1, 1), _act(),
            nn.Conv2d(2 * cfg.hidden, cfg.latent_channels, 3, 1, 1),
        )  # fmt: skip

    def forward(self, anchor_latents: torch.Tensor, mask: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """anchor_latents (B, T, C, h, w), mask (B, T), code (B, Z) -> latents (B, T, C, h, w)."""
        b, t, _, h, w = anchor_latents.shape
        m = mask[:, :, None, None, None].expand(b, t, 1, h, w)
        z = code[:, None, :, None, None].expand(b, t, code.shape[1], h, w)
        x = torch.cat([anchor_latents * m, m, z], 2)
        state = x.new_zeros(b, self.hidden, h, w)
        forward_states = []
        for step in range(t):
            state = self.forward_cell(x[:, step], state)
            forward_states.append(state)
        state = x.new_zeros(b, self.hidden, h, w)
        outputs = [None] * t
        for step in reversed(range(t)):
            state = self.backward_cell(torch.cat([x[:, step], forward_states[step]], 1), state)
            outputs[step] = self.head(torch.cat([x[:, step], forward_states[step], state], 1))
        return torch.stack(outputs, 1)


def anchor_pair(video: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per step, the nearest anchors at or before and at or after it (the one side's anchor where the other has
    none) and the step's time weight between them. video (B, T, ...), mask (B, T) -> (prev, next, weight (B, T))."""
    b, t = mask.shape
    steps = torch.arange(t, device=mask.device, dtype=torch.float32).expand(b, t)
    is_anchor = mask > 0.5
    big = float(t + 1)
    prev = torch.where(is_anchor, steps, torch.full_like(mask, -big)).cummax(1).values
    nxt = torch.where(is_anchor, steps, torch.full_like(mask, 2 * big)).flip(1).cummin(1).values.flip(1)
    prev_i = torch.where(prev >= 0, prev, nxt).long().clamp(0, t - 1)
    next_i = torch.where(nxt < t, nxt, prev).long().clamp(0, t - 1)
    span = (next_i - prev_i).float()
    weight = torch.where(span > 0, (steps - prev_i.float()) / span.clamp(min=1), torch.zeros_like(span))
    shape = (b, t) + (1,) * (video.dim() - 2)
    gather = lambda i: torch.gather(video, 1, i.view(shape).expand_as(video))  # noqa: E731
    return gather(prev_i), gather(next_i), weight


def anchor_blend(video: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per step, the time-weighted blend of the nearest anchors before and after it (the anchor itself at an anchor
    step; the nearest one where only one side has anchors). video (B, T, ...) and mask (B, T) -> (B, T, ...)."""
    prev, nxt, weight = anchor_pair(video, mask)
    weight = weight.view(*weight.shape, *(1,) * (video.dim() - 2))
    return (1 - weight) * prev + weight * nxt


def copy_source(video: torch.Tensor, mask: torch.Tensor, interpolated: torch.Tensor | None = None) -> torch.Tensor:
    """What the compositor may copy and a cue for where to: the anchors' blend (or `interpolated`, another fill from
    the anchors alone, (B, T, 3, H, W)) and |prev - next| (B, T, 6, H, W); where the anchors around a step agree, the
    content there did not move."""
    prev, nxt, weight = anchor_pair(video, mask)
    w = weight[:, :, None, None, None]
    fill = (1 - w) * prev + w * nxt if interpolated is None else interpolated
    return torch.cat([fill, (prev - nxt).abs()], 2)


class SRcGAN(nn.Module):
    """The generator side: VAE + temporal generator + compositor; the discriminators live beside it."""

    def __init__(self, cfg: VideoConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = FrameEncoder(cfg)
        self.decoder = FrameDecoder(cfg)
        self.temporal = TemporalGenerator(cfg)
        self.compositor = Compositor(cfg)
        if cfg.posterior:
            self.posterior = PosteriorEncoder(cfg)

    def reconstruct(self, frames: torch.Tensor) -> torch.Tensor:
        """VAE reconstruction (posterior mean) of frames (N, 3, H, W)."""
        return self.decoder(self.encoder(frames)[0])[1]

    def forward(
        self, video: torch.Tensor, mask: torch.Tensor, code: torch.Tensor, interpolated: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Fill a video from its anchors, once per code. video (B, T, 3, H, W) (only anchor steps are read),
        mask (B, T), code (B, K, Z); `interpolated` (B, T, 3, H, W): the anchors' DIS-flow interpolation, required
        when the config's copy_source is "dis_flow" (metrics.flow_interpolation). -> dict of (B, K, T, ...): video,
        decoded, copy_mask (and its logits), blend (the copy source), latents."""
        if (self.cfg.copy_source == "dis_flow") != (interpolated is not None):
            raise ValueError(f"copy_source {self.cfg.copy_source!r}: give `interpolated` exactly when it is dis_flow")
        b, t = mask.shape
        k = code.shape[1]
        steps = mask.flatten() > 0.5
        video = video * mask[:, :, None, None, None]  # nothing but the anchors reaches the generator
        mean = self.encoder(video.flatten(0, 1)[steps])[0]  # the anchors alone, once for all K samples
        anchor_latents = mean.new_zeros(b * t, *mean.shape[1:])
        anchor_latents[steps] = mean
        repeat = lambda x: x.repeat_interleave(k, 0)  # noqa: E731  (B, ...) -> (B*K, ...)
        anchor_latents = repeat(anchor_latents.unflatten(0, (b, t)))
        latents = self.temporal(anchor_latents, repeat(mask), code.flatten(0, 1))
        step_code = code.flatten(0, 1)[:, None].expand(-1, t, -1)  # (B*K, T, Z): what the decoder reads, if it does
        if self.cfg.anchor_latent_is_mean:  # decoded anchors are then the VAE's reconstruction of the anchors
            at_anchor = repeat(mask)[:, :, None] > 0.5
            latents = torch.where(at_anchor[..., None, None], anchor_latents, latents)
            step_code = torch.where(at_anchor, torch.zeros_like(step_code), step_code)
        features, decoded = self.decoder(latents.flatten(0, 1), step_code.flatten(0, 1))
        source = repeat(copy_source(video, mask, interpolated)).flatten(0, 1)
        out, m, logits = self.compositor(features, decoded, source)
        unflat = lambda x: x.unflatten(0, (b, k, t))  # noqa: E731
        latents = latents.unflatten(0, (b, k))
        return {
            "video": unflat(out),
            "decoded": unflat(decoded),
            "copy_mask": unflat(m),
            "copy_logits": unflat(logits),
            "blend": unflat(source[:, :3]),
            "latents": latents,
        }


class FrameDiscriminator(nn.Module):
    """D_frame: one frame with its anchor conditioning (the anchors' blend at that step and the anchor flag)."""

    def __init__(self, cfg: VideoConfig):
        super().__init__()
        w = cfg.disc_width
        self.net = nn.Sequential(
            nn.Conv2d(7, w, 4, 2, 1), _act(),
            nn.Conv2d(w, 2 * w, 4, 2, 1), _act(),
            nn.Conv2d(2 * w, 2 * w, 4, 2, 1), _act(),
            nn.Conv2d(2 * w, 1, 3, 1, 1),
        )  # fmt: skip

    def forward(self, frames: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """frames (N, 3, H, W), condition (N, 4, H, W) -> patch logits (N, 1, H/8, W/8)."""
        return self.net(torch.cat([frames, condition], 1))


class VideoDiscriminator(nn.Module):
    """D_video: 3D convolutions over the whole sequence with the same anchor conditioning per step."""

    def __init__(self, cfg: VideoConfig):
        super().__init__()
        w = cfg.disc_width
        self.net = nn.Sequential(
            nn.Conv3d(7, w, (3, 4, 4), (1, 2, 2), (1, 1, 1)), _act(),
            nn.Conv3d(w, 2 * w, (3, 4, 4), (2, 2, 2), (1, 1, 1)), _act(),
            nn.Conv3d(2 * w, 2 * w, (3, 4, 4), (2, 2, 2), (1, 1, 1)), _act(),
            nn.Conv3d(2 * w, 1, 3, 1, 1),
        )  # fmt: skip

    def forward(self, video: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """video (B, T, 3, H, W), condition (B, T, 4, H, W) -> logits (B, 1, T/4, H/8, W/8)."""
        return self.net(torch.cat([video, condition], 2).transpose(1, 2))


def condition_of(video: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The discriminators' anchor conditioning (B, T, 4, H, W): the anchors' blend and the anchor flag."""
    blend = anchor_blend(video * mask[:, :, None, None, None], mask)
    flag = mask[:, :, None, None, None].expand(-1, -1, 1, *video.shape[-2:])
    return torch.cat([blend, flag], 2)


def kl_divergence(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(s|x) || N(0, I)) per latent element, averaged."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).mean()


def hinge_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
