"""The eval's measurements of one model (or baseline) on the held-out sets, as metric keys and per-item arrays.

Sets (built by evaluate.test_sets): "interpolation" and "prediction" Shape Motion test videos, "real" (tree.avi) and
"real_vtest" (the second half of vtest.avi's held-out end) interpolation clips, and "open_interpolation" /
"open_prediction": open clips with two ground-truth futures each (vtl_models.video.futures).

Served path: the compositor's output (`video`); decoded path: the decoder's own frames before compositing (`decoded`).
Every figure is over the free (non-anchor) frames unless its name says anchor.
"""

from __future__ import annotations

import numpy as np

from vtl_models.video.data import TASKS, anchor_mask
from vtl_models.video.futures import future_spread
from vtl_models.video.metrics import (
    average,
    complete_parts,
    copy_share,
    diversity,
    gradient_energy,
    gradient_match,
    psnr,
    video_scores,
)

SAMPLES = 5
STEPS = {
    "interpolation": TASKS["interpolation"][0],
    "prediction": TASKS["prediction"][0],
    "real": TASKS["interpolation"][0],
    "real_vtest": TASKS["interpolation"][0],
    "open_interpolation": TASKS["interpolation"][0],
    "open_prediction": TASKS["prediction"][0],
}
REAL_KEYS = {"real": "", "real_vtest": "_vtest"}  # set -> suffix of its metric keys


def _free(videos: np.ndarray, steps) -> np.ndarray:
    """The free frames of videos (..., T, H, W, 3)."""
    return videos[..., anchor_mask(steps, videos.shape[-4]) == 0, :, :, :]


def _grad_items(truths: np.ndarray, samples: np.ndarray, steps) -> tuple[np.ndarray, np.ndarray]:
    """Per video, gradient energy of its samples' free frames (mean over samples) and of its truth's."""
    generated = np.array([gradient_energy(_free(s, steps)) for s in samples])
    return generated, np.array([gradient_energy(_free(t, steps)) for t in truths])


def open_scores(clips: np.ndarray, samples: np.ndarray, steps) -> dict[str, float]:
    """Open clips (N, F, T, ...) with samples (N, S, T, ...) drawn from their shared anchors: the samples' diversity,
    the futures' spread, and best-of-S PSNR minus mean-sample PSNR with each future as the truth (averaged)."""
    gains = []
    for futures, own in zip(clips, samples, strict=True):
        for truth in futures:
            values = [psnr(_free(s, steps), _free(truth, steps)) for s in own]
            gains.append(max(values) - float(np.mean(values)))
    return {
        "diversity": float(np.mean([diversity(_free(s, steps)) for s in samples])),
        "true_future_spread": float(future_spread(clips, steps).mean()),
        "best5_gain": float(np.mean(gains)),
    }


def model_run(
    model, data: dict, card_input: dict | None, claim_only: bool = False, gate_db: float | None = None
) -> dict:
    """A model's figures on `data` (SAMPLES samples per video, fixed codes): {"metrics": ..., "items": ...}.

    `gate_db`: the served path's gate (metrics.complete_parts; None: none); `*model_share*`: the share of videos it
    let the model serve (the rest get the linear blend).

    items: per test video, best-of-5 interpolation PSNR ("interp_psnr") and, over interpolation then prediction
    videos, the gradient energy of the samples and of the truth ("grad_generated", "grad_truth"): what the claims
    resample. `claim_only`: only the interpolation and prediction sets (a claim seed's eval)."""
    sets = ("interpolation", "prediction") if claim_only else tuple(STEPS)
    m: dict[str, float | None] = {}
    items: dict[str, list] = {"grad_generated": [], "grad_truth": []}
    share, anchors_decoded = [], []
    for name in sets:
        videos, steps = data.get(name), STEPS[name]
        if videos is None:
            continue
        anchors_from = videos[:, 0] if name.startswith("open_") else videos
        parts = complete_parts(model, anchors_from, steps, SAMPLES, seed=0, card_input=card_input, gate_db=gate_db)
        short = "interp" if "interpolation" in name else "pred"
        if name.startswith("open_"):
            m |= {f"open_{short}_{key}": value for key, value in open_scores(videos, parts["video"], steps).items()}
            continue
        rows = video_scores(videos, parts["video"], steps, with_ssim=name != "prediction")
        scores = average(rows)
        if name in REAL_KEYS:
            suffix = REAL_KEYS[name]
            m[f"real_interp_psnr{suffix}"] = scores["psnr_best"]
            m[f"real_interp_ssim{suffix}"] = scores["ssim_best"]
            m[f"real_interp_psnr_mean{suffix}"] = scores["psnr_mean"]
            m[f"real_model_share{suffix}"] = float(parts["trusted"].mean())
            continue
        m[f"{short}_psnr_best5"] = scores["psnr_best"]
        if name == "interpolation":
            m["interp_ssim_best5"] = scores["ssim_best"]
            items["interp_psnr"] = np.array([r["psnr_best"] for r in rows])
        m[f"{short}_psnr_mean"] = scores["psnr_mean"]
        m[f"{short}_diversity"] = scores["diversity"]
        m[f"{short}_anchor_psnr"] = scores["anchor_psnr"]
        m[f"{short}_model_share"] = float(parts["trusted"].mean())
        decoded = video_scores(videos, parts["decoded"], steps, with_ssim=False)
        m[f"decoded_{short}_psnr"] = average(decoded)["psnr_best"]
        anchors_decoded.append(average(decoded)["anchor_psnr"])
        share.append(copy_share(parts["copy_mask"], steps))
        generated, truth = _grad_items(videos, parts["video"], steps)
        m[f"{short}_grad_match"] = gradient_match(generated.sum(), truth.sum())
        items["grad_generated"].append(generated)
        items["grad_truth"].append(truth)
    if share:
        m["copy_share"] = float(np.mean(share))
        m["anchor_psnr"] = float(np.mean([m.pop("interp_anchor_psnr"), m.pop("pred_anchor_psnr")]))
        m["anchor_psnr_decoded"] = float(np.mean(anchors_decoded))
    items = {k: np.concatenate(v) if isinstance(v, list) else v for k, v in items.items()}
    if len(items["grad_truth"]):
        m["grad_match"] = gradient_match(items["grad_generated"].sum(), items["grad_truth"].sum())
    if "open_interp_diversity" in m and "open_pred_diversity" in m:
        for key in ("diversity", "true_future_spread", "best5_gain"):
            m[key if key != "best5_gain" else "open_best5_gain"] = (m[f"open_interp_{key}"] + m[f"open_pred_{key}"]) / 2
    return {"metrics": _rounded(m), "items": items}


def baseline_run(method, data: dict, prediction: bool) -> dict:
    """A deterministic baseline (one output per video, anchors pasted) under the model's keys that apply to it."""
    m: dict[str, float | None] = {}
    for name in ("interpolation", "prediction", "real", "real_vtest"):
        videos, steps = data.get(name), STEPS[name]
        if videos is None or (name == "prediction" and not prediction):
            continue
        outputs = np.stack([method(v, steps) for v in videos])[:, None]
        scores = average(video_scores(videos, outputs, steps, with_ssim=name != "prediction"))
        if name in REAL_KEYS:
            m[f"real_interp_psnr{REAL_KEYS[name]}"] = scores["psnr_best"]
            m[f"real_interp_ssim{REAL_KEYS[name]}"] = scores["ssim_best"]
            continue
        short = "interp" if name == "interpolation" else "pred"
        m[f"{short}_psnr_best5"] = m[f"{short}_psnr_mean"] = scores["psnr_best"]
        if name == "interpolation":
            m["interp_ssim_best5"] = scores["ssim_best"]
        generated, truth = _grad_items(videos, outputs, steps)
        m[f"{short}_grad_match"] = gradient_match(generated.sum(), truth.sum())
    return _rounded(m)


def _rounded(m: dict) -> dict:
    return {k: (None if v is None else round(float(v), 4)) for k, v in m.items()}
