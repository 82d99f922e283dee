"""Order-Free RNN with visual attention (Chen et al., AAAI 2018) and the CNN-BCE baseline, on backbone feature maps.

Both take the frozen EfficientNet-Lite0 maps (stride 16 and 32), fuse them into one 14x14 grid V of D-dim
features, and differ in the head: a sigmoid per label (with class-activation maps), or an LSTM that emits one label
per step with soft attention over V, conditioned on its state and on the labels emitted so far, until END.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class MultilabelConfig:
    """Everything needed to rebuild a head; stored in the model card."""

    num_labels: int = 18
    in_channels: tuple[int, int] = (112, 320)  # backbone stride-16 and stride-32 channels
    feat_dim: int = 192  # D: channels of the fused feature grid V
    embed_dim: int = 64  # label embedding fed back into the LSTM
    hidden_dim: int = 256  # LSTM state
    attn_dim: int = 128
    max_steps: int = 8  # at most MAX_LABELS labels + END, with slack
    dropout: float = 0.2

    def to_dict(self) -> dict:
        return asdict(self)


class FeatureGrid(nn.Module):
    """Fuse the two backbone maps into V: (B, L = 14*14, D); the trainable part on top of the frozen CNN."""

    def __init__(self, cfg: MultilabelConfig):
        super().__init__()
        self.proj = nn.Sequential(
            nn.Conv2d(sum(cfg.in_channels), cfg.feat_dim, 1, bias=False),
            nn.BatchNorm2d(cfg.feat_dim),
            nn.ReLU(inplace=True),
            # depthwise 3x3: a little spatial context at a fraction of a full conv's cost (training runs on 2 cores)
            nn.Conv2d(cfg.feat_dim, cfg.feat_dim, 3, padding=1, groups=cfg.feat_dim, bias=False),
            nn.BatchNorm2d(cfg.feat_dim),
            nn.ReLU(inplace=True),
        )

    def forward(self, f16: torch.Tensor, f32: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(f32.float(), size=f16.shape[-2:], mode="bilinear", align_corners=False)
        v = self.proj(torch.cat([f16.float(), up], 1))  # B D h w
        return v.flatten(2).transpose(1, 2)  # B L D


class CNNBCE(nn.Module):
    """Baseline: one sigmoid per label on the pooled grid; its class-activation maps are the attention baseline."""

    def __init__(self, cfg: MultilabelConfig):
        super().__init__()
        self.cfg = cfg
        self.grid = FeatureGrid(cfg)
        self.classifier = nn.Linear(cfg.feat_dim, cfg.num_labels)

    def forward(self, f16: torch.Tensor, f32: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """-> logits (B, K), class-activation maps (B, K, L)."""
        v = self.grid(f16, f32)
        cam = torch.einsum("bld,kd->bkl", v, self.classifier.weight)  # CAM: the classifier applied per location
        return self.classifier(v.mean(1)), cam


class OrderFreeRNN(nn.Module):
    """CNN feature grid -> feature-mapping layer (label probability vector p0) -> attention LSTM emitting labels."""

    def __init__(self, cfg: MultilabelConfig):
        super().__init__()
        self.cfg = cfg
        k, d, h = cfg.num_labels, cfg.feat_dim, cfg.hidden_dim
        self.end, self.start = k, k + 1  # token ids after the K labels
        self.grid = FeatureGrid(cfg)
        self.mapping = nn.Linear(d, k)  # the paper's feature-mapping layer: visual features -> label probabilities
        self.init_state = nn.Linear(k + d, 2 * h)
        self.embed = nn.Embedding(k + 2, cfg.embed_dim)
        self.att_v, self.att_h, self.att_w = (
            nn.Linear(d, cfg.attn_dim),
            nn.Linear(h, cfg.attn_dim),
            nn.Linear(cfg.attn_dim, 1),
        )
        self.att_e = nn.Linear(cfg.embed_dim, cfg.attn_dim, bias=False)  # the label just emitted steers the attention
        self.lstm = nn.LSTMCell(cfg.embed_dim + d, h)
        self.drop = nn.Dropout(cfg.dropout)
        self.out = nn.Linear(h + d, k + 1)  # K labels + END
        self.ctx_out = nn.Linear(d, k)  # training only: the attended context alone must name the emitted label

    def begin(self, f16: torch.Tensor, f32: torch.Tensor):
        """Encode once: grid V, its attention keys, p0 logits, and the initial LSTM state from p0 and mean(V)."""
        v = self.grid(f16, f32)
        p0_logits = self.mapping(v.mean(1))
        h, c = torch.tanh(self.init_state(torch.cat([torch.sigmoid(p0_logits), v.mean(1)], 1))).chunk(2, 1)
        return v, self.att_v(v), p0_logits, (h.contiguous(), c.contiguous())

    def step(self, v, keys, state, prev: torch.Tensor, emitted: torch.Tensor):
        """One emission: attend with the previous state and the label just emitted, update the LSTM with (label
        embedding, context), read the next label from the new state and the context.

        Returns logits (B, K+1) with already-emitted labels masked out, attention (B, L), context (B, D), new state.
        """
        h, c = state
        e = self.embed(prev)
        query = self.att_h(h) + self.att_e(e)
        alpha = torch.softmax(self.att_w(torch.tanh(keys + query[:, None])).squeeze(-1), dim=1)
        ctx = torch.einsum("bl,bld->bd", alpha, v)
        h, c = self.lstm(torch.cat([e, ctx], 1), (h, c))
        logits = self.out(self.drop(torch.cat([h, ctx], 1)))
        mask = torch.cat([emitted, torch.zeros_like(emitted[:, :1])], 1)
        return logits.masked_fill(mask, float("-inf")), alpha, ctx, (h, c)

    def forward(self, f16, f32, targets: torch.Tensor, order: torch.Tensor | None = None):
        """Teacher-forced pass. Order-free (order=None): each step's target is the not-yet-emitted true label the
        model itself scores highest; with `order` (K,), the first remaining label in that fixed order.

        Returns (sequence loss, context loss, p0 logits). The context loss is the cross-entropy (over all K labels) of
        a linear read-out of each label step's attended context alone against that step's target: it ties the
        attention map of a step to the label the step emits (the pointing the tab shows).
        """
        v, keys, p0_logits, state = self.begin(f16, f32)
        b, k = targets.shape
        truth = targets > 0.5
        emitted = torch.zeros_like(truth)
        prev = torch.full((b,), self.start, dtype=torch.long, device=targets.device)
        active = torch.ones(b, dtype=torch.bool, device=targets.device)
        loss, ctx_loss, count, ctx_count = v.new_zeros(()), v.new_zeros(()), 0, 0
        for _ in range(int(truth.sum(1).max().item()) + 1):
            logits, _, ctx, state = self.step(v, keys, state, prev, emitted)
            target = select_targets(logits[:, :k].detach(), truth & ~emitted, order)
            loss = loss + F.cross_entropy(logits[active], target[active], reduction="sum")
            count += int(active.sum())
            done = target == self.end
            named = active & ~done
            # Among all K labels, emitted ones included: late steps may not point anywhere that merely beats the rest.
            ctx_loss = ctx_loss + F.cross_entropy(self.ctx_out(ctx[named]), target[named], reduction="sum")
            ctx_count += int(named.sum())
            emitted = emitted | F.one_hot(target.clamp(max=k - 1), k).bool() & ~done[:, None]
            active = active & ~done
            prev = target
        return loss / max(count, 1), ctx_loss / max(ctx_count, 1), p0_logits


def select_targets(scores: torch.Tensor, candidates: torch.Tensor, order: torch.Tensor | None = None) -> torch.Tensor:
    """Pick each row's training target among `candidates` (B, K bool): the highest-scoring one (order-free), or the
    earliest in `order` (a permutation of 0..K-1, fixed-order baseline); K (= END) for rows with no candidate left."""
    k = scores.shape[1]
    if order is None:
        choice = scores.masked_fill(~candidates, float("-inf")).argmax(1)
    else:
        rank = torch.empty_like(order)
        rank[order] = torch.arange(k, device=order.device)
        choice = rank.expand_as(scores).masked_fill(~candidates, k).argmin(1)
    return torch.where(candidates.any(1), choice, torch.full_like(choice, k))
