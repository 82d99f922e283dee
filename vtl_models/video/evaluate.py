"""`python -m vtl_models eval video --json`: SR-cGAN on regenerated held-out Shape Motion and real clips.

Interpolation: anchors t=1 and t=8 of 8 frames; prediction: anchors t=1..6 of 16 frames. Each video gets 5 samples
(codes from a fixed seed). Figures (vtl_models.video.scoring; over the non-anchor frames unless named anchor):
- served path (the compositor's output, or the linear blend where the card's gate falls back to it,
  vtl_models.video.gate): best-of-5 and mean PSNR, best-of-5 SSIM, anchor_psnr; *model_share*: the share of videos
  the gate let the model serve;
- decoded path (the decoder's frames, no copy from the anchors): decoded_interp_psnr / decoded_pred_psnr (best of 5),
  anchor_psnr_decoded; copy_share: the mean weight of the anchors' blend in the served free pixels;
- open clips (vtl_models.video.futures: two ground-truth futures share the anchors): true_future_spread (mean L1
  between the futures), diversity (mean pairwise L1 between the samples), open_best5_gain (best-of-5 minus
  mean-sample PSNR, each future as the truth); per setting as open_interp_* / open_pred_*;
- realism: grad_match, how well the samples' spatial gradient energy matches the truth's (min(r, 1/r); blur < 1);
- real clips, interpolation: tree.avi (real_interp_*, never trained on) and the second half of vtest.avi's held-out
  end (real_interp_*_vtest; training never reads it; checkpoint choice (validation.py) and the gate read only
  the first half, though the committed weights were chosen before that split: see the card's caveats).
Baselines on the same videos: linear_blend, dis_flow, repeat_last (deterministic: their one output under the best5
and mean keys) and the no_gan ablation (its own card: no gate). claims.gan_vs_no_gan: weights/video/gan[_seedN]
against no_gan[_seedN] (no gates) on interpolation best-of-5 PSNR and on grad_match, by vtl_models.claims.decide
(undecided below 3 seeds a side).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from vtl_models.claims import decide, seed_suffixes
from vtl_models.domain_fit import ood_auroc
from vtl_models.hub import has_card, read_card
from vtl_models.hub import load_model as load_from_card
from vtl_models.video.data import TASKS, shape_batch, test_real_clips
from vtl_models.video.futures import open_batch
from vtl_models.video.metrics import (
    dis_flow,
    gate_db,
    gradient_match,
    linear_blend,
    psnr,
    repeat_last,
    to_input,
    to_uint8,
)
from vtl_models.video.predictor import build, prepare_frame
from vtl_models.video.scoring import SAMPLES, baseline_run, model_run

log = logging.getLogger("vtl.video.eval")
N_TEST = 200  # videos per task
N_OPEN = 100  # open clips per setting, two futures each
INTERP, PRED = TASKS["interpolation"], TASKS["prediction"]


def test_sets(size: int, n_test: int = N_TEST, n_open: int = N_OPEN) -> dict[str, np.ndarray | None]:
    """The held-out videos: Shape Motion test seeds (interpolation 0.., prediction 10000..), open clips (test seeds
    50000.. and 60000..), tree.avi and the second half of vtest.avi's held-out end (None without opencv-doc)."""
    return {
        "interpolation": shape_batch("test", 0, n_test, size, INTERP[1]),
        "prediction": shape_batch("test", 10_000, n_test, size, PRED[1]),
        "real": test_real_clips(size, INTERP[1]),
        "real_vtest": test_real_clips(size, INTERP[1], "vtest.avi", validation=True, half=1),
        "open_interpolation": open_batch("test", "interpolation", 0, n_open, size),
        "open_prediction": open_batch("test", "prediction", 0, n_open, size),
    }


@torch.no_grad()
def vae_anchor_psnr(model, videos: np.ndarray) -> float:
    """PSNR of the VAE's own reconstruction of the anchor frames (the decoded path, without the compositor's copy)."""
    anchors = videos[:, list(INTERP[0])]
    recon = to_uint8(model.reconstruct(to_input(anchors).flatten(0, 1)))
    return round(psnr(recon, anchors.reshape(recon.shape)), 4)


HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("VTL_VIDEO_EVAL_CACHE", HERE.parents[1] / "data" / "video_eval_cache"))  # git-ignored


PART_SECONDS: dict[str, float] = {}  # wall seconds of each part read from the cache (computed by another process)


def _code_version() -> str:
    """A hash of the code that makes the test sets and scores them: a cached part is reused only by the same code."""
    files = ("data.py", "futures.py", "metrics.py", "model.py", "scoring.py", "evaluate.py")
    return hashlib.sha256(b"".join((HERE / f).read_bytes() for f in files)).hexdigest()[:12]


def cached(key: str, compute):
    """compute() once per `key` and code version, kept under CACHE (JSON metrics, .npz arrays: no pickle), so the
    parts of one eval can be computed by parallel `--part` processes on a loaded machine; the result is the same."""
    stem = f"{key}_{_code_version()}"

    def path(ext: str) -> Path:  # not with_suffix: a key may hold a dot, as a gate's dB
        return CACHE / f"{stem}.{ext}"

    if path("json").exists():
        if path("seconds").exists():
            PART_SECONDS[key] = float(path("seconds").read_text())
        value = json.loads(path("json").read_text())
        if path("npz").exists():
            with np.load(path("npz")) as arrays:
                value["items"] = {k: arrays[k] for k in arrays.files}
        return value
    began = time.time()
    value = compute()
    CACHE.mkdir(parents=True, exist_ok=True)
    path("seconds").write_text(f"{time.time() - began:.1f}")
    if isinstance(value, dict) and "items" in value:
        np.savez(path("npz"), **value["items"])
    plain = {k: v for k, v in value.items() if k != "items"} if isinstance(value, dict) else value
    path("json").write_text(json.dumps(plain))
    return value


class Runs:
    """Model runs on the test sets, each computed once per weights file (the default may be the gan file)."""

    def __init__(self, data: dict, sizes: str = ""):
        self.data, self.sizes = data, sizes

    def get(self, name: str, claim_only: bool = False) -> dict:
        card = read_card("video", name)
        gate = gate_db(card)
        full = f"run_{card.sha256[:16]}_full{self.sizes}" + ("" if gate is None else f"_gate{gate}")
        if claim_only and not (CACHE / f"{full}_{_code_version()}.json").exists():
            return cached(f"run_{card.sha256[:16]}_claim{self.sizes}", lambda: self._run(name, True))
        return cached(full, lambda: self._run(name, False))

    def _run(self, name: str, claim_only: bool) -> dict:
        model, card = load_from_card("video", name, build)
        out = model_run(model, self.data, card.raw["input"], claim_only, gate_db(card))
        log.info("%s done", name)
        return out


def gan_claim(runs: Runs) -> dict:
    """claims.gan_vs_no_gan: every training seed both sides have, paired over the test videos, on interpolation
    best-of-5 PSNR and (its part `grad_match`) the realism of the samples' sharpness over interpolation and
    prediction videos."""
    suffixes = seed_suffixes("video", "gan", "no_gan")
    sides = {side: [runs.get(side + s, claim_only=s != "")["items"] for s in suffixes] for side in ("gan", "no_gan")}
    mean_psnr = lambda run, idx: float(run["interp_psnr"][idx].mean())  # noqa: E731 (what decide() resamples)
    realism = lambda run, idx: gradient_match(run["grad_generated"][idx].sum(), run["grad_truth"][idx].sum())  # noqa: E731
    n_psnr, n_grad = len(sides["gan"][0]["interp_psnr"]), len(sides["gan"][0]["grad_truth"])
    claim = decide(mean_psnr, sides["gan"], sides["no_gan"], n_psnr, "interp_psnr_best5")
    claim["grad_match"] = decide(realism, sides["gan"], sides["no_gan"], n_grad, "grad_match")
    claim["runs"] = {side: [side + s for s in suffixes] for side in sides}
    return claim


def run(name: str = "default", n_test: int = N_TEST, n_open: int = N_OPEN, part: str | None = None) -> dict:
    """Evaluate weights/video/<name> and its baselines on the regenerated test set; the eval contract dict.

    `part` (one of PARTS) computes and caches only that part (for parallel processes) and returns {}."""
    start = time.time()
    torch.set_num_threads(min(2, torch.get_num_threads()))  # 2 cores; fewer where OMP_NUM_THREADS says so
    model, card = load_from_card("video", name, build)
    data = test_sets(model.cfg.size, n_test, n_open)
    sizes = f"_{n_test}_{n_open}"
    runs = Runs(data, sizes)
    parts = {
        "model": lambda: runs.get(name),
        "no_gan": lambda: runs.get("no_gan") if has_card("video", "no_gan") else None,
        "baselines": lambda: cached(
            f"baselines{sizes}",
            lambda: {
                "linear_blend": baseline_run(linear_blend, data, prediction=False),
                "dis_flow": baseline_run(dis_flow, data, prediction=False),
                "repeat_last": baseline_run(repeat_last, data, prediction=True),
            },
        ),
        # held-out frames (Shape Motion, vtest.avi's held-out end) against real photos framed as the tab frames them
        "ood": lambda: cached(
            f"ood_{card.sha256[:16]}",
            lambda: {
                "vae_anchor_psnr": vae_anchor_psnr(model, data["interpolation"]),
                "ood_auroc": ood_auroc("video", prepare=lambda photo: prepare_frame(photo, model.cfg.size)),
            },
        ),
    }
    if part is not None:
        parts[part]()
        return {}
    metrics = {**runs.get(name)["metrics"], **parts["ood"]()}
    log.info("model done %.0fs", time.time() - start)
    baselines = dict(parts["baselines"]())
    claims = {}
    if has_card("video", "no_gan"):
        baselines["no_gan"] = runs.get("no_gan")["metrics"]
        if has_card("video", "gan"):
            claims["gan_vs_no_gan"] = gan_claim(runs)
    sizes = {k: (0 if v is None else len(v)) for k, v in data.items()}
    return {
        "task": "video",
        "model": f"SR-cGAN ({card.raw.get('training', {}).get('default_is', name)}), {model.cfg.size}x{model.cfg.size}",
        "weights_sha256": card.sha256,
        "n_test": sum(sizes.values()),
        "n_test_detail": sizes,
        "samples_per_video": SAMPLES,
        "seconds": round(time.time() - start, 1),
        "seconds_of_cached_parts": dict(PART_SECONDS),  # parts computed by parallel `--part` processes, wall seconds
        "metrics": metrics,
        "baselines": baselines,
        "claims": claims,
    }


PARTS = ("model", "no_gan", "baselines", "ood")

if __name__ == "__main__":  # python -m vtl_models.video.evaluate --part PART: one cached part of the eval
    logging.basicConfig(level=logging.INFO)
    run(part=sys.argv[sys.argv.index("--part") + 1])
