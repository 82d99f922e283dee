"""The zero-shot predictor with the shipped weights (skipped until the card exists)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vtl_models.common import InvalidInput
from vtl_models.hub import has_card

pytestmark = pytest.mark.skipif(not has_card("zeroshot"), reason="zeroshot weights not trained yet")
EXAMPLES = Path(__file__).resolve().parent.parent / "demos" / "examples" / "zeroshot"


@pytest.fixture(scope="module")
def predictor():
    from vtl_models.zeroshot.predictor import load_predictor

    return load_predictor("cpu")


def test_generated_scene_scores_a_present_unseen_label_above_an_absent_one(predictor):
    # world_sailboat.png holds a sail and no headlight, both unseen (never training targets, never in a graph before
    # the test eval). One scene checks that the scene path works, not that ZSL is solved: each unseen label's test AP
    # is in the card (eval details).
    from vtl_models.zeroshot.world import UNSEEN

    assert {"sail", "headlight"} <= set(UNSEEN)
    out = predictor.predict(str(EXAMPLES / "world_sailboat.png"), "sail, headlight, sailboat")
    assert out.mode == "scene"
    assert out.scores["sail"] > out.scores["headlight"]
    node = out.evidence["sail"][0]
    assert node.edge == "node" and "unseen" in node.source
    assert set(out.moved) == {"sail", "headlight"}  # the seen sailboat has image input: nothing to move
    assert out.moved["sail"][1] == out.scores["sail"]


def test_real_photo_hypernym_label_scores_above_an_absent_label(predictor):
    out = predictor.predict(str(EXAMPLES / "squirrel.jpg"), "rodent, animal, vehicle, fruit")
    assert out.mode == "photo"
    assert min(out.scores["rodent"], out.scores["animal"]) > max(out.scores["vehicle"], out.scores["fruit"])
    path = out.evidence["rodent"][0]
    assert path.edge == "hypernym" and path.path[-1] == "rodent"


def test_mode_switch_overrides_the_automatic_choice(predictor):
    out = predictor.predict(str(EXAMPLES / "squirrel.jpg"), "tree, sky", mode="scene")
    assert out.mode == "scene" and set(out.scores) == {"tree", "sky"}


def test_unknown_labels_are_named_with_near_words(predictor):
    with pytest.raises(InvalidInput, match="'sqirrel'.*did you mean.*squirrel"):
        predictor.predict(str(EXAMPLES / "squirrel.jpg"), "animal, sqirrel")


def test_graph_picture_draws_the_paths_of_a_prediction(predictor):
    """One row per path that carried belief, edges in their kind's colour: the strongest GGNN message into each label
    is drawn below the legend, and a picture without the evidence keeps only one row per label; in scene mode each
    unseen label's score before and after propagation is drawn as bars."""
    from vtl_models.zeroshot.picture import EDGE_COLOURS, MOVED_COLOURS, TOP, graph_picture

    out = predictor.predict(str(EXAMPLES / "world_car_house.png"), "wheel, window, building, car")
    picture = graph_picture(out.evidence, out.scores, out.mode, moved=out.moved)
    assert picture.dtype == np.uint8 and picture.shape[0] > graph_picture({}, out.scores, out.mode).shape[0]
    drawn = {tuple(colour) for colour in np.unique(picture[TOP:].reshape(-1, 3), axis=0)}
    strongest = {max(found, key=lambda e: e.strength).edge for found in out.evidence.values()}
    assert len(strongest) > 1 and {EDGE_COLOURS[kind] for kind in strongest} <= drawn, strongest
    assert set(out.moved) == {"wheel", "window", "building"} and MOVED_COLOURS["before"] in drawn
    assert picture.shape[0] > graph_picture(out.evidence, out.scores, out.mode).shape[0]  # the before/after bars


@pytest.mark.parametrize("name", ["squirrel.jpg", "world_sailboat.png"])
def test_a_picture_scored_again_with_other_labels_gives_what_a_first_call_does(predictor, name):
    """The picture's own work is kept between calls (PictureCache): a label's score does not depend on what was
    asked before, in either mode."""
    from vtl_models.zeroshot.predictor import load_predictor

    image = str(EXAMPLES / name)
    predictor.predict(image, "tree, person, vehicle")
    again = predictor.predict(image, "animal, sky, water")
    fresh = load_predictor("cpu").predict(image, "animal, sky, water")
    assert again.mode == fresh.mode and again.scores == fresh.scores
    assert len(predictor.scene_passes._items) >= 1
