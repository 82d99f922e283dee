"""The out-of-domain check: its distance, its committed banks, and what the tabs say with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vtl_models import domain, domain_fit
from vtl_models.hub import has_card
from vtl_models.registry import TASKS


def test_knn_distance_is_the_mean_cosine_distance_to_the_nearest():
    bank = np.eye(3, dtype=np.float32)
    query = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0]], np.float32)
    # first: distances 0, 1, 1 -> nearest two 0 and 1; second: 0.4, 0.2, 1 -> nearest two 0.2 and 0.4
    assert np.allclose(domain.knn_distance(query, bank, k=2), [0.5, 0.3])


def test_verdict_and_the_note_beside_a_result():
    from demos.common import domain_note

    assert domain.Verdict(0.1, 0.2).inside and not domain.Verdict(0.3, 0.2).inside
    assert domain_note(None) == "" and domain_note(domain.Verdict(0.1, 0.2)) == ""
    note = domain_note(domain.Verdict(0.3, 0.2), "Use the other tab.")
    assert "Outside what this model knows" in note and "0.30" in note and note.endswith("Use the other tab.")


def test_every_other_procedural_image_travels_as_a_jpeg():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (40, 24, 3), dtype=np.uint8) for _ in range(4)]
    out = domain_fit.travelled(images, seed=3)
    assert [im.shape for im in out] == [im.shape for im in images]
    assert out[0] is images[0] and out[2] is images[2]  # kept as generated
    assert all(np.abs(out[n].astype(int) - images[n]).mean() > 1 for n in (1, 3))  # noise does not survive a JPEG
    np.testing.assert_array_equal(out[1], domain_fit.travelled(images, seed=3)[1])


def test_reid_sampler_splits_are_disjoint_and_deterministic(monkeypatch):
    from vtl_models.reid import data

    # rows instead of pictures: (network, identity, camera, shot) of each crop the sampler has rendered
    monkeypatch.setattr(data, "render_rows", lambda d, rows, workers=2: np.c_[np.full(len(rows), d == "target"), rows])
    sample = domain_fit.sampler("reid")
    crops = {split: sample(split, 300) for split in ("train", "val", "test")}
    np.testing.assert_array_equal(crops["val"], sample("val", 300))
    assert crops["train"][:, 0].mean() == crops["val"][:, 0].mean() == 0.5  # both camera networks, half each
    for network in (0, 1):
        people = [set(c[c[:, 0] == network, 1]) for c in crops.values()]
        assert sum(map(len, people)) == len(set().union(*people))


# Real photos a check is known to take for its own domain, said where the check's figures are (not silently dropped):
# shape3d's check also knows furniture views, whose backgrounds are often photographed textures (wood, fabric), and
# a cup of coffee is one of its categories (2026-12-07: distance 0.375 against a threshold of 0.399).
KNOWN_INSIDE = {("shape3d", "coffee")}


@pytest.mark.parametrize("task", [t for t in TASKS if has_card(t, "domain")])
def test_generated_test_images_are_inside_and_a_real_photo_is_outside(task):
    import skimage.data

    scorer = domain.DomainScorer(task)
    generated = domain_fit.sampler(task)("test", 8)
    inside = [scorer(image).inside for image in generated]
    assert sum(inside) >= 7, inside  # the threshold is the 0.99 validation quantile
    for name in ("astronaut", "coffee"):
        verdict = scorer(getattr(skimage.data, name)())
        assert not verdict.inside or (task, name) in KNOWN_INSIDE, (task, name, verdict)


def test_a_check_reads_features_at_its_banks_size_and_refuses_others():
    small = domain.shared_features("cpu")
    assert small.size == domain.SIZE and domain.shared_features("cpu", 224).backbone is small.backbone  # one trunk
    seen = []
    hook = small.backbone.register_forward_pre_hook(lambda _, args: seen.append(args[0].shape))
    try:
        small([np.zeros((300, 200, 3), np.uint8)])
    finally:
        hook.remove()
    assert seen[0][-2:] == (128, 128)  # the trunk sees the bank's size (no upsampling to its native 224)
    if has_card("multilabel", "domain"):  # the labels tab lends its 224-px pass
        with pytest.raises(ValueError, match="224 px"):
            domain.DomainScorer("multilabel", features=small)


def _verdicts(task: str, pattern: str) -> list[bool]:
    """Inside-the-domain verdicts of the tab's own examples matching `pattern`, as its predictor scores them."""
    from demos.common import get_predictor

    predictor = get_predictor(task)
    files = sorted((Path(__file__).parents[1] / "demos" / "examples" / task).glob(pattern))
    assert files, pattern
    if task == "smile":
        return [predictor.predict(str(f)).domain_check.inside for f in files]
    if task == "video":  # a clip's first and eighth frames as interpolation anchors
        from vtl_models.video.predictor import read_clip

        clips = [read_clip(f) for f in files]
        return [predictor.complete([c[0], c[7]], [0, 7], 8, samples=1).domain.inside for c in clips]
    return [predictor.predict(str(f)).domain.inside for f in files]


@pytest.mark.parametrize(
    "task, generated, real",
    [("smile", "[pc][ha]*_[0-9].png", "real_*.jpg"), ("shape3d", "0[0-9]_*.png", ""), ("reid", "indoor_*", "vtest_*")]
    + [("video", "shapes_*.gif", "tree.gif")],
)
def test_the_tabs_own_generated_examples_are_inside_and_real_ones_outside(task, generated, real):
    if not has_card(task, "domain"):
        pytest.skip(f"no {task} domain check committed")
    inside = _verdicts(task, generated)
    assert sum(inside) >= len(inside) - 1, inside  # one may fall in the ~1% the quantile flags by design
    if real:
        assert not any(_verdicts(task, real))
