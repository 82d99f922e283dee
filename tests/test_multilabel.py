"""Labels + attention: tiny-config shapes, order-free target selection, the scene generator, metrics."""

import numpy as np
import pytest
import torch

from vtl_models.multilabel.decode import beam_search
from vtl_models.multilabel.metrics import multilabel_metrics, pointing_hits
from vtl_models.multilabel.model import CNNBCE, MultilabelConfig, OrderFreeRNN, select_targets
from vtl_models.multilabel.render import render_scene
from vtl_models.multilabel.scenes import MAX_LABELS, SIZE
from vtl_models.multilabel.vocab import IMPLIES, INDEX, LABELS, MIN_MASK_PIXELS, NUM_LABELS

TINY = MultilabelConfig(num_labels=5, in_channels=(8, 12), feat_dim=16, embed_dim=8, hidden_dim=16, attn_dim=8)


def _maps(batch: int):
    return torch.randn(batch, 8, 6, 6), torch.randn(batch, 12, 3, 3)


def test_tiny_config_shapes():
    torch.manual_seed(0)
    f16, f32 = _maps(4)
    targets = torch.tensor([[1, 0, 1, 0, 0], [0, 0, 0, 0, 1], [1, 1, 1, 1, 0], [0, 1, 0, 0, 0]], dtype=torch.float32)
    rnn = OrderFreeRNN(TINY)
    loss, ctx_loss, p0 = rnn(f16, f32, targets)
    assert loss.ndim == 0 and ctx_loss.ndim == 0 and torch.isfinite(loss + ctx_loss) and p0.shape == (4, 5)
    ctx_loss.backward()  # the context loss alone trains the attention (and the label embedding that steers it)
    assert rnn.att_w.weight.grad.abs().sum() > 0 and rnn.att_e.weight.grad.abs().sum() > 0
    assert rnn.grid.proj[0].weight.grad.abs().sum() > 0 and rnn.out.weight.grad is None
    fixed_loss, fixed_ctx, _ = OrderFreeRNN(TINY)(f16, f32, targets, order=torch.arange(5))
    assert torch.isfinite(fixed_loss + fixed_ctx)
    v, keys, _, state = rnn.begin(f16, f32)
    logits, alpha, ctx, (h, c) = rnn.step(v, keys, state, torch.full((4,), rnn.start), torch.zeros(4, 5, dtype=bool))
    assert logits.shape == (4, 6) and alpha.shape == (4, 36) and ctx.shape == (4, 16) and h.shape == (4, 16)
    logits, cam = CNNBCE(TINY)(f16, f32)
    assert logits.shape == (4, 5) and cam.shape == (4, 5, 36)


def test_beam_search_emits_distinct_labels_with_attention():
    torch.manual_seed(1)
    rnn = OrderFreeRNN(TINY).eval()
    f16, f32 = _maps(3)
    for beam in (1, 3):
        out = beam_search(rnn, f16, f32, beam=beam)
        assert len(out.order) == 3 and out.scores.shape == (3, 5)
        for ids, probs, att in zip(out.order, out.probs, out.attention, strict=True):
            assert len(ids) == len(set(ids)) <= TINY.max_steps - 1
            assert all(0 < p <= 1 for p in probs)
            assert att.shape == (len(ids), 36) and np.allclose(att.sum(1), 1.0, atol=1e-5)


def test_order_free_target_selection_hand_made():
    scores = torch.tensor(
        [
            [0.1, 2.0, 0.5, 3.0],  # best true label not yet emitted: 1 (3 scores higher but is not a candidate)
            [0.9, -1.0, 0.0, 0.2],  # no candidate left -> END (= 4)
            [-2.0, -3.0, -1.0, -5.0],  # only candidates 0 and 3: 0 scores higher
        ]
    )
    candidates = torch.tensor([[1, 1, 1, 0], [0, 0, 0, 0], [1, 0, 0, 1]], dtype=torch.bool)
    assert select_targets(scores, candidates).tolist() == [1, 4, 0]
    # Fixed order (the CNN-RNN baseline): the earliest candidate in the order wins, whatever the scores.
    order = torch.tensor([2, 3, 0, 1])
    assert select_targets(scores, candidates, order).tolist() == [2, 4, 3]


def test_order_free_training_follows_the_models_own_scores():
    torch.manual_seed(2)
    rnn = OrderFreeRNN(TINY).eval()
    f16, f32 = _maps(1)
    targets = torch.tensor([[1, 0, 1, 1, 0]], dtype=torch.float32)
    with torch.no_grad():
        v, keys, _, state = rnn.begin(f16, f32)
        start = torch.full((1,), rnn.start, dtype=torch.long)
        logits, _, _, _ = rnn.step(v, keys, state, start, torch.zeros(1, 5, dtype=torch.bool))
    first = select_targets(logits[:, :5], targets > 0)
    assert first.item() == max((0, 2, 3), key=lambda k: logits[0, k].item())


def test_generator_is_deterministic():
    a, b, c = render_scene(123), render_scene(123), render_scene(124)
    assert a.image.shape == (SIZE, SIZE, 3) and a.image.dtype == np.uint8 and SIZE >= 128
    assert np.array_equal(a.image, b.image) and np.array_equal(a.labels, b.labels)
    assert np.array_equal(a.masks, b.masks)
    assert not np.array_equal(a.image, c.image)


def test_masks_agree_with_labels_and_co_occurrence_rules():
    counts = np.zeros(NUM_LABELS)
    for seed in range(60):
        scene = render_scene(seed)
        present = scene.labels > 0
        areas = scene.masks.reshape(NUM_LABELS, -1).sum(1)
        assert np.array_equal(present, areas >= MIN_MASK_PIXELS), seed
        assert not scene.masks[~present].any()
        assert 1 <= present.sum() <= MAX_LABELS, seed
        names = {LABELS[k] for k in np.nonzero(present)[0]}
        for label, implied in IMPLIES.items():
            if label in names:
                assert set(implied) <= names, (seed, label, names)
        assert not ({"snow", "beach"} <= names) and not ({"lake", "ocean"} <= names), (seed, names)
        counts += present
    assert len(LABELS) >= 16 and (counts > 0).sum() >= 14  # the vocabulary is used, not just declared
    sunset = next(s for s in map(render_scene, range(100)) if s.labels[INDEX["sunset"]])
    sky_sun = sunset.masks[INDEX["sky"]] | sunset.masks[INDEX["sun"]] | sunset.masks[INDEX["clouds"]]
    assert np.array_equal(sunset.masks[INDEX["sunset"]], sky_sun)


def test_metrics_on_a_hand_made_case():
    truth = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    pred = np.array([[1, 0, 0], [0, 1, 1], [1, 1, 0]])
    scores = np.array([[0.9, 0.1, 0.4], [0.2, 0.8, 0.6], [0.7, 0.9, 0.1]])
    m = multilabel_metrics(truth, pred, scores)
    assert m["OP"] == pytest.approx(4 / 5) and m["OR"] == pytest.approx(4 / 5)
    assert m["CP"] == pytest.approx((1 + 1 + 0) / 3, abs=1e-4) and m["CR"] == pytest.approx((1 + 1 + 0) / 3, abs=1e-4)
    mask = np.zeros((128, 128), bool)
    mask[10:20, 100:110] = True
    att = np.zeros((14, 14))
    att[1, 11] = 1.0
    assert pointing_hits(att, mask)
    assert not pointing_hits(np.flipud(np.fliplr(att)), mask)
