"""Open futures: for the same anchor frames, several ground-truth continuations of one Shape Motion scene.

    python -m vtl_models.video.futures [--n 100] [--model default] [--update-card]

A scene (background, shapes, colours, sizes, growth, spin) is drawn from the seed exactly as `data.shape_motion` draws
it; what the anchors leave open is then drawn once per future, each from its own generator:
- prediction (anchors t=1..6 of 16): after the last anchor each shape turns (with TURN_PROBABILITY) at a random step by
  45-135 degrees either way, and bounces off the walls as usual; the anchor frames are the same in every future.
- interpolation (anchors t=1 and t=8 of 8): each shape leaves its first position and reaches its position at the
  last anchor (where the scene's own path puts it) along a path with one turn at a random step and a random first
  leg: every future passes through the same two anchor frames and differs between them.
The spread of the futures (mean L1 between two of them over the free frames, `true_future_spread`) is what the
samples of a stochastic model should come near: the command prints it on validation seeds beside a model's diversity
(mean pairwise L1 between its samples) on the same clips, before any training on this world.
"""

from __future__ import annotations

import argparse
import copy
import json

import numpy as np

from vtl_models.video.data import (
    SPLIT_OFFSET,
    TASKS,
    TURN_PROBABILITY,
    ShapeState,
    _draw,
    _random_shape,
    anchor_mask,
    trajectory,
)

OPEN_OFFSET = 50_000  # open-future seeds start here inside each split's range (other sets use 0..19,999)
FUTURES = 2
MAX_LEG_SPEED = 0.08  # fraction of the frame per step: faster legs are redrawn (the world's speeds are 0.02-0.05)


def _scene(seed: int) -> tuple[tuple[int, int, int], list[ShapeState]]:
    """Background and shapes of `seed`, drawn as data.shape_motion draws them."""
    rng = np.random.default_rng(seed)
    background = tuple(int(c) for c in rng.integers(0, 70, 3))
    return background, [_random_shape(rng) for _ in range(int(rng.integers(1, 4)))]


def _after_anchors(shape: ShapeState, last_anchor: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """A path that follows the shape without a turn up to `last_anchor`, then may turn at a random later step."""
    state = copy.copy(shape)
    turns = rng.random() < TURN_PROBABILITY
    state.turn_time = int(rng.integers(last_anchor + 1, length)) if turns else None
    state.turn_angle = float(rng.choice([-1, 1]) * rng.uniform(np.pi / 4, 3 * np.pi / 4))
    return trajectory(state, length)


def _between_anchors(shape: ShapeState, last_anchor: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """A path from the shape's first position to where its own path (no turn) is at `last_anchor`, with one turn at a
    random step in between; the shape's own path where no such path keeps inside the frame within 20 draws."""
    state = copy.copy(shape)
    state.turn_time = None
    path = trajectory(state, length)  # radius and angle do not depend on the position: every future shares them
    start, end = path[0, :2], path[last_anchor, :2]
    reach = path[: last_anchor + 1, 2].max()
    heading = np.arctan2(*(end - start)[::-1]) if np.any(end != start) else rng.uniform(0, 2 * np.pi)
    for _ in range(20):
        k = int(rng.integers(1, last_anchor))  # the turn: legs of k and last_anchor - k steps
        angle = heading + rng.choice([-1, 1]) * rng.uniform(np.pi / 4, 3 * np.pi / 4)
        first = rng.uniform(0.02, 0.05) * np.array([np.cos(angle), np.sin(angle)])
        corner = start + k * first
        second = (end - corner) / (last_anchor - k)
        # the path is two straight legs: inside the frame if its corner is (start and end are)
        if np.all(corner >= reach) and np.all(corner <= 1 - reach) and np.linalg.norm(second) <= MAX_LEG_SPEED:
            steps = np.arange(last_anchor + 1)[:, None]
            path[: last_anchor + 1, :2] = np.where(steps <= k, start + steps * first, corner + (steps - k) * second)
            return path
    return path


def open_futures(seed: int, setting: str, size: int = 32, futures: int = FUTURES) -> np.ndarray:
    """`futures` continuations of one scene that share its anchor frames: uint8 (futures, T, size, size, 3).

    `setting`: "interpolation" or "prediction" (TASKS: anchors and length). A pure function of the arguments."""
    anchors, length = TASKS[setting]
    background, shapes = _scene(seed)
    fill = _after_anchors if setting == "prediction" else _between_anchors
    out = np.empty((futures, length, size, size, 3), np.uint8)
    out[:] = background
    for j in range(futures):
        rng = np.random.default_rng([seed, j + 1])  # each future its own draws: one more future changes no other
        paths = [fill(shape, max(anchors), length, rng) for shape in shapes]
        for t in range(length):
            for shape, path in zip(shapes, paths, strict=True):
                _draw(out[j, t], shape.kind, shape.colour, *path[t])
    return out


def open_batch(split: str, setting: str, start: int, n: int, size: int = 32, futures: int = FUTURES) -> np.ndarray:
    """Open clips `start`..`start+n` of `split`: uint8 (n, futures, T, size, size, 3), seeds disjoint across splits."""
    offset = SPLIT_OFFSET[split] + OPEN_OFFSET + (0 if setting == "interpolation" else 10_000)
    return np.stack([open_futures(offset + start + i, setting, size, futures) for i in range(n)])


def future_spread(truths: np.ndarray, anchor_steps) -> np.ndarray:
    """Per clip, the mean pairwise L1 ([0, 1] units) between its ground-truth futures over the free frames.

    truths (N, F, T, H, W, 3) uint8 -> (N,)."""
    from vtl_models.video.metrics import diversity

    free = anchor_mask(anchor_steps, truths.shape[2]) == 0
    return np.array([diversity(clip[:, free]) for clip in truths])


def measure(n: int, model_name: str | None, split: str = "val") -> dict:
    """true_future_spread per setting on `n` open clips of `split`, and a model's diversity on the same anchors."""
    out: dict = {"split": split, "clips_per_setting": n, "futures": FUTURES}
    model = card = None
    if model_name:
        from vtl_models.hub import load_model
        from vtl_models.video.predictor import build

        model, card = load_model("video", model_name, build)
        out["model"] = model_name
        out["weights_sha256"] = card.sha256
    for setting, (steps, _) in TASKS.items():
        truths = open_batch(split, setting, 0, n, 32 if model is None else model.cfg.size)
        row = {"true_future_spread": round(float(future_spread(truths, steps).mean()), 4)}
        if model is not None:
            from vtl_models.video.metrics import complete

            samples = complete(model, truths[:, 0], steps, 5, seed=0, card_input=card.raw["input"])
            row["model_diversity"] = round(float(future_spread(samples, steps).mean()), 4)
            row["ratio"] = round(row["model_diversity"] / row["true_future_spread"], 3)
        out[setting] = row
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vtl_models.video.futures", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="open clips per setting")
    parser.add_argument("--model", default=None, help="also sample weights/video/<name> (5 samples) on the clips")
    parser.add_argument("--update-card", action="store_true", help="store the figures in the model's card")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    figures = measure(args.n, args.model)
    figures["command"] = "python -m vtl_models.video.futures" + (f" --n {args.n}" if args.n != 100 else "")
    figures["command"] += f" --model {args.model}" if args.model else ""
    figures["command"] += " --update-card" if args.update_card and args.model else ""
    if args.update_card and args.model:
        from vtl_models.hub import update_card

        update_card("video", args.model, open_futures_validation=figures)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
