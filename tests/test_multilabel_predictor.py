"""Labels + attention with shipped weights: predictor on fixed held-out scenes, and the tab via gradio_client."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from checks import assert_refuses_bad_images

from vtl_models.common import InvalidInput
from vtl_models.hub import has_card
from vtl_models.multilabel.data import TEST_SEED
from vtl_models.multilabel.render import render_scene
from vtl_models.multilabel.vocab import LABELS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not has_card("multilabel"), reason="multilabel weights not trained yet"),
]
EXAMPLES = Path(__file__).resolve().parent.parent / "demos" / "examples" / "multilabel"
OUTSIDE = "Outside what this model knows"  # demos.common.domain_note's words beside an out-of-domain result


@pytest.fixture(scope="module")
def predictor():
    from vtl_models.multilabel.predictor import load_predictor

    return load_predictor("cpu")


def test_predictor_on_fixed_test_scenes(predictor):
    assert predictor.default_beam == predictor.card.raw["decoding"]["beam"]
    f1s = []
    for seed in range(TEST_SEED, TEST_SEED + 24):
        scene = render_scene(seed)
        pred = predictor.predict(scene.image)  # the beam width chosen on validation scenes (card)
        truth = {LABELS[k] for k in np.nonzero(scene.labels)[0]}
        got = set(pred.labels)
        assert len(got) == len(pred.labels), "a label was emitted twice"
        assert all(0.0 < c <= 1.0 for c in pred.confidences)
        assert all(a.shape == (14, 14) for a in pred.attention)
        hits = len(truth & got)
        f1s.append(2 * hits / (len(truth) + len(got)) if got else 0.0)
    assert np.mean(f1s) >= 0.75, f1s


def test_predictor_threshold_beam_and_overlays(predictor):
    scene = render_scene(TEST_SEED + 5)
    full = predictor.predict(scene.image, beam=1, threshold=0.0)
    strict = predictor.predict(scene.image, beam=1, threshold=0.999)
    assert set(strict.labels) <= set(full.labels)
    assert all(c >= 0.999 for c in strict.confidences)
    overlays = predictor.overlays(full, size=96)
    assert len(overlays) == len(full.labels) and all(o.shape == (96, 96, 3) and o.dtype == np.uint8 for o in overlays)
    photo = np.full((3000, 500, 3), 200, np.uint8)  # any size is accepted; the predictor bounds its copy
    plain = predictor.predict(photo)
    assert plain.image.shape == (1024, 171, 3) and all(a.shape == (14, 14) for a in plain.attention)


def test_bad_inputs(predictor, tmp_path):
    assert_refuses_bad_images(predictor.predict, tmp_path)  # the predictor converts its own input
    with pytest.raises(InvalidInput, match="at least 16 pixels"):
        predictor.predict(np.zeros((8, 8), np.float32))


def test_tab_through_gradio_client(serve_blocks):
    from gradio_client import handle_file

    from demos.multilabel import create_demo
    from vtl_models.multilabel.picture import CAPTION, SHEET_COLUMNS

    client = serve_blocks(create_demo())
    label, sheet, order = client.predict(
        handle_file(str(EXAMPLES / "scene_sunset_sea.png")), 3, 0.0, api_name="/multilabel"
    )
    steps = [c["label"].split(". ", 1) for c in label["confidences"]]  # "1. sky": the step, the label
    names = [name for _, name in sorted(steps, key=lambda item: int(item[0]))]  # in the order emitted
    assert {"sky", "sunset", "sun"} <= set(names), names
    assert order.endswith(" → ".join(names)), order
    rows, columns = -(-len(names) // SHEET_COLUMNS), min(len(names), SHEET_COLUMNS)  # one captioned panel per label
    assert cv2.imread(sheet).shape == (rows * (256 + CAPTION), columns * 256, 3)
    with pytest.raises(Exception, match="no image was given"):  # our gr.Error reaches the client
        client.predict(None, 3, 0.0, api_name="/multilabel")
    # a real photo gets labels too, and the tab says it lies outside what the model knows (the held-out scene did not)
    label, _, photo_order = client.predict(handle_file(str(EXAMPLES / "home.jpg")), 1, 0.0, api_name="/multilabel")
    assert label["confidences"] and all(0 < c["confidence"] <= 1 for c in label["confidences"])
    assert OUTSIDE in photo_order and OUTSIDE not in order, (photo_order, order)


def test_decoding_again_with_another_beam_reuses_the_picture_and_matches_a_first_call(predictor):
    """The trunk's maps are kept per picture (PictureCache): another beam or threshold on the same picture decodes
    from them and gives what a predictor that never saw the picture gives."""
    from vtl_models.multilabel.predictor import load_predictor

    image = render_scene(TEST_SEED + 7).image
    predictor.predict(image, beam=1)
    again = predictor.predict(image, beam=3, threshold=0.5)
    fresh = load_predictor("cpu").predict(image, beam=3, threshold=0.5)
    assert again.labels == fresh.labels and again.confidences == fresh.confidences
    assert all(np.array_equal(a, b) for a, b in zip(again.attention, fresh.attention, strict=True))
