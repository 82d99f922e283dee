"""The zero-shot v2 world: its labels and fixed split, scenes whose labels follow the WordNet graph, the graph's part
relations, the scorer's no-propagation read-out and the bootstrap's fast average precision."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score

from vtl_models.zeroshot.metrics import fast_average_precision
from vtl_models.zeroshot.model import MLZSL, ZeroShotConfig
from vtl_models.zeroshot.wordnet import load_wordnet
from vtl_models.zeroshot.world import DRAWN_PARTS, INDEX, LABELS, SEEN, UNSEEN, VALIDATION_UNSEEN, kind_members
from vtl_models.zeroshot.world_fit import node_scores, world_synsets
from vtl_models.zeroshot.world_graph import RELATIONS, world_relations
from vtl_models.zeroshot.world_render import render_world_scene


@pytest.fixture(scope="module")
def wordnet():
    return load_wordnet()


@pytest.fixture(scope="module")
def scenes():
    return [render_world_scene(seed) for seed in range(60)]


def test_vocabulary_and_split(wordnet):
    """>= 40 labels with one WordNet sense each, >= 10 unseen, three disjoint groups covering the vocabulary."""
    assert len(LABELS) >= 40 and len(UNSEEN) >= 10 and len(VALIDATION_UNSEEN) >= 5
    groups = [set(SEEN), set(VALIDATION_UNSEEN), set(UNSEEN)]
    assert sum(map(len, groups)) == len(LABELS) and set().union(*groups) == set(LABELS)
    assert len(set(world_synsets(wordnet))) == len(LABELS)


def test_every_held_out_label_has_a_seen_whole_or_member(wordnet):
    """Both held-out groups are parts of seen things or kinds of seen things, through the graph's own edges."""
    adj = world_relations(wordnet, world_synsets(wordnet))
    seen = [INDEX[label] for label in SEEN]
    for label in UNSEEN + VALIDATION_UNSEEN:
        v = INDEX[label]
        assert adj[2, v, seen].any() or adj[1, v, seen].any(), label  # a seen whole, or a seen hyponym


def test_part_and_kind_relations(wordnet):
    synsets = world_synsets(wordnet)
    adj = world_relations(wordnet, synsets)
    assert len(RELATIONS) == adj.shape[0] == 6
    car, wheel, vehicle, sail, sailboat = (INDEX[k] for k in ("car", "wheel", "vehicle", "sail", "sailboat"))
    assert adj[2, wheel, car] and adj[3, car, wheel] and not adj[2, car, wheel]  # the wheel hears the car, and back
    assert adj[2, sail, sailboat] and not adj[2, sail, car]
    assert adj[1, vehicle, car] and adj[0, car, vehicle] and not adj[2:4, vehicle, car].any()  # taxonomy, not parts


def test_scenes_are_deterministic(scenes):
    again = render_world_scene(7)
    assert np.array_equal(again.image, scenes[7].image) and np.array_equal(again.labels, scenes[7].labels)
    assert scenes[0].image.shape == (128, 128, 3) and scenes[0].labels.shape == (len(LABELS),)


def test_kinds_hold_exactly_when_a_member_does(scenes, wordnet):
    synsets = world_synsets(wordnet)
    kinds = kind_members([wordnet.ancestors(s) for s in synsets], synsets)
    assert {LABELS[k] for k in kinds} >= {"vehicle", "building", "celestial body", "animal", "water"}
    for scene in scenes:
        for kind, members in kinds.items():
            assert scene.labels[kind] == scene.labels[members].max(), LABELS[kind]


def test_drawn_parts_lie_on_their_wholes_and_occur_with_them(scenes):
    """Every visible part pixel is a pixel of one of its wholes; and parts do show up with their wholes."""
    wholes = {}
    for whole, parts in DRAWN_PARTS.items():
        for part in parts:
            wholes.setdefault(part, []).append(INDEX[whole])
    together = 0
    for scene in scenes:
        for part, owners in wholes.items():
            mask = scene.masks[INDEX[part]]
            assert not (mask & ~scene.masks[owners].any(0)).any(), part
            together += int(scene.labels[INDEX[part]] > 0)
    assert together > 50
    labels = np.stack([s.labels for s in scenes])
    sail, sailboat = labels[:, INDEX["sail"]], labels[:, INDEX["sailboat"]]
    assert sailboat.sum() >= 3 and (sail <= sailboat).all() and sail.sum() >= 0.7 * sailboat.sum()


def test_zero_steps_read_out_the_initial_beliefs():
    """steps=0 is the no_propagation baseline: the graph is not used at all."""
    torch.manual_seed(0)
    model = MLZSL(ZeroShotConfig(num_labels=3, feat_dim=6, word_dim=4, hidden=8, steps=2, relations=6)).eval()
    feats, words, prior = torch.randn(4, 6), torch.randn(3, 4), torch.rand(4, 3)
    adj = torch.rand(6, 3, 3)
    a = node_scores(model, feats, words, adj, prior, [True, True, False], steps=0)
    b = node_scores(model, feats, words, torch.zeros(6, 3, 3), prior, [True, True, False], steps=0)
    c = node_scores(model, feats, words, adj, prior, [True, True, False])
    assert np.allclose(a, b) and not np.allclose(a, c)


def test_fast_average_precision_is_sklearns():
    rng = np.random.default_rng(0)
    for _ in range(50):
        truth = (rng.random(200) < 0.3).astype(float)
        truth[0] = 1
        scores = np.round(rng.random(200) * 20) / 20  # ties
        assert fast_average_precision(truth, scores) == pytest.approx(average_precision_score(truth, scores))


def test_fixed_propagation_weighs_every_relation_of_the_world():
    """Six relations: parts both ways and positive correlations add, negative ones subtract."""
    from vtl_models.zeroshot.model import FIXED_RELATION_SIGN

    model = MLZSL(ZeroShotConfig(hidden=1, steps=1, gated=False, relations=6))
    h0 = torch.tensor([[[0.0], [1.0]]])
    for r, sign in enumerate(FIXED_RELATION_SIGN[6]):
        adj = torch.zeros(6, 2, 2)
        adj[r, 0, 1] = 1.0  # node 1 tells node 0 on relation r
        assert model.propagate_beliefs(h0, adj)[-1][0, 0, 0].item() == pytest.approx(sign), RELATIONS[r]
    assert FIXED_RELATION_SIGN[6][RELATIONS.index("has_part")] > 0 > FIXED_RELATION_SIGN[6][RELATIONS.index("negative")]


def test_the_claims_baseline_is_chosen_on_validation(monkeypatch, tmp_path):
    from vtl_models.zeroshot import calibrate, evaluate

    path = tmp_path / "calibration.json"
    monkeypatch.setattr(calibrate, "PATH", path)
    for scores, expected in (((0.3, 0.5, 0.4), "no_propagation"), ((0.6, 0.5, 0.4), "prior_only")):
        record = dict(zip(("prior_only", "no_graph", "embedding_only"), scores, strict=True))
        path.write_text(json.dumps({"val_ZSL_mAP": record}))
        assert evaluate.strongest_on_validation() == expected
