"""`python -m vtl_models eval reid --json`: regenerate target A's test identities and score ARN and the baselines,
then the same on target B (the committed vtest.avi tracklet crops).

Claims (vtl_models/claims.py; training seed i of ARN paired with seed i of the other side, at equal steps): rank-1
and mAP of ARN against source_only and against mmd_only (a DAN-style ablation: MMD on the shared feature, no
private encoders, decoder or difference loss), on target A (test identities resampled) and on target B (tracklets
resampled)."""

from __future__ import annotations

import logging
import time

import numpy as np
import torch

from vtl_models.claims import decide
from vtl_models.domain_fit import ood_auroc
from vtl_models.hub import has_card, read_card
from vtl_models.reid.features import load_split, trunk_maps
from vtl_models.reid.metrics import cosine_distance, evaluate_ranking, retrieval_metrics
from vtl_models.reid.model import ImageNetHead, Trunk
from vtl_models.reid.predictor import load_encoder
from vtl_models.reid.shipped import real_samples

log = logging.getLogger("vtl.reid.eval")
KEYS = ("rank1", "rank5", "rank10", "mAP")
SEED_NAMES = {  # the runs of each side, seed 0 first (eval-only weights past seed 0)
    "model": ("default", "arn_seed1", "arn_seed2"),
    "source_only": ("source_only", "source_only_seed1", "source_only_seed2"),
    "mmd_only": ("mmd_only", "mmd_only_seed1", "mmd_only_seed2"),
}
CLAIMS = {"arn_vs_source_only": "source_only", "arn_vs_mmd_only": "mmd_only"}


@torch.inference_mode()
def _features(encode, maps: torch.Tensor, batch: int = 500) -> np.ndarray:
    return np.concatenate([encode(maps[i : i + batch]).numpy() for i in range(0, len(maps), batch)])


def real_ranking(features: np.ndarray, samples: dict) -> dict:
    """Target B's ranking (evaluate_ranking, per query): queries from the start window of each tracklet, gallery =
    every end-window crop."""
    query, gallery = samples["window"] == 0, samples["window"] == 1
    d = cosine_distance(features[query], features[gallery])
    track = samples["track"]
    # the window plays the camera: a query's own window is never in the gallery, so nothing is excluded
    return evaluate_ranking(
        d, track[query], np.zeros(query.sum()), track[gallery], np.ones(gallery.sum()), per_query=True
    )


def by_identity(per_query: list[dict], key: str) -> tuple[list[np.ndarray], np.ndarray]:
    """Each run's per-query `key` summed per identity, and the queries per identity: resampling identities (a
    person's queries share their fate) rather than queries."""
    groups, index = np.unique(per_query[0]["ids"], return_inverse=True)
    counts = np.bincount(index, minlength=len(groups)).astype(float)
    sums = [np.bincount(index, weights=q[key], minlength=len(groups)) for q in per_query]
    return sums, counts


def claim(ours: list[dict], theirs: list[dict]) -> dict:
    """The rank-1 entry of vtl_models.claims, its mAP entry as a part, over as many seed pairs as both sides have."""
    pairs = min(len(ours), len(theirs))
    out = {}
    for metric, key in (("rank1", "hits"), ("mAP", "aps")):
        model_sums, counts = by_identity(ours[:pairs], key)
        base_sums, _ = by_identity(theirs[:pairs], key)
        out[metric] = decide(_share(counts), model_sums, base_sums, len(counts), metric)
    return out["rank1"] | {"mAP": out["mAP"]}


def _share(counts: np.ndarray):
    """The statistic decide() resamples: the mean over the queries of the resampled identities."""
    return lambda sums, idx: float(sums[idx].sum() / counts[idx].sum())


def run(name: str = "default") -> dict:
    """The eval contract: metrics of `name` and of the baselines on target A test (and target B), and the claims."""
    start = time.time()
    torch.set_num_threads(2)
    trunk = Trunk()
    test = load_split("target", "test", trunk)
    ids, cams = test["rows"][:, 0], test["rows"][:, 1]
    real = real_samples()  # target B: the vtest.avi tracklet crops shipped in the tab's gallery
    real_maps = trunk_maps(trunk, real["crops"]) if real is not None else None

    def score(encode) -> tuple[dict, dict, dict | None]:
        m = retrieval_metrics(_features(encode, test["maps"]), ids, cams, per_query=True)
        out = {k: m[k] for k in KEYS} | {"real_rank1": None, "real_mAP": None}
        real_query = None
        if real_maps is not None:
            real_query = real_ranking(_features(encode, real_maps), real)
            out.update(real_rank1=real_query["rank1"], real_mAP=real_query["mAP"])
        return out, m, real_query

    baselines, cmc, runs = {}, {}, {}
    baselines["imagenet_features"], m, _ = score(ImageNetHead().eval())
    cmc["imagenet_features"] = m["cmc"]
    for side, names in SEED_NAMES.items():
        names = (name,) if side == "model" and name != "default" else names
        runs[side] = scored = [score(load_encoder(n).embed) for n in names if has_card("reid", n)]
        if scored:
            cmc[side] = scored[0][1]["cmc"]
            if side != "model":
                baselines[side] = scored[0][0]
    if has_card("reid", "target_oracle"):
        baselines["target_oracle"], m, _ = score(load_encoder("target_oracle").embed)
        cmc["target_oracle"] = m["cmc"]
    metrics = runs["model"][0][0]
    metrics["ood_auroc"] = ood_auroc("reid")  # held-out generated crops against real photos (vtl_models/domain.py)
    claims = {}
    for claim_name, side in CLAIMS.items():
        if runs[side]:
            claims[claim_name] = claim([r[1] for r in runs["model"]], [r[1] for r in runs[side]])
            if real_maps is not None:
                claims[claim_name + "_real"] = claim([r[2] for r in runs["model"]], [r[2] for r in runs[side]])
    for side in SEED_NAMES:
        if len(runs[side]) > 1:  # each side's mean over its seeds, and the per-seed figures
            figures = [r[0] for r in runs[side]]
            seeds = {k: round(float(np.mean([f[k] for f in figures])), 4) for k in KEYS}
            seeds |= {f"{k}_per_seed": [f[k] for f in figures] for k in ("rank1", "mAP", "real_rank1", "real_mAP")}
            baselines["arn_seeds" if side == "model" else f"{side}_seeds"] = seeds
    card = read_card("reid", name)
    return {
        "task": "reid",
        "model": f"reid/{name} ({card.raw.get('method', 'arn')})",
        "weights_sha256": card.sha256,
        "n_test": int(len(ids)),
        "n_test_identities": int(len(np.unique(ids))),
        "n_real_crops": None if real is None else int(len(real["crops"])),
        "seconds": round(time.time() - start, 1),
        "metrics": metrics,
        "baselines": baselines,
        "claims": claims,
        "cmc": cmc,  # target A test, ranks 1-20: the tab's plot
    }
