"""`python -m vtl_models eval video --json`: SR-cGAN on regenerated held-out Shape Motion and on tree.avi clips.

Interpolation: anchors t=1 and t=8 of 8 frames; prediction: anchors t=1..6 of 16 frames. Each video gets 5 samples
(codes from a fixed seed); PSNR/SSIM over the non-anchor frames of the best sample and PSNR averaged over samples,
PSNR of the anchor frames as output by the model, and diversity (mean pairwise L1 of the samples' non-anchor frames,
[0, 1] units) on prediction, where the future after t=6 is ambiguous. Real clips: tree.avi (never trained on),
interpolation in the same setting. Baselines on the same videos: linear_blend, dis_flow, repeat_last (deterministic:
their single output under the best5 keys) and the no_gan ablation (weights/video/no_gan).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import torch

from vtl_models.claims import decide
from vtl_models.domain_fit import ood_auroc
from vtl_models.hub import has_card
from vtl_models.hub import load_model as load_from_card
from vtl_models.video.data import TASKS, shape_batch, test_real_clips
from vtl_models.video.metrics import (
    average,
    complete,
    dis_flow,
    linear_blend,
    mean_scores,
    repeat_last,
    to_input,
    video_scores,
)
from vtl_models.video.predictor import build, prepare_frame

log = logging.getLogger("vtl.video.eval")
N_TEST = 200  # videos per task
SAMPLES = 5
INTERP, PRED = TASKS["interpolation"], TASKS["prediction"]


def test_sets(size: int) -> dict[str, np.ndarray | None]:
    """The held-out videos: Shape Motion test seeds (interpolation 0..199, prediction 10000..10199) and tree.avi."""
    return {
        "interpolation": shape_batch("test", 0, N_TEST, size, INTERP[1]),
        "prediction": shape_batch("test", 10_000, N_TEST, size, PRED[1]),
        "real": test_real_clips(size, INTERP[1]),
    }


def _report(interp: dict, pred: dict | None, real: dict | None) -> dict:
    """The eval's metric keys from per-task score dicts (None: that part does not apply)."""
    out = {
        "interp_psnr_best5": interp["psnr_best"],
        "interp_ssim_best5": interp["ssim_best"],
        "interp_psnr_mean": interp["psnr_mean"],
    }
    if pred is not None:
        out["pred_psnr_best5"] = pred["psnr_best"]
        out["pred_psnr_mean"] = pred["psnr_mean"]
        out["anchor_psnr"] = (interp["anchor_psnr"] + pred["anchor_psnr"]) / 2
        out["diversity"] = pred["diversity"]
        out["interp_diversity"] = interp["diversity"]
    out["real_interp_psnr"] = None if real is None else real["psnr_best"]
    out["real_interp_ssim"] = None if real is None else real["ssim_best"]
    if real is not None and pred is not None:
        out["real_interp_psnr_mean"] = real["psnr_mean"]
    return {k: (None if v is None else round(float(v), 4)) for k, v in out.items()}


def model_scores(model, data: dict) -> tuple[dict, np.ndarray]:
    """A model's metrics (5 samples per video, fixed codes), and its best-of-5 interpolation PSNR per test video."""
    scores = {}
    for task, (steps, _) in (("interpolation", INTERP), ("prediction", PRED), ("real", INTERP)):
        videos = data[task]
        if videos is None:
            scores[task] = None
            continue
        rows = video_scores(videos, complete(model, videos, steps, SAMPLES, seed=0), steps, task != "prediction")
        scores[task] = average(rows)
        if task == "interpolation":
            per_video = np.array([r["psnr_best"] for r in rows])
    return _report(scores["interpolation"], scores["prediction"], scores["real"]), per_video


def baseline_scores(method, data: dict, prediction: bool) -> dict:
    """A deterministic baseline's metrics: its single output scored as the best (and mean) sample."""
    scores = {}
    for task, (steps, _) in (("interpolation", INTERP), ("prediction", PRED), ("real", INTERP)):
        videos = data[task]
        if videos is None or (task == "prediction" and not prediction):
            scores[task] = None
            continue
        outputs = np.stack([method(v, steps) for v in videos])[:, None]
        scores[task] = mean_scores(videos, outputs, steps, with_ssim=task != "prediction")
    report = _report(scores["interpolation"], scores["prediction"], scores["real"])
    for key in ("real_interp_psnr_mean", "anchor_psnr", "diversity", "interp_diversity"):
        report.pop(key, None)  # it pastes the anchors and has one output: these do not apply
    return report


@torch.no_grad()
def vae_anchor_psnr(model, videos: np.ndarray) -> float:
    """PSNR of the VAE's own reconstruction of the anchor frames (the decoded path, without the compositor's copy)."""
    from vtl_models.video.metrics import psnr, to_uint8

    anchors = videos[:, list(INTERP[0])]
    recon = to_uint8(model.reconstruct(to_input(anchors).flatten(0, 1)))
    return round(psnr(recon, anchors.reshape(recon.shape)), 4)


def run(name: str = "default") -> dict:
    """Evaluate weights/video/<name> and its baselines on the regenerated test set; the eval contract dict."""
    start = time.time()
    torch.set_num_threads(2)
    model, card = load_from_card("video", name, build)
    data = test_sets(model.cfg.size)
    metrics, per_video = model_scores(model, data)
    metrics["vae_anchor_psnr"] = vae_anchor_psnr(model, data["interpolation"])
    # held-out frames (Shape Motion, vtest.avi's held-out end) against real photos framed as the tab frames uploads
    metrics["ood_auroc"] = ood_auroc("video", prepare=lambda photo: prepare_frame(photo, model.cfg.size))
    log.info("model done %.0fs", time.time() - start)
    baselines = {
        "linear_blend": baseline_scores(linear_blend, data, prediction=False),
        "dis_flow": baseline_scores(dis_flow, data, prediction=False),
        "repeat_last": baseline_scores(repeat_last, data, prediction=True),
    }
    claims = {}
    if has_card("video", "no_gan"):
        no_gan, _ = load_from_card("video", "no_gan", build)
        baselines["no_gan"], no_gan_per_video = model_scores(no_gan, data)
        psnr = lambda run, idx: float(run[idx].mean())  # noqa: E731 (the statistic decide() resamples)
        claims["gan_vs_no_gan"] = decide(psnr, [per_video], [no_gan_per_video], N_TEST, "interp_psnr_best5")
    n_real = 0 if data["real"] is None else len(data["real"])
    return {
        "task": "video",
        "model": f"SR-cGAN ({card.raw.get('training', {}).get('default_is', name)}), {model.cfg.size}x{model.cfg.size}",
        "weights_sha256": card.sha256,
        "n_test": 2 * N_TEST + n_real,
        "n_test_detail": {"interpolation": N_TEST, "prediction": N_TEST, "tree_avi_clips": n_real},
        "samples_per_video": SAMPLES,
        "seconds": round(time.time() - start, 1),
        "metrics": metrics,
        "baselines": baselines,
        "claims": claims,
    }
