"""`python -m vtl_models train smile --validate`: the smile task's choices read on validation, never on test.

The unsupervised setting has no target labels. This task keeps a small labelled target validation set instead, and
the card declares it as such: N_VAL cartoons of the val split (seeds from 50,000,000, disjoint from the train and test
seeds) with their smile labels. It scores target_attr_acc (the attribute head through D_T) of every committed CDRD
run, of the shared-D ablation and of the source-only baselines, decides the task's two choices with the paired
interval of vtl_models.claims, and writes them into weights/smile/default.json as `validation`:

- the target layer D_T against one shared low-level layer: D_T stays unless the shared layer wins on validation;
- CDRD against source-only training, seed i against seed i.

The served default is the CDRD run of training seed 0 by rule (the seeds differ in nothing else).
"""

from __future__ import annotations

import logging

import torch

from vtl_models.hub import has_card, update_card
from vtl_models.smile.baseline import load_source_only, name_of
from vtl_models.smile.evaluate import BASELINE_SEEDS, _smile_hits, cdrd_seeds, faces, paired_claim
from vtl_models.smile.limits import cartoons_of

log = logging.getLogger("vtl.smile.validate")
N_VAL = 1000


@torch.no_grad()
def validate() -> dict:
    """Score the committed runs on the labelled validation cartoons and write the card's `validation` entry."""
    from vtl_models.smile.predictor import load_model as load_cdrd

    default = load_cdrd("default")[0]
    x, factors = faces("cartoon", N_VAL, default.cfg.size, "val")
    labels = factors["smile"]
    cdrd = {name: _smile_hits(load_cdrd(name)[0].discriminator, x, 1, labels) for name in cdrd_seeds()[1:]}
    cdrd = {"default": _smile_hits(default.discriminator, x, 1, labels), **cdrd}
    baseline = {  # never saw a cartoon: the photo path
        name_of(seed): _smile_hits(load_source_only(seed), x, 0, labels)
        for seed in range(BASELINE_SEEDS)
        if has_card("smile", name_of(seed))
    }
    shared = (
        {"shared_d": _smile_hits(load_cdrd("shared_d")[0].discriminator, x, 1, labels)}
        if has_card("smile", "shared_d")
        else {}
    )
    entry = {
        "split": f"val: {N_VAL} labelled cartoons (a small labelled target validation set; test is read by eval alone)",
        "target_attr_acc": {name: round(float(h.mean()), 4) for name, h in {**cdrd, **shared, **baseline}.items()},
        "decisions": {"cdrd_vs_source_only": paired_claim(list(cdrd.values()), list(baseline.values()))},
        "default": "cdrd seed 0 (weights/smile/default), by rule: the seeds differ only in their training seed",
    }
    if shared:
        layer = paired_claim([cdrd["default"]], [shared["shared_d"]])
        shared_wins = layer["per_seed_ci95"][0][1] < 0  # D_T minus the shared layer, item noise: below zero throughout
        kept = (  # a choice on validation, not a claim: with fewer than 3 seeds a side the claim stays undecided
            "the shared layer (its validation interval lies wholly above D_T's)"
            if shared_wins
            else "D_T (the shared layer's validation interval does not lie wholly above D_T's; undecided as a claim)"
        )
        entry["decisions"]["target_layer_vs_shared_d"] = {**layer, "kept": kept}
    update_card("smile", "default", validation=entry)
    log.info("validation: %s", entry["target_attr_acc"])
    return entry


@torch.no_grad()
def validate_run(name: str) -> dict:
    """`--validate --name NAME`: one run's target_attr_acc on N_VAL validation cartoons of the world it was trained on,
    through D_T (the method's reading) and through D_S, written into its own card as `validation`."""
    from vtl_models.smile.predictor import load_model as load_cdrd

    model, card = load_cdrd(name)
    world = cartoons_of(card)
    x, factors = faces("cartoon", N_VAL, model.cfg.size, "val", world)
    read = {
        f"through_{layer}": round(float(_smile_hits(model.discriminator, x, d, factors["smile"]).mean()), 4)
        for d, layer in enumerate(("D_S", "D_T"))
    }
    entry = {"split": f"val: {N_VAL} labelled {world} cartoons (test is read by eval alone)", "target_attr_acc": read}
    update_card("smile", name, validation=entry)
    log.info("validation of %s: %s", name, read)
    return entry
