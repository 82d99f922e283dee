"""Inference API of the Zero-shot labels tab: image + any label names -> scores and the graph edges behind them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from vtl_models.common import InvalidInput, PictureCache, to_numpy
from vtl_models.images import fit_longest_side, to_rgb, to_tensor
from vtl_models.zeroshot.data import pool_maps
from vtl_models.zeroshot.limits import DEFAULT_LABELS, MAX_LABEL_CHARS, MAX_LABELS, MODES
from vtl_models.zeroshot.photos import SENSE_DECAY, Evidence, PhotoGraph
from vtl_models.zeroshot.scenes import load_scene_model, scene_likeness
from vtl_models.zeroshot.wordnet import load_wordnet
from vtl_models.zeroshot.wordvectors import load_word_vectors
from vtl_models.zeroshot.world_graph import RELATIONS, normalised, world_relations, world_synsets

WORK_SIDE = 640  # px: photos are downscaled to this longest side before any model sees them


@dataclass
class ZeroShotPrediction:
    """Scores of the typed labels (in the order given), the mode used and the paths that carried belief."""

    mode: str
    scores: dict[str, float]
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    scene_likeness: float = 0.0  # how close the image's backbone features are to the generated scenes' (0..1)
    # scene mode: (score before propagation, after) of each typed label whose node has no image input (unseen)
    moved: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass
class SceneGraph:
    """One GGNN run: node names (the world's labels, then typed ones), their synsets, the node of each typed label,
    sigmoid scores per node after propagation and before it (read out from h^(0)), states h^(0..T), the
    row-normalised adjacency (R, K, K) and which nodes see the image."""

    nodes: list[str]
    synsets: list[int]
    node_of: dict[str, int]
    scores: np.ndarray
    states: list[torch.Tensor]
    adj: torch.Tensor
    before: np.ndarray
    sees: list[bool]


def parse_labels(text: str) -> list[str]:
    """Comma-separated label names -> unique, trimmed labels; InvalidInput when empty or too many or too long."""
    if not isinstance(text, str):
        raise InvalidInput("type label names separated by commas, e.g. 'animal, sky, vehicle'")
    labels = list(dict.fromkeys(" ".join(part.split()) for part in text.replace("\n", ",").split(",")))
    labels = [label for label in labels if label]
    if not labels:
        raise InvalidInput("type at least one label name (separated by commas), e.g. 'animal, sky, vehicle'")
    if len(labels) > MAX_LABELS:
        raise InvalidInput(f"{len(labels)} labels were given; give at most {MAX_LABELS}")
    long = [label for label in labels if len(label) > MAX_LABEL_CHARS]
    if long:
        shown = long[0][:60]
        raise InvalidInput(f"label names are at most {MAX_LABEL_CHARS} characters; this one is longer: {shown!r}")
    return labels


class ZeroShotPredictor:
    """Mode 1 (scenes): the trained ML-ZSL GGNN. Mode 2 (photos): ImageNet beliefs through WordNet (photos.py)."""

    def __init__(self, device: torch.device, name: str = "default"):
        self.device = torch.device(device)
        self.wordnet = load_wordnet()
        self.model, self.words, self.card = load_scene_model(name, self.device)
        self.input = self.card.raw["input"]  # size and normalisation of the trunk's pass, both modes
        self.vectors = load_word_vectors()
        self.photos = PhotoGraph(self.wordnet, self.device, self.input)
        self.labels, self.seen = list(self.card.raw["labels"]), set(self.card.raw["seen_labels"])
        self.scene_synsets = world_synsets(self.wordnet)
        self.scene_threshold = float(self.card.raw["scene_likeness"]["threshold"])
        # the trunk pass and the photo views and detectors depend on the picture alone, not on the labels typed
        self.scene_passes, self.photo_beliefs = PictureCache(), PictureCache()

    def resolve(self, labels: list[str]) -> dict[str, list[int]]:
        """Each label's WordNet senses; one InvalidInput naming every unknown label and its nearest known words."""
        out, unknown = {}, []
        for label in labels:
            try:
                out[label] = self.wordnet.resolve(label)
            except InvalidInput as err:
                unknown.append(str(err))
        if unknown:
            raise InvalidInput("; ".join(unknown))
        return out

    @torch.inference_mode()
    def scene_pass(self, image: np.ndarray) -> tuple[torch.Tensor, np.ndarray, float]:
        """One trunk pass of the whole image at 224 px: pooled scene features (1, D), ImageNet probabilities
        (1, 1000) and the scene likeness."""
        f16, f32, probs = self.photos.trunk(to_tensor(image, self.input, self.device))  # any shape: the 224 px square
        feats = pool_maps(f16, f32)
        return feats, probs, float(scene_likeness(self.model, feats, self.card)[0])

    @torch.inference_mode()
    def scene_graph(
        self, feats: torch.Tensor, probs: np.ndarray, names: list[str], senses: dict[str, list[int]]
    ) -> SceneGraph:
        """Run the GGNN on the world's labels plus one node per typed label that is not one of them (its first
        WordNet sense, its GloVe vector, WordNet edges to every other node): the paper's unseen-label inference."""
        known = len(self.labels)
        nodes, synsets = list(self.labels), list(self.scene_synsets)
        node_of = {}
        for name in names:
            match = [k for k, synset in enumerate(self.scene_synsets) if synset in senses[name]]
            if match:  # the world label of the typed word's most frequent sense ("wheel": the wheel, not the bike)
                node_of[name] = min(match, key=lambda k: senses[name].index(self.scene_synsets[k]))
            else:
                node_of[name] = len(nodes)
                nodes.append(name)
                synsets.append(senses[name][0])
        extra = [self.vectors.phrase(n) for n in nodes[known:]]
        extra = [np.zeros(self.words.shape[1], np.float32) if v is None else v for v in extra]
        words = self.words
        if extra:  # unit GloVe rows, as the world's labels' (the committed vocabulary)
            words = torch.cat([words, torch.tensor(np.stack(extra), device=self.device)])
        adj = world_relations(self.wordnet, synsets, to_numpy(words), self.model.cfg.sibling_depth)
        adj = normalised(adj, self.device)
        prior = torch.from_numpy(self.photos.label_prior(probs, synsets, nodes)).to(self.device)
        sees = [k < known and nodes[k] in self.seen for k in range(len(nodes))]
        blind = torch.tensor([not s for s in sees], device=self.device) if self.model.cfg.mask_rate > 0 else None
        h0 = self.model.initial_beliefs(feats, words, blind, prior)
        states = self.model.propagate_beliefs(h0, adj)
        after, before = (torch.sigmoid(self.model.read_out(h, h0, prior))[0] for h in (states[-1], h0))
        return SceneGraph(nodes, synsets, node_of, to_numpy(after), states, adj, to_numpy(before), sees)

    @torch.inference_mode()
    def predict(self, image, labels: str | list[str] = DEFAULT_LABELS, mode: str = "auto") -> ZeroShotPrediction:
        """Any image to_rgb accepts + label names (comma-separated text or a list; the tab's by default) -> a score
        per label.

        mode: "auto" (scenes vs photos by the scene likeness), "scene" or "photo"."""
        image = to_rgb(image)
        if mode not in MODES:
            raise InvalidInput(f"mode must be one of {', '.join(MODES)}")
        names = parse_labels(labels) if isinstance(labels, str) else parse_labels(",".join(labels))
        senses = self.resolve(names)
        image = fit_longest_side(image, WORK_SIDE)
        feats, probs, likeness = self.scene_passes.get(image, lambda: self.scene_pass(image))
        if mode == "auto":
            mode = "scene" if likeness >= self.scene_threshold else "photo"
        if mode == "scene":
            graph = self.scene_graph(feats, probs, names, senses)
            evidence = {name: self._scene_evidence(name, senses[name], graph) for name in names}
            moved = {
                name: (round(float(graph.before[k]), 4), round(float(graph.scores[k]), 4))
                for name, k in graph.node_of.items()
                if not graph.sees[k]
            }
        else:
            moved = {}
            beliefs = self.photo_beliefs.get(image, lambda: self.photos.beliefs(image, whole=probs))
            evidence = {name: self.photos.score(name, beliefs) for name in names}
        scores = {name: round(found[0].score, 4) if found else 0.0 for name, found in evidence.items()}
        return ZeroShotPrediction(mode, scores, evidence, round(likeness, 4), moved)

    def _scene_evidence(self, name: str, senses: list[int], graph: SceneGraph) -> list[Evidence]:
        """A typed label's GGNN node (with the messages that fed it), and the scene labels under it (hypernym)."""
        found = self._node_messages(name, graph.node_of[name], graph)
        for k in range(len(self.labels)):
            if k == graph.node_of[name]:
                continue
            for rank, sense in enumerate(senses):
                if sense in self.wordnet.ancestors(self.scene_synsets[k]):
                    path = [self.wordnet.name(s) for s in self.wordnet.path_to(self.scene_synsets[k], sense)]
                    score = float(graph.scores[k]) / (1.0 + SENSE_DECAY * rank)
                    found.append(Evidence(name, f"scene:{self.labels[k]}", "hypernym", path, score))
                    break
        return sorted(found, key=lambda e: (-e.score, -e.strength))

    def _node_messages(self, name: str, k: int, graph: SceneGraph) -> list[Evidence]:
        """The node's own belief, then one zero-score path per incoming message of the last step (for the picture):
        (relation, neighbour) with the message's norm as its strength."""
        kind = "seen" if graph.sees[k] else ("unseen" if k < len(self.labels) else "typed")
        node = graph.nodes[k]
        out = [Evidence(name, f"ggnn:{node} ({kind})", "node", [node], float(graph.scores[k]))]
        if not self.model.cfg.gated or len(graph.states) < 2:
            return out
        h = graph.states[-2][0]  # the states that sent the last step's messages
        for r, relation in enumerate(RELATIONS):
            message = self.model.messages[r](h)  # K H
            for u in torch.nonzero(graph.adj[r, k]).flatten().tolist():
                strength = float(graph.adj[r, k, u] * message[u].norm())
                out.append(Evidence(name, graph.nodes[u], relation, [graph.nodes[u]], 0.0, strength))
        return out


def load_predictor(device: torch.device, name: str = "default") -> ZeroShotPredictor:
    """Build the predictor from weights/zeroshot/<name> (sha256-checked) on `device`."""
    return ZeroShotPredictor(device, name)
