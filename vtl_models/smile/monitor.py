"""What a CDRD training run shows while it trains: the evaluator's smile rates, validation target accuracy, grids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from vtl_models.images import SIGNED, to_image
from vtl_models.smile.data import paired_batch, to_float
from vtl_models.smile.evaluator import predict
from vtl_models.smile.model import CDRD, attribute_code


@torch.no_grad()
def smile_probe(model: CDRD, generator, judge, n: int = 200) -> dict[str, float]:
    """The evaluator's smile rate on samples of each domain with the smile requested off and on (seeded)."""
    z = torch.randn(n, model.cfg.z_dim, generator=torch.Generator().manual_seed(99))
    out = {}
    for s in (0, 1):
        h = generator.shared_features(z, attribute_code(torch.full((n,), float(s))))
        for d, domain in enumerate(("photo", "cartoon")):
            verdict = predict(judge, generator.render(h, d).clamp(-1, 1))[1]["smile"]
            out[f"{domain}_{'on' if s else 'off'}"] = float(verdict.mean())
    return out


@torch.no_grad()
def val_target_accuracy(model: CDRD, val: dict[str, np.ndarray]) -> float:
    """target_attr_acc (the attribute head through D_T) on labelled validation cartoons: monitoring, never a loss."""
    model.eval()
    hits = (model.classify(torch.from_numpy(to_float(val["images"])), 1) > 0.5).numpy() == val["smile"]
    model.train()
    return round(float(hits.mean()), 3)


@torch.no_grad()
def sample_grid(model: CDRD, generator, path: Path, size: int, cartoons: str = "procedural") -> None:
    """Rows: photo no smile / smile, cartoon no smile / smile (same z per column); then translations of test faces."""
    model.eval()
    saved = model.generator
    model.generator = generator
    rows = [model.sample(8, torch.full((8,), float(s)), seed=1234)[:, d] for d in (0, 1) for s in (0, 1)]
    _, photos, drawn = paired_batch(8, size, "val", 0, cartoons)
    for domain, images in ((0, photos), (1, drawn)):
        x = torch.from_numpy(to_float(images))
        rows.append(x)
        for s in (0, 1):
            rows.append(model.translate(x, domain, torch.full((8,), float(s)))[:, 1 - domain])
    model.generator = saved
    model.train()
    grid = torch.cat([torch.cat(list(r), 2) for r in rows], 1)
    array = to_image(grid[None], SIGNED)[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).resize((array.shape[1] * 2, array.shape[0] * 2), Image.Resampling.NEAREST).save(path)
