"""Smile transfer with the shipped weights: the requested smile flips the evaluator's verdict; outputs; bad inputs;
the full tab through gradio_client."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from checks import assert_refuses_bad_images

from vtl_models.common import InvalidInput
from vtl_models.hub import has_card

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not has_card("smile"), reason="smile weights not trained yet")]


@pytest.fixture(scope="module")
def predictor():
    from vtl_models.smile.predictor import load_predictor

    return load_predictor(torch.device("cpu"))


def _smile_verdicts(images: list[np.ndarray], size: int, world: str) -> np.ndarray:
    from vtl_models.smile.data import to_float
    from vtl_models.smile.evaluator import load_evaluator, predict

    small = np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_AREA) for im in images])
    return predict(load_evaluator(world), torch.from_numpy(to_float(small)))[1]["smile"]


def _held_out_faces(domain: str, world: str) -> list[np.ndarray]:
    """Held-out faces at 128 px: 6 regenerated, or the Lorelei world's 2 committed test renders (no node in CI)."""
    from PIL import Image

    from demos.smile import EXAMPLES_DIR
    from vtl_models.smile.data import make_batch

    if domain == "cartoon" and world != "procedural":
        return [np.asarray(Image.open(p).convert("RGB")) for p in sorted(EXAMPLES_DIR.glob(f"{world}_*.png"))]
    return list(make_batch(domain, 6, 128, "test", 0)[0])


@pytest.mark.parametrize("output", ["photo", "cartoon"])
def test_requested_smile_flips_the_evaluators_verdict(predictor, output):
    from vtl_models.smile.limits import cartoons_of

    world, flips, total = cartoons_of(predictor.card), 0, 0
    for domain in ("photo", "cartoon"):
        for face in _held_out_faces(domain, world):
            off, on = predictor.predict(face, 0.0, domain), predictor.predict(face, 1.0, domain)
            verdicts = _smile_verdicts([getattr(off, output), getattr(on, output)], predictor.size, world)
            flips, total = flips + int(verdicts[0] == 0 and verdicts[1] == 1), total + 1
    assert flips >= 0.75 * total, f"only {flips} of {total} {output} outputs follow the requested smile"


def test_outputs_and_sampling(predictor):
    from vtl_models.smile.data import make_batch

    face = make_batch("photo", 1, 96, "test", 1)[0][0]
    result = predictor.predict(face, 0.5)
    assert result.grid.shape == (512, 512, 3) and result.grid.dtype == np.uint8
    assert result.photo.shape == result.cartoon.shape == (256, 256, 3)
    assert result.domain == "photo" and 0.0 <= result.smile_probability <= 1.0
    grid = predictor.sample(3, n=3)
    assert grid.shape == (4 * 128, 3 * 128, 3)
    assert np.array_equal(grid, predictor.sample(3, n=3)) and not np.array_equal(grid, predictor.sample(4, n=3))


def test_another_strength_on_the_same_face_gives_what_a_first_call_does(predictor):
    """The face crop and its domain check are kept per picture (PictureCache): a new strength on the same face
    answers as a predictor that never saw it does."""
    from vtl_models.smile.data import make_batch
    from vtl_models.smile.predictor import load_predictor

    face = make_batch("photo", 1, 96, "test", 2)[0][0]
    predictor.predict(face, 0.2)
    again, fresh = predictor.predict(face, 0.9), load_predictor(torch.device("cpu")).predict(face, 0.9)
    assert np.array_equal(again.grid, fresh.grid) and np.array_equal(again.photo, fresh.photo)
    assert again.domain_check == fresh.domain_check and again.message == fresh.message


def test_bad_inputs(predictor, tmp_path):
    assert_refuses_bad_images(predictor.predict, tmp_path)
    with pytest.raises(InvalidInput):
        predictor.predict(np.zeros((64, 64, 3), np.uint8), strength=3.0)
    with pytest.raises(InvalidInput):
        predictor.predict(np.zeros((64, 64, 3), np.uint8), domain="painting")
    # no face at all: a centre crop is used and the message says so
    result = predictor.predict(np.full((300, 200), 128, np.uint16))
    assert "No face" in result.message


def test_real_photo_face_is_found():
    from skimage import data

    from vtl_models.smile.predictor import _cascade, crop_face

    crop = crop_face(data.astronaut(), 32, _cascade())
    assert crop.found_face and crop.image.shape == (32, 32, 3)


def test_full_tab_api(serve_blocks, predictor, monkeypatch):
    """The full UI through gradio_client (mechanics: shapes, messages, errors), whatever the weights' quality."""
    from gradio_client import handle_file

    import demos.common
    import demos.smile

    monkeypatch.setitem(demos.common._predictors, "smile", predictor)  # the predictor this module built
    client = serve_blocks(demos.smile.create_demo())
    example = demos.smile.EXAMPLES_DIR / "cartoon_0.png"
    grid, info = client.predict(handle_file(str(example)), 1.0, "auto", api_name="/smile_transfer")
    assert cv2.imread(grid).shape == (512, 512, 3) and "cartoon" in info
    at_slider = client.predict(handle_file(str(example)), 0.5, "auto", api_name="/smile_at_strength")
    assert cv2.imread(at_slider).shape == (256, 512, 3)
    # the button's UI-only step after the endpoint: the slider's picture and the crop, from the kept transfer
    at_slider, crop = demos.smile.slider_and_crop(predictor.predict(str(example), 0.5))
    assert cv2.imread(at_slider).shape == (256, 512, 3) and cv2.imread(crop).shape == (256, 256, 3)
    samples = client.predict(0, api_name="/smile_sample")
    assert cv2.imread(samples).shape == (4 * 128, 6 * 128, 3)
    with pytest.raises(Exception, match="no image was given"):  # our gr.Error reaches the client
        client.predict(None, 1.0, "auto", api_name="/smile_transfer")
    assert client.predict(handle_file(str(example)), 0.5, "cartoon", api_name="/smile_transfer")[0]  # still serves
