"""`python -m vtl_models eval reid --json`: regenerate target A's test identities and score ARN and the baselines,
then the same on target B (the committed vtest.avi tracklet crops)."""

from __future__ import annotations

import logging
import time

import numpy as np
import torch

from vtl_models.domain_fit import ood_auroc
from vtl_models.hub import has_card, read_card
from vtl_models.reid.features import load_split, trunk_maps
from vtl_models.reid.metrics import evaluate_ranking, paired_bootstrap, retrieval_metrics
from vtl_models.reid.model import ImageNetHead, Trunk
from vtl_models.reid.predictor import load_encoder
from vtl_models.reid.shipped import real_samples

log = logging.getLogger("vtl.reid.eval")
KEYS = ("rank1", "rank5", "rank10", "mAP")


@torch.inference_mode()
def _features(encode, maps: torch.Tensor, batch: int = 500) -> np.ndarray:
    return np.concatenate([encode(maps[i : i + batch]).numpy() for i in range(0, len(maps), batch)])


def real_metrics(features: np.ndarray, samples: dict) -> dict:
    """Target B: queries from the start window of each tracklet, gallery = every end-window crop."""
    query, gallery = samples["window"] == 0, samples["window"] == 1
    d = 1.0 - _unit(features[query]) @ _unit(features[gallery]).T
    track = samples["track"]
    # the window plays the camera: a query's own window is never in the gallery, so nothing is excluded
    m = evaluate_ranking(d, track[query], np.zeros(query.sum()), track[gallery], np.ones(gallery.sum()))
    return {"real_rank1": m["rank1"], "real_mAP": m["mAP"]}


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def run(name: str = "default") -> dict:
    """The eval contract: metrics of `name` and of the three baselines on target A test (and target B)."""
    start = time.time()
    torch.set_num_threads(2)
    trunk = Trunk()
    test = load_split("target", "test", trunk)
    ids, cams = test["rows"][:, 0], test["rows"][:, 1]
    real = real_samples()  # target B: the vtest.avi tracklet crops shipped in the tab's gallery
    real_maps = trunk_maps(trunk, real["crops"]) if real is not None else None

    per_query = {}

    def score(encode, key: str) -> dict:
        m = retrieval_metrics(_features(encode, test["maps"]), ids, cams, per_query=True)
        per_query[key] = m
        out = {k: m[k] for k in KEYS}
        if real_maps is not None:
            out.update(real_metrics(_features(encode, real_maps), real))
        else:
            out.update(real_rank1=None, real_mAP=None)
        return out, m["cmc"]

    imagenet = ImageNetHead().eval()
    baselines, cmc = {}, {}
    baselines["imagenet_features"], cmc["imagenet_features"] = score(imagenet, "imagenet_features")
    for baseline in ("source_only", "target_oracle"):
        if has_card("reid", baseline):
            baselines[baseline], cmc[baseline] = score(load_encoder(baseline).embed, baseline)
    model, card = load_encoder(name), read_card("reid", name)
    metrics, cmc["model"] = score(model.embed, "model")
    metrics["ood_auroc"] = ood_auroc("reid")  # held-out generated crops against real photos (vtl_models/domain.py)
    claims = {}
    if "source_only" in per_query:  # ARN's claim: adaptation beats the same network trained on the source alone
        ours, theirs = per_query["model"], per_query["source_only"]
        claims = {
            "rank1_minus_source_only": paired_bootstrap(ours["hits"], theirs["hits"]),
            "mAP_minus_source_only": paired_bootstrap(ours["aps"], theirs["aps"]),
            "training_seeds": 1,
            "interval": "95% percentile bootstrap over the test queries (one training seed: seed variance not in it)",
        }
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
