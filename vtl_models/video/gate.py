"""The served path's gate: the model where it can represent the anchors, else the plain linear blend of the anchors.

    python -m vtl_models.video.gate [--name default] [--update-card] [--threads 1]

Signal, read from the input alone: a clip's anchor fidelity, the PSNR of the VAE's reconstruction of its anchor
frames (metrics.complete_parts). Below the card's `gate.threshold_db` every sample is `metrics.linear_blend`.
The threshold is chosen on validation only (validation.validation_set: Shape Motion validation seeds, interpolation
and prediction, and the interpolation clips of the first half of vtest.avi's held-out end), never on the eval's test
clips (tree.avi, that end's second half): of the midpoints between the validation clips' fidelities, the one whose
served best-of-5 PSNR, averaged over the clips of each set and then over the sets, is highest (the lowest on a tie).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

import numpy as np
import torch

from vtl_models.video.data import TASKS
from vtl_models.video.metrics import complete_parts, linear_blend, video_scores
from vtl_models.video.scoring import SAMPLES

SEED = 1  # the validation's codes (the eval's are seed 0)


def choose(fidelity: dict[str, np.ndarray], model: dict[str, np.ndarray], blend: dict[str, np.ndarray]) -> float:
    """The threshold (dB) that maximises the mean over sets of the mean served PSNR, each clip served by the model
    (its PSNR in `model`) at or above it, else by the blend (`blend`); per set, arrays over its clips."""
    values = np.unique(np.concatenate(list(fidelity.values())))
    candidates = np.concatenate([[values[0] - 1], (values[1:] + values[:-1]) / 2, [values[-1] + 1]])
    served = [np.mean([np.where(fidelity[k] >= t, model[k], blend[k]).mean() for k in fidelity]) for t in candidates]
    return round(float(candidates[int(np.argmax(served))]), 2)


@torch.inference_mode()
def measure(model, card_input: dict, val: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """Per validation set, per clip: anchor fidelity and best-of-5 PSNR of the ungated model and of the blend."""
    out: dict[str, dict[str, np.ndarray]] = {"fidelity": {}, "model": {}, "blend": {}}
    for name, videos in val.items():
        steps = TASKS["interpolation" if name == "real" else name][0]
        parts = complete_parts(model, videos, steps, SAMPLES, SEED, card_input=card_input)
        blend = np.stack([linear_blend(v, steps) for v in videos])[:, None]
        out["fidelity"][name] = parts["fidelity"]
        for key, samples in (("model", parts["video"]), ("blend", blend)):
            out[key][name] = np.array([r["psnr_best"] for r in video_scores(videos, samples, steps, False)])
    return out


def gate_record(name: str, command: str) -> dict:
    """Choose the gate of weights/video/<name> on validation: the card's `gate` entry, with the validation figures."""
    from vtl_models.hub import load_model
    from vtl_models.video.predictor import build
    from vtl_models.video.validation import N_VAL, validation_set

    model, card = load_model("video", name, build)
    val = validation_set(model.cfg.size)
    found = measure(model, card.raw["input"], val)
    threshold = choose(found["fidelity"], found["model"], found["blend"])
    sets = {}
    for key, fidelity in found["fidelity"].items():
        trusted = fidelity >= threshold
        served = np.where(trusted, found["model"][key], found["blend"][key])
        sets[key] = {
            "clips": len(fidelity),
            "fidelity_db": [round(float(fidelity.min()), 2), round(float(fidelity.max()), 2)],
            "model_share": round(float(trusted.mean()), 3),
            "psnr_best5": {
                "model": round(float(found["model"][key].mean()), 3),
                "blend": round(float(found["blend"][key].mean()), 3),
                "served": round(float(served.mean()), 3),
            },
        }
    return {
        "signal": "anchor fidelity: PSNR (dB) of the VAE's reconstruction of a clip's anchor frames",
        "threshold_db": threshold,
        "served": "below the threshold every sample is the plain linear blend of the anchors (metrics.linear_blend)",
        "rule": "of the midpoints between validation fidelities, the highest served best-of-5 PSNR (mean of the "
        "sets' means; the lowest threshold on a tie)",
        "chosen_on": f"validation only: Shape Motion val seeds ({N_VAL} interpolation, {N_VAL} prediction) and "
        f"{len(val.get('real', []))} interpolation clips from the first half of vtest.avi's held-out end "
        "(validation.validation_set); never tree.avi or that end's second half, the eval's test clips",
        "validation": sets,
        "weights_sha256": card.sha256,
        "command": command,
    }


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m vtl_models.video.gate", description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="default", help="the video card to choose the gate for")
    parser.add_argument("--update-card", action="store_true", help="store the gate in the card")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    record = gate_record(args.name, "python -m vtl_models.video.gate " + " ".join(shlex.quote(a) for a in argv))
    if args.update_card:
        from vtl_models.hub import update_card

        update_card("video", args.name, gate=record)
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
