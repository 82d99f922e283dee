"""The Person search predictor with the shipped weights and gallery (skipped until the card exists)."""

from __future__ import annotations

import numpy as np
import pytest

from vtl_models.common import InvalidInput
from vtl_models.hub import has_card

pytestmark = pytest.mark.skipif(not has_card("reid"), reason="no trained reid weights")

EXAMPLE = "indoor_id806_camera1.png"  # a new shot of gallery person 806, seen by camera 1 (a case it finds)


@pytest.fixture(scope="module")
def predictor():
    from vtl_models.reid.predictor import load_predictor

    return load_predictor("cpu")


def test_gallery_is_the_shipped_one(predictor):
    assert len(predictor.crops) >= 1000 and predictor.gallery.shape[0] == len(predictor.crops)
    assert np.allclose(np.linalg.norm(predictor.gallery.numpy(), axis=1), 1.0, atol=1e-3)


def test_query_finds_its_own_identity_in_the_other_cameras(predictor):
    from vtl_models.reid.shipped import EXAMPLES

    result = predictor.predict(str(EXAMPLES / EXAMPLE), top_k=5, exclude_camera=0)
    assert len(result.matches) == 5
    assert all(m.camera != "indoor camera 1" for m in result.matches)
    assert 806 in [m.identity for m in result.matches]
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True)


def test_full_frame_detects_people_and_searches_the_chosen_one(predictor):
    from vtl_models.reid.shipped import EXAMPLES

    result = predictor.predict(str(EXAMPLES / "vtest_frame120.jpg"), person=1)
    assert len(result.boxes) >= 1 and result.person == 0
    assert result.query.shape == (128, 64, 3) and len(result.matches) == 10
    with pytest.raises(InvalidInput, match="does not exist"):
        predictor.predict(str(EXAMPLES / "vtest_frame120.jpg"), person=99)


def test_another_person_or_camera_in_the_same_frame_gives_what_a_first_call_does(predictor):
    """A frame's detections and a query's feature are kept per picture (PictureCache): asking for another person,
    or leaving another camera out, answers as a predictor that never saw the frame does."""
    from vtl_models.reid.predictor import load_predictor
    from vtl_models.reid.shipped import EXAMPLES

    frame = str(EXAMPLES / "vtest_frame120.jpg")
    predictor.predict(frame, person=1)
    again = predictor.predict(frame, person=2, top_k=4, exclude_camera=1)
    fresh = load_predictor("cpu").predict(frame, person=2, top_k=4, exclude_camera=1)
    assert np.array_equal(again.boxes, fresh.boxes) and again.person == fresh.person == 1
    assert [(m.index, m.score) for m in again.matches] == [(m.index, m.score) for m in fresh.matches]
    assert again.domain == fresh.domain


def test_the_query_gets_a_domain_verdict(predictor):
    from vtl_models.reid.shipped import EXAMPLES

    generated = predictor.predict(str(EXAMPLES / "indoor_id776_camera2.png")).domain
    real = predictor.predict(str(EXAMPLES / "vtest_frame120.jpg"), person=1).domain
    assert generated.inside and not real.inside, (generated, real)  # vtest.avi's people are real, not generated


def test_no_person_is_a_clear_message(predictor):
    blank = np.full((480, 640, 3), 128, np.uint8)
    with pytest.raises(InvalidInput, match="no person found"):
        predictor.predict(blank)


def test_loading_the_default_weights_embeds_no_gallery_crop(monkeypatch, tmp_path):
    """A first search once took 7.5 s: the shipped gallery features were for older weights, so the tab embedded all
    1,156 gallery crops (~7 s on 2 cores) before answering. Loading must find the default weights' features shipped
    (a per-machine cache may not hide a stale file)."""
    from vtl_models.reid import predictor as module

    monkeypatch.setattr(module, "CACHE", tmp_path)
    monkeypatch.setattr(module.ReidPredictor, "embed", lambda self, crops: pytest.fail(f"embedded {len(crops)} crops"))
    loaded = module.load_predictor("cpu")
    assert loaded.gallery.shape[0] == len(loaded.crops)
