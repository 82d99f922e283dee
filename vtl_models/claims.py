"""A paper's claim (model vs baseline) decided beyond noise: several training seeds per side, test items resampled,
and one interval that carries both noises.

    diff = mean over seeds of  statistic(model_s, all items) - statistic(baseline_s, all items)
    item noise: the 2.5-97.5 percentiles of that mean difference over bootstrap resamples of the test items (the same
                resample for every run: paired), as distances below and above diff
    seed noise: the t half-width of the per-seed differences, t(0.975, k-1) * sd / sqrt(k) (0 with one seed)
    ci95 = [diff - sqrt(below^2 + seed^2), diff + sqrt(above^2 + seed^2)]: the two noises are independent (the seeds
           are measured on the same items), so their variances add
    verdict: "win" when the whole interval is above zero, "loss" when below, otherwise "tie"; with fewer than
             MIN_SEEDS training seeds a side the verdict is "undecided" (the seed spread is not measured) and the
             entry has no ci95 (None): an item-only interval would read as a verdict; per_seed_ci95 keeps each seed's
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

MIN_SEEDS = 3
Statistic = Callable[[object, np.ndarray], float]  # (one run's outputs, item indices) -> the metric on those items


def verdict(ci95: Sequence[float], seeds: int) -> str:
    """The rule of the module docstring."""
    if seeds < MIN_SEEDS:
        return f"undecided ({seeds} seed{'s' * (seeds > 1)})"
    lo, hi = ci95
    return "win" if lo > 0 else "loss" if hi < 0 else "tie"


def _interval(values: np.ndarray) -> list[float]:
    return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]


def decide(
    statistic: Statistic,
    model_runs: Sequence,
    baseline_runs: Sequence,
    n_items: int,
    metric: str,
    boot: int = 1000,
    seed: int = 0,
) -> dict:
    """The claims entry: model_runs[i] and baseline_runs[i] come from training seed i (the same test items)."""
    if len(model_runs) != len(baseline_runs) or not model_runs:
        raise ValueError("give one model run and one baseline run per training seed")
    every = np.arange(n_items)
    model = np.array([statistic(run, every) for run in model_runs])
    baseline = np.array([statistic(run, every) for run in baseline_runs])
    per_seed = model - baseline
    rng = np.random.default_rng(seed)
    resampled = np.empty((boot, len(per_seed)))
    for b in range(boot):
        idx = rng.integers(0, n_items, n_items)
        resampled[b] = [statistic(m, idx) - statistic(s, idx) for m, s in zip(model_runs, baseline_runs, strict=True)]
    diff = float(per_seed.mean())
    item_lo, item_hi = _interval(resampled.mean(1))
    seed_half = 0.0
    if len(per_seed) > 1:
        from scipy import stats  # here, not at the top: the page imports this module, and scipy.stats costs ~1.5 s

        seed_half = stats.t.ppf(0.975, len(per_seed) - 1) * per_seed.std(ddof=1) / np.sqrt(len(per_seed))
    lo = diff - float(np.hypot(max(diff - item_lo, 0.0), seed_half))
    hi = diff + float(np.hypot(max(item_hi - diff, 0.0), seed_half))
    return {
        "metric": metric,
        "model": round(float(model.mean()), 4),
        "baseline": round(float(baseline.mean()), 4),
        "diff": round(diff, 4),
        "ci95": [round(float(lo), 4), round(float(hi), 4)] if len(per_seed) >= MIN_SEEDS else None,
        "seeds": len(per_seed),
        "per_seed_diff": [round(float(d), 4) for d in per_seed],
        "per_seed_ci95": [[round(v, 4) for v in _interval(resampled[:, i])] for i in range(len(per_seed))],
        "verdict": verdict([lo, hi], len(per_seed)),
    }


def seed_suffixes(task: str, *names: str) -> list[str]:
    """Weight-name suffixes of the training seeds every one of weights/<task>/<name> has: "" (seed 0, <name>), then
    "_seed1", "_seed2", ... (<name>_seedN, written by `train TASK --seed N`) while all of `names` have it."""
    from vtl_models.hub import has_card

    out, seed = [""], 1
    while all(has_card(task, f"{name}_seed{seed}") for name in names):
        out.append(f"_seed{seed}")
        seed += 1
    return out
