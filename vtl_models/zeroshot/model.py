"""ML-ZSL (Lee et al., CVPR 2018): per-label beliefs from image + word vector, gated propagation on the label graph.

    h_v^(0) = F_I(f(x), w_v)                                   initial belief of label v
    a_v^(t) = sum_r sum_u A_r[v, u] W_r h_u^(t-1)              relation-specific messages
    h_v^(t) = GRU(a_v^(t), h_v^(t-1))                          gated update (the GGNN)
    o_v     = F_O(h_v^(T), h_v^(0))                            per-label logit

With belief_messages, each relation also carries the neighbour's current belief sigmoid(F_O(h_u^(t-1), h_u^(0)))
along a learned direction e_r, so what a node hears of its neighbours does not depend on who they are.
Weights are shared over labels, so a label never trained on (an unseen node with its word vector and edges) is scored
by the same networks. `gated=False` is the fixed-propagation ablation: h^(t) = h^(t-1) + sum_r c_r A_r h^(t-1) with
fixed c (no W_r, no GRU).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

# fixed propagation's weight per relation, by the number of relations: the paper's four (hyponym_of, hypernym_of,
# positive, negative) and the v2 world's six (hyponym_of, hypernym_of, part_of, has_part, positive, negative)
FIXED_RELATION_SIGN = {4: (0.5, 0.5, 0.5, -0.5), 6: (0.5, 0.5, 0.5, 0.5, 0.5, -0.5)}


@dataclass
class ZeroShotConfig:
    num_labels: int = 18  # scene labels whose word vectors ride along in the weights (buffer scene_words)
    feat_dim: int = 864  # pooled backbone features: mean + max of the stride-32 (320) and stride-16 (112) maps
    word_dim: int = 50  # GloVe 6B 50-d
    hidden: int = 64  # belief state per label node
    steps: int = 3  # propagation steps T (0: no graph)
    relations: int = 4
    gated: bool = True  # False: fixed propagation, no learned messages or gates
    dropout: float = 0.3
    mask_rate: float = 0.0  # training: share of seen nodes made blind (no direct image input) per batch
    blind_words: bool = False  # blind nodes also lose their word vector
    use_prior: bool = True  # every node's initial belief also sees its knowledge-graph prior from ImageNet classes
    prior_skip: bool = False  # output logit += a learned gain times logit(prior): the prior reaches the output directly
    belief_messages: bool = False  # messages also carry each neighbour's current belief (its read-out probability)
    sibling_depth: int = 0  # graph: close co-hyponyms (common subsumer <= this many steps up) are negative; 0: off
    basis_dim: int = 64  # principal directions of the training scenes' features (the auto mode's scene test)

    def to_dict(self) -> dict:
        return asdict(self)


class MLZSL(nn.Module):
    """Image features (B, D) + label word vectors (K, W) + relation adjacency (R, K, K) -> logits (B, K)."""

    def __init__(self, cfg: ZeroShotConfig):
        super().__init__()
        self.cfg = cfg
        h = cfg.hidden
        self.register_buffer("feat_mean", torch.zeros(cfg.feat_dim))
        self.register_buffer("feat_std", torch.ones(cfg.feat_dim))
        self.register_buffer("scene_words", torch.zeros(cfg.num_labels, cfg.word_dim))  # GloVe of the scene labels
        self.register_buffer("scene_basis", torch.zeros(cfg.basis_dim, cfg.feat_dim))  # orthonormal rows
        self.register_buffer("scene_center", torch.zeros(cfg.feat_dim))
        self.image = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(cfg.feat_dim, h), nn.ReLU())
        self.word = nn.Linear(cfg.word_dim, h)
        # F_I on [image, word, image * word, prior]
        self.initial = nn.Sequential(nn.Linear(3 * h + int(cfg.use_prior), h), nn.Tanh())
        self.messages = nn.ModuleList(nn.Linear(h, h, bias=False) for _ in range(cfg.relations))  # W_r
        # belief_messages: relation r also sends sigmoid(o_u) e_r, the neighbour's current belief on a learned direction
        self.belief_dirs = nn.Parameter(torch.zeros(cfg.relations, h)) if cfg.belief_messages else None
        self.gru = nn.GRUCell(h, h)
        self.prior_gain = nn.Parameter(torch.ones(1)) if cfg.prior_skip else None
        self.output = nn.Sequential(nn.Linear(2 * h, h), nn.ReLU(), nn.Linear(h, 1))  # F_O on [h_T, h_0]

    def scene_residual(self, feats: torch.Tensor) -> torch.Tensor:
        """(B, D) -> (B,): mean squared part of the standardised features outside the training scenes' principal
        subspace; small for generated scenes, large for real photos."""
        z = (feats - self.feat_mean) / self.feat_std - self.scene_center
        inside = z @ self.scene_basis.T @ self.scene_basis
        return (z - inside).pow(2).mean(-1)

    def initial_beliefs(
        self,
        feats: torch.Tensor,
        words: torch.Tensor,
        blind: torch.Tensor | None = None,
        prior: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """h^(0): (B, D), (K, W) -> (B, K, H). `blind` (K,) bool: nodes that get no direct image input, only their
        word vector (unseen labels when trained with mask_rate > 0: they learn from neighbours' messages).
        `prior` (B, K): the knowledge-graph belief of each label from the ImageNet classes (use_prior)."""
        image = self.image((feats - self.feat_mean) / self.feat_std)[:, None, :]  # B 1 H
        word = self.word(words)[None].expand(len(feats), -1, -1)  # B K H
        image = image.expand_as(word)
        if blind is not None:
            sees = (~blind).to(image.dtype)[None, :, None]
            image = image * sees
            if self.cfg.blind_words:  # a blind node is known only by its prior and its graph edges
                word = word * sees
        parts = [image, word, image * word]
        if self.cfg.use_prior:
            parts.append(prior[..., None])
        return self.initial(torch.cat(parts, -1))

    def propagate_beliefs(self, h0: torch.Tensor, adj: torch.Tensor, steps: int | None = None) -> list[torch.Tensor]:
        """States h^(0..T) (each B, K, H) over row-normalised adjacency `adj` (R, K, K)."""
        states, h = [h0], h0
        batch, k, hidden = h0.shape
        for _ in range(self.cfg.steps if steps is None else steps):
            if self.cfg.gated:
                a = sum(torch.einsum("vu,buh->bvh", adj[r], w(h)) for r, w in enumerate(self.messages))
                if self.belief_dirs is not None:  # sender-generic: only the neighbour's belief, not its identity
                    belief = torch.sigmoid(self.output(torch.cat([h, h0], -1)).squeeze(-1))  # B K
                    a = a + torch.einsum("rvu,bu,rh->bvh", adj, belief, self.belief_dirs)
                h = self.gru(a.reshape(-1, hidden), h.reshape(-1, hidden)).reshape(batch, k, hidden)
            else:
                signs = FIXED_RELATION_SIGN[self.cfg.relations]
                h = h + sum(c * torch.einsum("vu,buh->bvh", adj[r], h) for r, c in enumerate(signs))
            states.append(h)
        return states

    def forward(
        self,
        feats: torch.Tensor,
        words: torch.Tensor,
        adj: torch.Tensor,
        blind: torch.Tensor | None = None,
        prior: torch.Tensor | None = None,
    ) -> torch.Tensor:
        h0 = self.initial_beliefs(feats, words, blind, prior)
        h = self.propagate_beliefs(h0, adj)[-1]
        return self.read_out(h, h0, prior)

    def read_out(self, h: torch.Tensor, h0: torch.Tensor, prior: torch.Tensor | None = None) -> torch.Tensor:
        """F_O: final and initial states (B, K, H) -> logits (B, K)."""
        logits = self.output(torch.cat([h, h0], -1)).squeeze(-1)
        if self.prior_gain is not None:
            logits = logits + self.prior_gain * torch.logit(prior.clamp(1e-3, 1 - 1e-3))
        return logits
