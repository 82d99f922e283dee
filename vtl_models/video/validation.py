"""Training's validation: the fixed validation videos and the score that ranks checkpoints.

Shape Motion validation seeds (interpolation and prediction), interpolation clips from the first half of vtest.avi's
held-out end (the eval's real_interp_psnr_vtest uses its second half), and, when asked (issue 38), open validation
clips (two ground-truth futures share the anchors; vtl_models.video.futures).
"""

from __future__ import annotations

import os

import numpy as np

from vtl_models.video.data import TASKS, shape_batch, test_real_clips
from vtl_models.video.futures import future_spread, open_batch
from vtl_models.video.metrics import complete, linear_blend, mean_scores
from vtl_models.video.model import SRcGAN

N_VAL = int(os.environ.get("VTL_VIDEO_NVAL", 48))  # validation videos per task
SEED = 1  # the validation's codes (the eval's are seed 0)


def validation_set(size: int, n_open: int = 0) -> dict[str, np.ndarray]:
    """The fixed validation videos per task (never the test seeds), as "real" the interpolation clips of the first
    half of vtest.avi's held-out end, which training never reads (consecutive frames, as the tree.avi test clips
    are), and with `n_open` > 0 that many open clips per setting ("open_<setting>", uint8 (N, F, T, H, W, 3))."""
    tasks = enumerate(TASKS.items())
    val = {task: shape_batch("val", i * N_VAL, N_VAL, size, length) for i, (task, (_, length)) in tasks}
    if n_open:
        val |= {f"open_{setting}": open_batch("val", setting, 0, n_open, size) for setting in TASKS}
    real = test_real_clips(size, TASKS["interpolation"][1], "vtest.avi", validation=True, half=0)
    return val if real is None else {**val, "real": real}


def open_ratio(model: SRcGAN, clips: np.ndarray, steps) -> float:
    """The samples' diversity over the true futures' spread on open clips (N, F, T, H, W, 3), capped at 1."""
    samples = complete(model, clips[:, 0], steps, samples=5, seed=SEED)
    return min(1.0, float(future_spread(samples, steps).mean() / future_spread(clips, steps).mean()))


def validate(model: SRcGAN, val: dict[str, np.ndarray]) -> dict[str, float]:
    """Best-of-5 and mean PSNR, anchor PSNR, diversity per task, plus a sharpness ratio (model / truth gradients);
    on the real clips, best-of-5 interpolation PSNR against the linear blend's; on open clips, the diversity ratio.
    `score` ranks checkpoints: the mean best-of-5 PSNR of interpolation and prediction, less any shortfall against
    the blend on the real clips, plus the open clips' diversity ratio (in [0, 1], averaged over settings) if any."""
    model.eval()
    out = {}
    for task, videos in val.items():
        if task.startswith("open_"):
            out[f"{task}_diversity_ratio"] = round(open_ratio(model, videos, TASKS[task[5:]][0]), 3)
            continue
        steps = TASKS["interpolation" if task == "real" else task][0]
        samples = complete(model, videos, steps, samples=5, seed=SEED)
        scores = mean_scores(videos, samples, steps, with_ssim=False)
        if task == "real":
            blend = np.stack([linear_blend(v, steps) for v in videos])[:, None]
            out["real_psnr_best"] = round(scores["psnr_best"], 3)
            out["real_blend_psnr"] = round(mean_scores(videos, blend, steps, with_ssim=False)["psnr_best"], 3)
            continue
        out.update({f"{task}_{k}": round(v, 3) for k, v in scores.items()})
        grad = lambda v: np.abs(np.diff(v.astype(np.float32), axis=-2)).mean()  # noqa: E731
        out[f"{task}_sharpness"] = round(float(grad(samples) / grad(videos)), 3)
    out["best5_psnr"] = round((out["interpolation_psnr_best"] + out["prediction_psnr_best"]) / 2, 3)
    shortfall = min(0.0, out["real_psnr_best"] - out["real_blend_psnr"]) if "real_psnr_best" in out else 0.0
    ratios = [v for k, v in out.items() if k.endswith("_diversity_ratio")]
    out["score"] = round(out["best5_psnr"] + shortfall + (float(np.mean(ratios)) if ratios else 0.0), 3)
    model.train()
    return out
