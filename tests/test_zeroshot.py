"""Unit tests of the zero-shot tab: WordNet file and resolution, the label graph, propagation, metrics, baselines,
photo mode's photo sets and its eval block."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch

from vtl_models.common import InvalidInput
from vtl_models.zeroshot.graph import close_siblings, relation_matrices
from vtl_models.zeroshot.metrics import per_photo_map, top_k_prf
from vtl_models.zeroshot.model import MLZSL, ZeroShotConfig
from vtl_models.zeroshot.predictor import MAX_LABELS, parse_labels
from vtl_models.zeroshot.scenes import conse_scores
from vtl_models.zeroshot.wordnet import load_wordnet


@pytest.fixture(scope="module")
def wordnet():
    return load_wordnet()


def test_wordnet_file_loads_with_its_licence_and_imagenet_ids(wordnet):
    assert len(wordnet.offsets) == 82115
    assert wordnet.name(wordnet.from_wnid("n02123045")) == "tabby"  # ImageNet's "tabby cat"
    dog = wordnet.resolve("dog")[0]
    assert wordnet.name(wordnet.hypernyms[dog][0]) == "canine"


@pytest.mark.parametrize(
    ("typed", "lemma"),
    [
        ("Dogs", "dog"),
        ("MICE", "mouse"),
        ("polar bears", "ice bear"),
        ("  Fire-Engine ", "fire engine"),
        ("boxes", "box"),
    ],
)
def test_resolution_of_plural_capitalised_and_multi_word_labels(wordnet, typed, lemma):
    assert wordnet.name(wordnet.resolve(typed)[0]) == lemma


def test_unknown_label_is_refused_with_the_nearest_known_words(wordnet):
    with pytest.raises(InvalidInput, match="did you mean.*cat"):
        wordnet.resolve("catt")
    with pytest.raises(InvalidInput, match="not an English noun"):
        wordnet.resolve("qqqqzzzz")


def test_ancestors_and_wu_palmer(wordnet):
    cat, dog, car = (wordnet.resolve(w)[0] for w in ("cat", "dog", "car"))
    animal = wordnet.resolve("animal")[0]
    assert animal in wordnet.ancestors(cat)
    assert wordnet.wup(cat, dog) > wordnet.wup(cat, car)
    assert wordnet.path_to(cat, animal)[0] == cat and wordnet.path_to(cat, animal)[-1] == animal


def test_label_graph_relations_on_three_synsets(wordnet):
    water, lake, car = (wordnet.index[w][0] for w in ("body_of_water", "lake", "car"))
    adj = relation_matrices(wordnet, [water, lake, car])
    assert adj[0, 1, 0] == 1 and adj[1, 0, 1] == 1  # lake is a hyponym of body of water, and the reverse edge
    assert adj[0, 0, 1] == 0 and adj[:2, 2].sum() == 0  # car has no taxonomic edge to either
    assert adj[2, 1, 0] == 0  # a taxonomic pair is not also a correlation
    vectors = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]])
    adj = relation_matrices(wordnet, [water, lake, car], vectors)
    assert adj[3, 2, 0] == 1 and adj[3, 0, 2] == 1  # orthogonal word vectors: negative correlation
    assert adj[2, 1, 0] == 0 and adj[0, 1, 0] == 1  # taxonomy first


def test_close_siblings_are_negative_only_when_asked(wordnet):
    water, lake, ocean = (wordnet.index[w][0] for w in ("body_of_water", "lake", "ocean"))
    assert close_siblings(wordnet, lake, ocean, 1) and not close_siblings(wordnet, lake, water, 2)
    assert not close_siblings(wordnet, lake, ocean, 0)
    vectors = np.array([[1.0, 0.0], [1.0, 0.1], [1.0, 0.05]])  # lake and ocean similar: a positive correlation
    assert relation_matrices(wordnet, [water, lake, ocean], vectors)[2, 1, 2] == 1
    adj = relation_matrices(wordnet, [water, lake, ocean], vectors, sibling_depth=2)
    assert adj[3, 1, 2] == 1 and adj[3, 2, 1] == 1 and adj[2, 1, 2] == 0
    assert adj[0, 1, 0] == 1 and adj[3, 1, 0] == 0  # taxonomy first


def _three_node_adjacency() -> torch.Tensor:
    """Chain a <- b <- c on the "positive" relation (row = receiver): b tells a, c tells b."""
    adj = torch.zeros(4, 3, 3)
    adj[2, 0, 1] = 1.0
    adj[2, 1, 2] = 1.0
    return adj


def test_fixed_propagation_on_a_three_node_graph():
    model = MLZSL(ZeroShotConfig(hidden=2, steps=1, gated=False))
    h0 = torch.tensor([[[0.0, 0.0], [1.0, 2.0], [0.0, 0.0]]])
    states = model.propagate_beliefs(h0, _three_node_adjacency())
    assert torch.allclose(states[1][0, 0], torch.tensor([0.5, 1.0]))  # a got half of b (fixed positive weight 0.5)
    assert torch.allclose(states[1][0, 1], h0[0, 1]) and torch.allclose(states[1][0, 2], h0[0, 2])


def test_gated_propagation_reaches_two_hops_only_after_two_steps():
    torch.manual_seed(0)
    model = MLZSL(ZeroShotConfig(hidden=8, steps=2)).eval()
    adj = _three_node_adjacency()
    h0 = torch.randn(1, 3, 8)
    moved = h0.clone()
    moved[0, 2] += 1.0  # change c only
    one = [model.propagate_beliefs(h, adj, steps=1)[-1] for h in (h0, moved)]
    two = [model.propagate_beliefs(h, adj, steps=2)[-1] for h in (h0, moved)]
    assert torch.allclose(one[0][0, 0], one[1][0, 0])  # one step: c cannot reach a
    assert not torch.allclose(two[0][0, 0], two[1][0, 0])  # two steps: c -> b -> a


def test_model_scores_unseen_nodes_with_shared_weights():
    model = MLZSL(ZeroShotConfig(num_labels=3, feat_dim=6, word_dim=4, hidden=8, steps=2)).eval()
    logits = model(torch.randn(5, 6), torch.randn(3, 4), _three_node_adjacency(), prior=torch.rand(5, 3))
    assert logits.shape == (5, 3)
    more = model(torch.randn(5, 6), torch.randn(7, 4), torch.zeros(4, 7, 7), prior=torch.rand(5, 7))  # any K
    assert more.shape == (5, 7)


def test_blind_nodes_ignore_the_image():
    model = MLZSL(ZeroShotConfig(num_labels=2, feat_dim=6, word_dim=4, hidden=8, steps=0)).eval()
    model.feat_std.fill_(1.0)
    words, prior, blind = torch.randn(2, 4), torch.rand(1, 2), torch.tensor([False, True])
    a, b = (model.initial_beliefs(torch.randn(1, 6), words, blind, prior) for _ in range(2))
    assert torch.allclose(a[0, 1], b[0, 1]) and not torch.allclose(a[0, 0], b[0, 0])


def test_top3_precision_recall_by_hand():
    truth = np.array([[1, 1, 0, 0], [0, 0, 0, 1]])
    scores = np.array([[0.9, 0.1, 0.8, 0.7], [0.9, 0.8, 0.7, 0.1]])
    p, r, f1 = top_k_prf(truth, scores, k=3)
    assert p == pytest.approx(1 / 6) and r == pytest.approx(1 / 3) and f1 == pytest.approx(2 / 9)


def test_per_photo_map_by_hand():
    photos = [{"present": ["a", "b"], "absent": ["c"]}, {"present": ["x"], "absent": ["y", "z"]}]
    scores = [{"a": 0.9, "b": 0.1, "c": 0.5}, {"x": 0.8, "y": 0.1, "z": 0.2}]
    assert per_photo_map(photos, scores) == pytest.approx((1 + 2 / 3) / 2 * 0.5 + 0.5, abs=1e-4)


# heldout_photos.json as committed in 8a4a79f, before any run of photo mode on its photos: its labels never change
HELDOUT_SHA256 = "a2662eb6e4b53a8bc35d77e3ff58bf5b8c4ca9bdbca7bd2f02fa44f531734384"


def test_heldout_photos_are_new_and_labelled_like_the_tuning_check():
    """No photo of the held-out set is in the tuning check; each has 2-6 present and 3-5 absent labels, non-empty
    and disjoint; the photos from pip packages the app requires are installed."""
    from vtl_models.zeroshot.photo_check import CHECK_FILE, HELDOUT_FILE, PACKAGE_FOLDER, photo_path

    assert hashlib.sha256(HELDOUT_FILE.read_bytes()).hexdigest() == HELDOUT_SHA256
    tuning, heldout = (json.loads(path.read_text()) for path in (CHECK_FILE, HELDOUT_FILE))
    names = [(photo["source"], photo["file"]) for photo in heldout["photos"]]
    assert len(set(names)) == len(names) >= 25 and "before any run of photo mode" in heldout["written"]
    assert not set(names) & {(photo["source"], photo["file"]) for photo in tuning["photos"]}
    for photo in heldout["photos"]:
        present, absent = photo["present"], photo["absent"]
        assert 2 <= len(present) <= 6 and 3 <= len(absent) <= 5, photo["file"]
        assert all(label.strip() == label != "" for label in present + absent), photo["file"]
        assert len(set(present) | set(absent)) == len(present) + len(absent), photo["file"]
        assert photo["source"] in {"opencv-doc", "opencv-doc-examples", *PACKAGE_FOLDER}
        if photo["source"] in PACKAGE_FOLDER:
            assert photo_path(photo["source"], photo["file"]).is_file(), photo["file"]


def test_photo_mode_bar_and_table_read_the_photo_mode_block():
    """The zeroshot bar on photo mode reads photo_mode.heldout_mAP, never a metric of the model; the table says
    what each figure is measured on."""
    from vtl_models.report import photo_mode_table, verdicts
    from vtl_models.zeroshot.photo_check import MEASURED_ON

    block = {"about": "no learned weights", "measured_on": MEASURED_ON, "tuning_check_mAP": 0.9, "heldout_mAP": 0.8}
    block |= {"n_photos": {"tuning_check": 28, "tuning2": 38, "heldout": 29, "heldout_v1": 29}}
    block["baselines"] = {"conse": {"tuning_check_mAP": 0.7, "heldout_mAP": 0.6}}
    report = {"metrics": {"heldout_mAP": 0.99}, "photo_mode": block}
    found = [row[1:] for row in verdicts("zeroshot", report) if row[0].metric == "photo_mode.heldout_mAP"]
    assert found == [(0.8, 0.85, "missed")]
    table = photo_mode_table(report)
    assert "| heldout_mAP | photos never used for tuning" in table and "| 29 | 0.800 | 0.600 |" in table
    assert photo_mode_table({"metrics": {}}) == ""


def test_default_card_keeps_photo_mode_apart_from_the_model_metrics():
    """The card's eval has both photo-mode figures in its photo_mode block, none in metrics, and the tab's accordion
    shows them."""
    from demos.common import quality_markdown
    from vtl_models.hub import has_card, read_card

    if not has_card("zeroshot"):
        pytest.skip("zeroshot weights not trained yet")
    report = read_card("zeroshot").raw["eval"]
    assert {"tuning_check_mAP", "heldout_mAP"} <= set(report["photo_mode"]) and report["photo_mode"]["baselines"]
    assert not [key for key in report["metrics"] if "photo" in key]
    assert "| heldout_mAP | photos never used for tuning" in quality_markdown("zeroshot")


def test_conse_weights_the_top_seen_labels_by_word_similarity():
    seen_words = np.array([[1.0, 0.0], [0.0, 1.0]])
    unseen_words = np.array([[1.0, 0.1], [0.1, 1.0]])
    scores = conse_scores(np.array([[0.9, 0.1]]), seen_words, unseen_words)
    assert scores[0, 0] > scores[0, 1]


def test_label_text_parsing_limits():
    assert parse_labels(" Cat, dog ,, cat,Cat ") == ["Cat", "dog", "cat"]
    with pytest.raises(InvalidInput, match="at least one"):
        parse_labels(" , ")
    with pytest.raises(InvalidInput, match=f"at most {MAX_LABELS}"):
        parse_labels(",".join(f"w{i}" for i in range(MAX_LABELS + 1)))
    with pytest.raises(InvalidInput, match="40 characters"):
        parse_labels("x" * 41)


@pytest.mark.parametrize("shape", [(80, 80, 3), (16, 200, 3), (300, 40, 3)])
def test_people_detectors_take_images_smaller_than_their_window(shape):
    from vtl_models.zeroshot.stuff import colour_scores, people_scores

    image = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    assert set(people_scores(image)) == {"person_detector", "face_detector"}
    assert all(0.0 <= v <= 1.0 for v in colour_scores(image).values())


def test_belief_messages_are_off_by_default_and_carry_beliefs_when_on():
    assert not ZeroShotConfig().belief_messages and ZeroShotConfig().sibling_depth == 0
    torch.manual_seed(0)
    model = MLZSL(ZeroShotConfig(num_labels=3, feat_dim=6, word_dim=4, hidden=8, steps=1, belief_messages=True))
    model.eval()
    feats, words, prior = torch.randn(2, 6), torch.randn(3, 4), torch.rand(2, 3)
    before = model(feats, words, _three_node_adjacency(), prior=prior)
    with torch.no_grad():
        model.belief_dirs.fill_(1.0)
    assert not torch.allclose(before, model(feats, words, _three_node_adjacency(), prior=prior))
