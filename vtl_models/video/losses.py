"""SR-cGAN's training losses: the VAE's, the completion terms of a batch, and the adversarial step.

Completion: every video gets K samples. Against a single truth the samples' loss is the best of the K (the variety
loss); against an open clip's F futures it is the cheaper assignment of distinct samples to the futures
(`matched`), so only samples that cover every future lower it. With a posterior encoder (issue 38) the first of the
K codes is drawn from q(z | the first truth) and the rest from the prior; the code's KL to N(0, I) is returned.
"""

from __future__ import annotations

from itertools import permutations

import torch
from torch.nn import functional as F

from vtl_models.video.batches import Batch
from vtl_models.video.model import (
    FrameDiscriminator,
    SRcGAN,
    VideoDiscriminator,
    condition_of,
    copy_source,
    hinge_d,
    kl_divergence,
)

MOVED = 0.1  # |prev - next| of the anchors around a step ([-1, 1] units, channel mean) above which content moved


def vae_loss(model: SRcGAN, frames: torch.Tensor, beta: float) -> torch.Tensor:
    """L1 reconstruction of frames (N, 3, H, W) from a posterior sample, plus beta x KL to N(0, I)."""
    mean, logvar = model.encoder(frames)
    sample = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
    return F.l1_loss(model.decoder(sample)[1], frames) + beta * kl_divergence(mean, logvar)


def matched(error: torch.Tensor, is_open: torch.Tensor) -> torch.Tensor:
    """Per video, its K samples' loss against its truths; error (B, K, F): each sample's error against each truth.

    A single-truth video: the best sample against its first truth. An open clip: the cheapest assignment of distinct
    samples to its F futures, as the mean error over the futures. -> (B,)"""
    best = error[:, :, 0].min(1).values
    if not bool(is_open.any()):
        return best
    k, f = error.shape[1:]
    if k < f:
        raise ValueError(f"{k} samples cannot cover {f} futures: give --samples >= {f}")
    cost = torch.stack([error[:, list(p), list(range(f))].mean(1) for p in permutations(range(k), f)], 1)
    return torch.where(is_open, cost.min(1).values, best)


def sample_codes(model: SRcGAN, batch: Batch, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """K codes per video (B, K, Z): from the prior, the first from q(z | first truth) when the model has a posterior;
    and that posterior's KL to N(0, I) (0 without one)."""
    code = torch.randn(len(batch.video), k, model.cfg.code_dim)
    if not model.cfg.posterior:
        return code, code.new_zeros(())
    mean, logvar = model.posterior(batch.truths[:, 0], batch.mask)
    posterior = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
    return torch.cat([posterior[:, None], code[:, 1:]], 1), kl_divergence(mean, logvar)


def completion_losses(model: SRcGAN, batch: Batch, k: int, args) -> dict:
    """Reconstruction terms of a batch: variety (the matched loss of the K samples), mean over K, anchors, the VAE on
    the anchors, the decoded path's own matched loss, the copy mask's per-pixel target and its L1 where the anchors
    around a step differ, and the posterior's KL."""
    video, mask = batch.video, batch.mask
    code, posterior_kl = sample_codes(model, batch, k)
    out = model(video, mask, code, batch.interpolated)
    truths = batch.truths if bool(batch.open.any()) else batch.truths[:, :1]  # one truth: one comparison
    free = (1 - mask)[:, None, None]

    def errors(frames: torch.Tensor) -> torch.Tensor:  # (B, K, T, 3, H, W) -> (B, K, F, T)
        return (frames[:, :, None] - truths[:, None]).abs().mean((4, 5, 6))

    error = errors(out["video"])
    per_sample = (error * free).sum(3) / free.sum(3)  # (B, K, F)
    anchors = mask[:, None]
    anchor_error = ((error[:, :, 0] * anchors).sum(2) / anchors.sum(2)).mean()
    anchor_frames = video.flatten(0, 1)[mask.flatten() > 0.5]
    # the decoded path gets its own matched term: otherwise copying the anchors' blend everywhere (the compositor's
    # easy minimum, found within a few hundred steps) starves it of gradient and the samples never differ
    decoded = (errors(out["decoded"]) * free).sum(3) / free.sum(3)
    # the copy mask's own target: copy the blend where, per pixel, it is closer to the truth than the decoded frame;
    # unlike the output loss alone, this keeps a gradient once the mask has saturated at "copy everywhere". Only on
    # single-truth videos: an open clip's samples each follow a future of their own, and against its first truth
    # alone the target would say "copy" wherever a sample drew the other future, pulling the samples together
    truth = video[:, None]
    closer = (out["blend"] - truth).abs().mean(3, keepdim=True) <= (out["decoded"] - truth).abs().mean(3, keepdim=True)
    copy = F.binary_cross_entropy_with_logits(out["copy_logits"], closer.float(), reduction="none").flatten(1).mean(1)
    single = (~batch.open).float()
    # where the anchors around a step differ, something moved there: copying cannot be right, the decoder must draw
    moved = (copy_source(video, mask)[:, :, 3:].mean(2, keepdim=True) > MOVED).float()[:, None]  # 0 at the anchors
    return {
        "out": out,
        "decoded": matched(decoded, batch.open).mean() + args.w_mean * decoded.mean(),
        "variety": matched(per_sample, batch.open).mean(),
        "mean": per_sample.mean(),
        "anchor": anchor_error,
        "vae": vae_loss(model, anchor_frames, args.beta),
        "copy": (copy * single).sum() / single.sum().clamp(min=1.0),
        "copy_moved": (out["copy_mask"] * moved).mean(),
        "posterior_kl": posterior_kl,
    }


def generator_loss(terms: dict, args) -> torch.Tensor:
    """The generator's reconstruction loss from `completion_losses`' terms, weighted by the training arguments."""
    loss = terms["variety"] + args.w_mean * terms["mean"] + args.w_anchor * terms["anchor"] + terms["vae"]
    loss = loss + args.w_decoded * terms["decoded"] + args.w_copy * terms["copy"]
    return loss + args.w_copy_moved * terms["copy_moved"] + args.posterior_beta * terms["posterior_kl"]


def adversarial_step(
    frame_d: FrameDiscriminator,
    video_d: VideoDiscriminator,
    d_opt: torch.optim.Optimizer,
    video: torch.Tensor,
    mask: torch.Tensor,
    samples: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One hinge-loss step of the frame and video discriminators (real `video` against the detached `samples`,
    (B, K, T, 3, H, W)), then the generator's adversarial term against the stepped discriminators.

    Returns:
        (the discriminators' loss, the generator's adversarial loss g_adv, to be weighted into its loss).
    """
    fake = samples.flatten(0, 1)  # (B*K, T, 3, H, W)
    cond = condition_of(video, mask)
    fake_cond = cond.repeat_interleave(samples.shape[1], 0)
    d_loss = hinge_d(video_d(video, cond), video_d(fake.detach(), fake_cond)) + hinge_d(
        frame_d(video.flatten(0, 1), cond.flatten(0, 1)),
        frame_d(fake.detach().flatten(0, 1), fake_cond.flatten(0, 1)),
    )
    d_opt.zero_grad(set_to_none=True)
    d_loss.backward()
    d_opt.step()
    g_adv = -video_d(fake, fake_cond).mean()
    g_adv = g_adv - frame_d(fake.flatten(0, 1), fake_cond.flatten(0, 1)).mean()
    return d_loss, g_adv
