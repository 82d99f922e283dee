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
    # scene_lake_boat.png holds lake and boat (never trained on), and no moon, no sunset (unseen too)
    out = predictor.predict(str(EXAMPLES / "scene_lake_boat.png"), "lake, boat, moon, sunset")
    assert out.mode == "scene"
    assert min(out.scores["lake"], out.scores["boat"]) > max(out.scores["moon"], out.scores["sunset"])


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
