"""Beam-search decoding of the Order-Free RNN: labels in emitted order, their probabilities and attention maps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from vtl_models.common import to_numpy
from vtl_models.multilabel.model import OrderFreeRNN


@dataclass
class Decoded:
    """Batched decoder output; `order[b]` lists label ids in emitted order (END excluded)."""

    order: list[list[int]]
    probs: list[list[float]]  # probability of each emitted label at its step
    attention: list[np.ndarray]  # per image: (n_emitted, L) attention of the step that emitted each label
    scores: np.ndarray  # (B, K): a label's highest probability over the decoded steps (for ranking / mAP)


@torch.inference_mode()
def beam_search(model: OrderFreeRNN, f16: torch.Tensor, f32: torch.Tensor, beam: int = 3) -> Decoded:
    """Decode a batch with beam width `beam`; a hypothesis ends with END (forced at max_steps)."""
    v, keys, _, (h, c) = model.begin(f16, f32)
    b, n_loc, _ = v.shape
    k, w, steps = model.cfg.num_labels, max(1, int(beam)), model.cfg.max_steps
    rep = lambda x: x.repeat_interleave(w, 0)  # noqa: E731  (one row per hypothesis)
    v, keys, h, c = rep(v), rep(keys), rep(h), rep(c)
    n, dev = b * w, v.device
    emitted = torch.zeros(n, k, dtype=torch.bool, device=dev)
    finished = torch.zeros(n, dtype=torch.bool, device=dev)
    prev = torch.full((n,), model.start, dtype=torch.long, device=dev)
    seqs = torch.full((n, steps), -1, dtype=torch.long, device=dev)
    step_prob = torch.zeros(n, steps, device=dev)
    atts = torch.zeros(n, steps, n_loc, device=dev)
    best_prob = torch.zeros(n, k, device=dev)
    logp = torch.full((b, w), float("-inf"), device=dev)
    logp[:, 0] = 0.0  # one live hypothesis to start with
    stay = torch.full((k + 1,), float("-inf"), device=dev)
    stay[k] = 0.0  # a finished hypothesis only continues with a free END
    for t in range(steps):
        logits, alpha, _, (h, c) = model.step(v, keys, (h, c), prev, emitted)
        if t == steps - 1:
            logits[:, :k] = float("-inf")
        lp = F.log_softmax(logits, 1)
        prob = lp.exp()
        lp = torch.where(finished[:, None], stay, lp)
        top, idx = (logp.reshape(n, 1) + lp).reshape(b, w * (k + 1)).topk(w, dim=1)
        src = (torch.arange(b, device=dev)[:, None] * w + idx // (k + 1)).reshape(-1)
        tok = (idx % (k + 1)).reshape(-1)
        h, c, emitted, finished, seqs = h[src], c[src], emitted[src], finished[src], seqs[src]
        step_prob, atts, best_prob, prob, alpha = step_prob[src], atts[src], best_prob[src], prob[src], alpha[src]
        live = ~finished
        seqs[live, t] = tok[live]
        step_prob[live, t] = prob[live].gather(1, tok[live, None]).squeeze(1)
        atts[live, t] = alpha[live]
        best_prob[live] = torch.maximum(best_prob[live], prob[live, :k])
        rows = (live & (tok < k)).nonzero().squeeze(1)
        emitted[rows, tok[rows]] = True
        finished = finished | (tok == k)
        logp, prev = top, tok
        if bool(finished.all()):
            break
    pick = torch.arange(b, device=dev) * w + logp.argmax(1)
    order, probs, attention = [], [], []
    for row in pick.tolist():
        ids = [int(x) for x in seqs[row].tolist() if 0 <= x < k]
        order.append(ids)
        probs.append([float(p) for p in step_prob[row, : len(ids)].tolist()])
        attention.append(to_numpy(atts[row, : len(ids)]))
    return Decoded(order=order, probs=probs, attention=attention, scores=to_numpy(best_prob[pick]))
