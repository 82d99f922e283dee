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
    # scene_moon_snow.png holds snow (never a training target) and no lake (unseen too). Snow is the unseen label
    # with the best validation AP; the shipped model is near chance on the others (test AP in the card's eval
    # details: lake 0.16, sunset 0.17, moon 0.07), so this checks the scene path works, not that ZSL is solved.
    out = predictor.predict(str(EXAMPLES / "scene_moon_snow.png"), "snow, lake")
    assert out.mode == "scene"
    assert out.scores["snow"] > out.scores["lake"]
    node = out.evidence["snow"][0]
    assert node.edge == "node" and "unseen" in node.source


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


def test_graph_picture_of_a_prediction(predictor):
    from vtl_models.zeroshot.picture import graph_picture

    out = predictor.predict(str(EXAMPLES / "scene_sunset.png"), "sunset, boat, vehicle")
    picture = graph_picture(out.evidence, out.scores, out.mode)
    assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[0] > 60
