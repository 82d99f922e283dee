"""`python -m vtl_models eval multilabel --json`: regenerate the held-out scenes and score the model and baselines."""

from __future__ import annotations

import logging
import sys
import time

import numpy as np
import torch

from vtl_models.backbones import Backbone
from vtl_models.claims import decide
from vtl_models.domain_fit import ood_auroc
from vtl_models.hub import has_card
from vtl_models.multilabel.data import TEST_SEED, extract_features, render_many
from vtl_models.multilabel.decode import beam_search
from vtl_models.multilabel.metrics import POINTING_TOLERANCE, multilabel_metrics, pointing_hits
from vtl_models.multilabel.predictor import load_head
from vtl_models.multilabel.vocab import INDEX, LABELS

log = logging.getLogger("vtl.multilabel.eval")
N_TEST = 1000
BATCH = 250


def _pointing(truth: np.ndarray, predicted: np.ndarray, maps: dict, masks: np.ndarray) -> float:
    """Share of correctly predicted (image, label) pairs whose map peak falls on that label's mask."""
    hits = total = 0
    for i, k in zip(*np.nonzero((truth > 0) & (predicted > 0)), strict=True):
        total += 1
        hits += pointing_hits(maps[(int(i), int(k))], masks[i, k])
    return round(hits / max(total, 1), 4)


def class_f1(truth: np.ndarray, predicted: np.ndarray, idx: np.ndarray) -> float:
    """CF1 (as multilabel_metrics: macro P and R over all labels, zero when undefined) of the items `idx`."""
    t, p = truth[idx] > 0, predicted[idx] > 0
    tp, n_pred, n_true = (t & p).sum(0), p.sum(0), t.sum(0)
    cp = np.divide(tp, n_pred, out=np.zeros(len(tp)), where=n_pred > 0).mean()
    cr = np.divide(tp, n_true, out=np.zeros(len(tp)), where=n_true > 0).mean()
    return float(2 * cp * cr / (cp + cr)) if cp + cr > 0 else 0.0


def seeds(*names: str) -> list[str]:
    """Weight-name suffixes of the training seeds every one of `names` has: "" (seed 0), "_seed1", ..."""
    out, seed = [""], 1
    while all(has_card("multilabel", f"{name}_seed{seed}") for name in names):
        out.append(f"_seed{seed}")
        seed += 1
    return out


def order_free_claim(seed0: dict[str, np.ndarray], f16, f32, truth, late: list[int]) -> dict:
    """order_free_vs_fixed_order on CF1 over every training seed both sides have (each decoded as its card says),
    and where the two differ: mean per-image F1 of each side by the number of labels in the image, and CF1 over the
    `late` labels alone (where a fixed order's early mistakes would propagate). `seed0`: the predictions of the two
    seed-0 heads, already decoded."""
    runs = {key: [preds] for key, preds in seed0.items()}
    for suffix in seeds(*seed0)[1:]:
        for key in seed0:
            model, card = load_head(key + suffix)
            runs[key].append(_decode(model, f16, f32, card.raw["decoding"]["beam"])[0])
    model_runs, baseline_runs = runs.values()
    claim = decide(lambda predicted, idx: class_f1(truth, predicted, idx), model_runs, baseline_runs, len(truth), "CF1")
    late_truth = truth[:, late]
    claim["late_labels"] = decide(
        lambda predicted, idx: class_f1(late_truth, predicted[:, late], idx),
        model_runs,
        baseline_runs,
        len(truth),
        "CF1 over the last third of the fixed order: " + ", ".join(LABELS[k] for k in late),
    )
    count = truth.sum(1)
    groups = {"1-2": count <= 2, "3-4": (count >= 3) & (count <= 4), "5+": count >= 5}
    claim["image_f1_by_labels_per_image"] = {
        group: {
            "images": int(rows.sum()),
            "model": round(float(np.mean([image_f1(truth[rows], r[rows]) for r in model_runs])), 4),
            "baseline": round(float(np.mean([image_f1(truth[rows], r[rows]) for r in baseline_runs])), 4),
        }
        for group, rows in groups.items()
    }
    return claim


def late_labels(fixed_card) -> list[int]:
    """The labels a fixed-order head emits in the last third of its order (its card's label_order: rarest last)."""
    order = fixed_card.raw["label_order"]
    return [INDEX[name] for name in order[len(order) - len(order) // 3 :]]


def image_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Mean over images of each image's F1 between its true and predicted label sets."""
    t, p = truth > 0, predicted > 0
    both = (t & p).sum(1)
    return float(np.mean(2 * both / np.maximum(t.sum(1) + p.sum(1), 1)))


def _decode(model, f16, f32, beam: int):
    """Decode every test scene: (predicted multi-hot, ranking scores, {(scene, label): attention map})."""
    side = f16.shape[-1]
    preds, scores, maps = np.zeros((len(f16), model.cfg.num_labels)), np.zeros((len(f16), model.cfg.num_labels)), {}
    for start in range(0, len(f16), BATCH):
        out = beam_search(model, f16[start : start + BATCH], f32[start : start + BATCH], beam=beam)
        scores[start : start + BATCH] = out.scores
        for row, ids in enumerate(out.order):
            preds[start + row, ids] = 1
            for step, k in enumerate(ids):
                maps[(start + row, k)] = out.attention[row][step].reshape(side, side)
    return preds, scores, maps


def _eval_rnn(model, f16, f32, truth, masks, beam: int) -> tuple[dict, np.ndarray]:
    """The metrics of one RNN head, and its predicted multi-hot (for the claims)."""
    preds, scores, maps = _decode(model, f16, f32, beam)
    metrics = multilabel_metrics(truth, preds, scores)
    metrics["pointing_acc"] = _pointing(truth, preds, maps, masks)
    return metrics, preds


@torch.inference_mode()
def _eval_bce(model, f16, f32, truth, masks, threshold: float) -> dict:
    side = f16.shape[-1]
    probs, cams = [], []
    for start in range(0, len(truth), BATCH):
        logits, cam = model(f16[start : start + BATCH], f32[start : start + BATCH])
        probs.append(torch.sigmoid(logits).numpy())
        cams.append(cam.reshape(len(cam), -1, side, side).numpy())
    scores, cam = np.concatenate(probs), np.concatenate(cams)
    preds = (scores > threshold).astype(truth.dtype)
    metrics = multilabel_metrics(truth, preds, scores)
    maps = {(int(i), int(k)): cam[i, k] for i, k in zip(*np.nonzero(preds), strict=True)}
    metrics["pointing_acc"] = _pointing(truth, preds, maps, masks)
    return metrics


def run(name: str = "default") -> dict:
    """Evaluate weights `name` and both baselines on N_TEST regenerated test scenes; returns the eval contract."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    torch.set_num_threads(2)
    start = time.time()
    images, truth, masks = render_many(range(TEST_SEED, TEST_SEED + N_TEST), workers=2, with_masks=True)
    f16, f32 = extract_features(Backbone(), images, progress=False)
    log.info("test scenes and features in %.0f s", time.time() - start)
    heads = {key: load_head(key) for key in (name, "cnn_bce", "cnn_rnn_fixed_order")}
    # Beam widths and the cnn_bce threshold were chosen on the validation scenes at training time (see the cards).
    setting = {key: card.raw["decoding"] for key, (_, card) in heads.items()}

    def rnn(key: str) -> tuple[dict, np.ndarray]:
        return _eval_rnn(heads[key][0], f16, f32, truth, masks, beam=setting[key]["beam"])

    (metrics, ours), (fixed, theirs) = rnn(name), rnn("cnn_rnn_fixed_order")
    late = late_labels(heads["cnn_rnn_fixed_order"][1])
    report = {
        "task": "multilabel",
        "model": name,
        "weights_sha256": heads[name][1].sha256,
        "n_test": N_TEST,
        "metrics": metrics,
        "baselines": {
            "cnn_bce": _eval_bce(heads["cnn_bce"][0], f16, f32, truth, masks, setting["cnn_bce"]["threshold"]),
            "cnn_rnn_fixed_order": fixed,
        },
        "claims": {
            "order_free_vs_fixed_order": order_free_claim(
                {name: ours, "cnn_rnn_fixed_order": theirs}, f16, f32, truth, late
            )
        },
        "settings": {
            "decoding": {key: {k: v for k, v in s.items() if k in ("beam", "threshold")} for key, s in setting.items()},
            "decoding_selected_on": "validation scenes (training time), never the test scenes",
            "test_seeds": [TEST_SEED, TEST_SEED + N_TEST],
            "pointing_tolerance_px": POINTING_TOLERANCE,
            "cnn_bce_pointing": "class-activation maps",
        },
    }
    report["metrics"]["ood_auroc"] = ood_auroc("multilabel")  # held-out scenes against real photos
    report["seconds"] = round(time.time() - start, 1)
    return report
