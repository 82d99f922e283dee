"""The card a CDRD training run writes beside its weights: configuration, training record, licence, deviations."""

from __future__ import annotations

import json
from pathlib import Path

from vtl_models.hub import card_path, stage_fields
from vtl_models.images import SIGNED
from vtl_models.smile import artwork
from vtl_models.smile.calibrate import PATH as CALIBRATION
from vtl_models.smile.model import CDRDConfig

SIZE_DEVIATION = {  # the data, by cartoon world
    "procedural": "32x32 procedural faces instead of 64x64+ CelebA / cartoon sets (2-core CPU budget)",
    "lorelei": "procedural shaded faces instead of CelebA photos, one artist's cartoon style (Lorelei) instead of a "
    "cartoon dataset (no photo or cartoon set may be downloaded here)",
}
DEVIATIONS = [
    "spectral-norm discriminator without batch norm (a batch-norm D overpowered G here)",
    "attribute loss on generated target images off for the first --target-warmup steps, then weighted --target-cls",
    "deterministic encoder with a moment-matching penalty on z instead of a VAE KL term",
    "EMA of the generator weights is saved; the learning rate falls linearly to 0 over the last --decay of the budget",
    "D's target low-level layer D_T starts as a copy of D_S and is pulled to it by a penalty (--tie): with no target"
    " labels, an untied D_T let the target attribute convention drift away from the source one",
]

CARTOON_TEXT = {
    "procedural": "flat procedural 'cartoon' faces",
    "lorelei": "artist-drawn Lorelei cartoon faces (DiceBear)",
}


def build_card(cfg: CDRDConfig, args, steps: int, seconds: float, argv: list[str], earlier: list[dict]) -> dict:
    """Model card fields (hub.save_weights fills file, sha256 and size); `earlier`: the training stages resumed from."""
    return {
        "config": cfg.to_dict(),
        "input": {"size": cfg.size, **SIGNED, "domains": ["photo", "cartoon"]},
        "labels": ["no_smile", "smile"],
        "training": {
            **stage_fields(earlier, "python -m vtl_models train smile " + " ".join(argv), seconds, steps),
            "data_seed": "train split (seed base 0), photo labels only; cartoon labels never loaded",
            "seconds": round(seconds),
            "steps": steps,
            "batch": args.batch,
            "n_train_per_domain": args.n_train,
            "cartoons": args.cartoons,
            **(
                {"cartoon_framing": {"version": artwork.VERSION, "crop": artwork.CROP}}
                if args.cartoons != "procedural"
                else {}
            ),
            "target_warmup": args.target_warmup,
            "target_cls": args.target_cls,
            "tie": args.tie,
            "shared_d": args.shared_d,
            "detach_guess": args.detach_guess,
            "lr": args.lr,
            "lr_decay": args.decay,
        },
        "licence": "no pretrained parts; trained here on procedural data (vtl_models/smile/data.py)"
        + (
            "" if args.cartoons == "procedural" else f" and cartoons of {artwork.LICENCE} (vtl_models/smile/artwork.py)"
        ),
        "deviations_from_paper": [SIZE_DEVIATION[args.cartoons], *DEVIATIONS],
        "trained_on": f"procedural shaded 'photo' faces (smile labels) and {CARTOON_TEXT[args.cartoons]} (no labels), "
        f"{cfg.size}x{cfg.size}",
        **({"calibration": json.loads(CALIBRATION.read_text())} if args.cartoons != "procedural" else {}),
    }


def serve(run: str, command: str) -> Path:
    """Make weights/smile/default the card of the committed run `run`: it points at the run's weight file (no copy)
    and `selected` names the run; the run's eval is not carried over (rerun `python -m vtl_models eval smile
    --update-card`). The tab's text, examples and out-of-domain check follow the card's cartoon world, whose
    evaluator (at the run's size) and check must be committed first."""
    from vtl_models.domain import check_name
    from vtl_models.hub import has_card, read_card, share_weights
    from vtl_models.smile.evaluator import name_of
    from vtl_models.smile.limits import cartoons_of, check_world

    source = read_card("smile", run)
    world, size = cartoons_of(source), source.raw["input"]["size"]
    needed = {
        name_of(world): f"python -m vtl_models.smile.evaluator --cartoons {world} --size {size}",
        check_name(check_world(world)): f"python -m vtl_models.domain fit smile --world {world}",
    }
    missing = [f"weights/smile/{name} ({how})" for name, how in needed.items() if not has_card("smile", name)]
    if missing:
        raise SystemExit(f"cannot serve {run} ({world} world): commit {', '.join(missing)} first")
    if read_card("smile", name_of(world)).raw["input"]["size"] != size:
        raise SystemExit(f"the {world} evaluator does not measure {size}-px faces: retrain it with --size {size}")
    card = {k: v for k, v in source.raw.items() if k != "eval"}
    share_weights("smile", "default", run, {**card, "selected": {"from": run, "command": command}})
    return card_path("smile", "default")
