"""Sampling completions from a model, the eval's metrics (PSNR, SSIM, best of N, diversity) and the baselines.

Videos here are uint8 (T, H, W, 3) or (N, T, H, W, 3) numpy arrays; metrics read them as [0, 1] floats and score
the non-anchor frames only (anchor frames have their own PSNR).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from vtl_models.common import to_numpy
from vtl_models.images import SIGNED, to_image, to_tensor
from vtl_models.video.data import anchor_mask


def to_input(videos: np.ndarray, device: torch.device | str = "cpu", card_input: dict | None = None) -> torch.Tensor:
    """uint8 (B, T, H, W, 3) -> float (B, T, 3, H, W) on `device`, as a card's "input" says (None: SIGNED)."""
    frames = to_tensor(videos.reshape(-1, *videos.shape[2:]), card_input or SIGNED, device)
    return frames.unflatten(0, videos.shape[:2])


def to_uint8(videos: torch.Tensor, card_input: dict | None = None) -> np.ndarray:
    """float (..., 3, H, W) as a card's "input" says (None: SIGNED) -> uint8 (..., H, W, 3)."""
    return to_image(videos.flatten(0, -4), card_input or SIGNED).reshape(*videos.shape[:-3], *videos.shape[-2:], 3)


def gate_db(card) -> float | None:
    """The served path's gate of a video card (its `gate`, vtl_models.video.gate), None without one."""
    return card.raw.get("gate", {}).get("threshold_db")


@torch.inference_mode()
def complete_parts(
    model,
    videos: np.ndarray,
    anchor_steps,
    samples: int,
    seed: int,
    batch: int = 64,
    card_input: dict | None = None,
    gate_db: float | None = None,
) -> dict[str, np.ndarray]:
    """Fill `videos` (B, T, H, W, 3) uint8 from their anchor steps, `samples` times each (codes drawn from `seed`).

    Only the anchor frames of `videos` are read; `card_input`: the model card's "input" (None: SIGNED, training's).
    The gate (vtl_models.video.gate): a clip whose anchor fidelity (PSNR of the VAE's reconstruction of its anchor
    frames) is below `gate_db` is served the plain `linear_blend` of its anchors in every sample (None: no gate).
    Returns "video" (what is served: the compositor's output, or the blend where gated) and "decoded" (the decoder's
    frames, no copy), uint8 (B, samples, T, H, W, 3); "copy_mask" float32 (B, samples, T, H, W): the weight of the
    anchors' blend in what is served (1 where gated); "fidelity" (B,) in dB and "trusted" (B,): the model served."""
    device = next(model.parameters()).device
    n, length = videos.shape[:2]
    steps = sorted(int(s) for s in anchor_steps)
    mask_row = torch.from_numpy(anchor_mask(steps, length)).to(device)
    generator = torch.Generator().manual_seed(int(seed))
    codes = torch.randn(n, samples, model.cfg.code_dim, generator=generator).to(device)
    out: dict[str, list] = {"video": [], "decoded": [], "copy_mask": [], "fidelity": []}
    for start in range(0, n, batch):
        x = to_input(videos[start : start + batch], device, card_input)
        fill = flow_interpolation(videos[start : start + batch], steps, model.cfg, device, card_input)
        parts = model(x, mask_row.expand(len(x), -1), codes[start : start + batch], fill)
        out["video"].append(to_uint8(parts["video"], card_input))
        out["decoded"].append(to_uint8(parts["decoded"], card_input))
        out["copy_mask"].append(to_numpy(parts["copy_mask"][:, :, :, 0]).astype(np.float32))
        anchors = videos[start : start + batch, steps]
        recon = to_uint8(model.reconstruct(x[:, steps].flatten(0, 1)), card_input).reshape(anchors.shape)
        out["fidelity"].append([psnr(r, a) for r, a in zip(recon, anchors, strict=True)])
    parts = {key: np.concatenate(value) for key, value in out.items()}
    parts["trusted"] = parts["fidelity"] >= (-np.inf if gate_db is None else gate_db)
    for i in np.flatnonzero(~parts["trusted"]):
        parts["video"][i] = linear_blend(videos[i], steps)
        parts["copy_mask"][i] = 1.0
    return parts


def flow_interpolation(
    videos: np.ndarray, anchor_steps, cfg, device: torch.device | str = "cpu", card_input: dict | None = None
) -> torch.Tensor | None:
    """The copy source a model with `cfg.copy_source` "dis_flow" needs: `dis_flow` of each video's anchors, float
    (B, T, 3, H, W) as the model reads its input; None for "blend" (the model blends the anchors itself).
    videos: uint8 (B, T, H, W, 3), only the anchor frames are read."""
    if cfg.copy_source == "blend":
        return None
    if cfg.copy_source != "dis_flow":
        raise ValueError(f"unknown copy_source {cfg.copy_source!r}: blend or dis_flow")
    return to_input(np.stack([dis_flow(v, anchor_steps) for v in videos]), device, card_input)


def complete(
    model, videos: np.ndarray, anchor_steps, samples: int, seed: int, batch: int = 64, card_input: dict | None = None
) -> np.ndarray:
    """`complete_parts`' served "video" alone: uint8 (B, samples, T, H, W, 3)."""
    return complete_parts(model, videos, anchor_steps, samples, seed, batch, card_input)["video"]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR (dB, scikit-image) of two uint8 arrays of the same shape over all their pixels; 60 dB for identical ones."""
    if np.array_equal(a, b):
        return 60.0
    return float(min(60.0, peak_signal_noise_ratio(b, a, data_range=255)))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM over frames of two uint8 videos (T, H, W, 3) (scikit-image, 7x7 window, colour)."""
    pairs = zip(a, b, strict=True)
    return float(np.mean([structural_similarity(x, y, channel_axis=-1, data_range=255) for x, y in pairs]))


def diversity(samples: np.ndarray) -> float:
    """Mean pairwise L1 (in [0, 1] units) between the samples (S, T, H, W, 3) of one video; 0 for one sample."""
    s = samples.astype(np.float32) / 255.0
    pairs = [np.abs(s[i] - s[j]).mean() for i in range(len(s)) for j in range(i + 1, len(s))]
    return float(np.mean(pairs)) if pairs else 0.0


def copy_share(copy_mask: np.ndarray, anchor_steps) -> float:
    """Mean weight of the anchors' blend in the output over the free (non-anchor) pixels: 1 for a pure copy, 0 where
    every free pixel is the decoder's. copy_mask (..., T, H, W) with T on the third axis from the end."""
    free = anchor_mask(anchor_steps, copy_mask.shape[-3]) == 0
    return float(copy_mask[..., free, :, :].mean())


def gradient_energy(frames: np.ndarray) -> float:
    """Mean squared spatial gradient (dx^2 + dy^2, [0, 1] units) of uint8 frames (..., H, W, 3): blur lowers it.

    Squared, not absolute: blurring an edge spreads its step over more pixels and keeps the sum of |dx| (the total
    variation), so an L1 measure barely sees blur; the squares fall with the width the step is spread over."""
    f = frames.astype(np.float32) / 255.0
    return float(np.square(np.diff(f, axis=-2)).mean() + np.square(np.diff(f, axis=-3)).mean())


def gradient_match(generated: float, truth: float) -> float:
    """How well generated frames' gradient energy matches the truth's: min(r, 1/r) of their ratio r, 1 when equal,
    lower for frames blurrier (or noisier) than real ones."""
    if generated <= 0 or truth <= 0:
        return float(generated == truth)
    ratio = generated / truth
    return float(min(ratio, 1 / ratio))


def score(truth: np.ndarray, samples: np.ndarray, anchor_steps, with_ssim: bool = True) -> dict[str, float]:
    """Metrics of one video's samples against the truth. truth (T, H, W, 3), samples (S, T, H, W, 3).

    best5: the best sample by PSNR of the non-anchor frames (SSIM: the best sample by SSIM); mean: over samples;
    anchor_psnr: of the first sample's anchor frames; diversity over the non-anchor frames."""
    mask = anchor_mask(anchor_steps, len(truth)) > 0
    free = ~mask
    values = [psnr(s[free], truth[free]) for s in samples]
    out = {
        "psnr_best": max(values),
        "psnr_mean": float(np.mean(values)),
        "anchor_psnr": psnr(samples[0][mask], truth[mask]),
        "diversity": diversity(samples[:, free]),
    }
    if with_ssim:
        out["ssim_best"] = max(ssim(s[free], truth[free]) for s in samples)
    return out


def video_scores(truths: np.ndarray, samples: np.ndarray, anchor_steps, with_ssim: bool = True) -> list[dict]:
    """`score` of each video: truths (N, T, H, W, 3), samples (N, S, T, H, W, 3)."""
    return [score(t, s, anchor_steps, with_ssim) for t, s in zip(truths, samples, strict=True)]


def average(rows: list[dict]) -> dict[str, float]:
    """Per-video scores averaged over the videos."""
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def mean_scores(truths: np.ndarray, samples: np.ndarray, anchor_steps, with_ssim: bool = True) -> dict[str, float]:
    """`score` averaged over videos."""
    return average(video_scores(truths, samples, anchor_steps, with_ssim))


# ---------------------------------------------------------------- baselines (one deterministic sample each)


def linear_blend(video: np.ndarray, anchor_steps) -> np.ndarray:
    """Each step as the time-weighted blend of the nearest anchors around it (the nearest anchor at the ends)."""
    steps = sorted(anchor_steps)
    out = video.astype(np.float32).copy()
    for t in range(len(video)):
        before = [s for s in steps if s <= t]
        after = [s for s in steps if s >= t]
        p = before[-1] if before else after[0]
        n = after[0] if after else before[-1]
        w = 0.0 if n == p else (t - p) / (n - p)
        out[t] = (1 - w) * video[p] + w * video[n]
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def repeat_last(video: np.ndarray, anchor_steps) -> np.ndarray:
    """Each step as the last anchor at or before it (the first anchor before any)."""
    steps = sorted(anchor_steps)
    out = video.copy()
    for t in range(len(video)):
        before = [s for s in steps if s <= t]
        out[t] = video[before[-1] if before else steps[0]]
    return out


_DIS = None


def _flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    global _DIS
    if _DIS is None:
        _DIS = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grey = lambda x: cv2.cvtColor(x, cv2.COLOR_RGB2GRAY)  # noqa: E731
    return _DIS.calc(grey(a), grey(b), None)


def _warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    h, w = flow.shape[:2]
    grid = np.stack(np.meshgrid(np.arange(w), np.arange(h)), -1).astype(np.float32)
    coords = grid + flow
    return cv2.remap(image, coords[..., 0], coords[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def dis_flow(video: np.ndarray, anchor_steps) -> np.ndarray:
    """Interpolation by OpenCV DIS optical flow: between anchors p < n, step t at w = (t-p)/(n-p) is the blend of p
    warped back along w of the flow t->p (approximated by -w * flow p->n) and n warped along (1-w) of flow n->p."""
    steps = sorted(anchor_steps)
    out = linear_blend(video, steps).astype(np.float32)
    for p, n in zip(steps[:-1], steps[1:], strict=True):
        if n - p < 2:
            continue
        forward, backward = _flow(video[p], video[n]), _flow(video[n], video[p])
        for t in range(p + 1, n):
            w = (t - p) / (n - p)
            from_p = _warp(video[p], -w * forward)  # sample p where the pixel at t came from
            from_n = _warp(video[n], -(1 - w) * backward)
            out[t] = (1 - w) * from_p + w * from_n
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
