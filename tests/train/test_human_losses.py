"""Supervised trajectory losses of issue 7: point, soft-DTW divergence, pen-up BCE."""

import numpy as np
import pytest
import torch

from mnist_handwriting.models.handwriting_lstm import PEN_DRAWN
from mnist_handwriting.render import make_rasteriser
from mnist_handwriting.train.losses import pen_errors, pen_logits, point_errors, soft_dtw, soft_dtw_divergences


def point_loss(raw, target):
    """The batch mean, as a plain paired step takes it."""
    return point_errors(raw, target).mean()


def soft_dtw_divergence(raw, target, gamma):
    return soft_dtw_divergences(raw, target, gamma).mean()


def pen_loss(segments, target):
    return pen_errors(segments, target).mean()


GAMMA = 1e-4


def curve(count):
    """A hook-shaped path ``(1, count, 3)`` at ``count`` distinct points, pen lifted after the last."""
    t = torch.linspace(0, 1, count, dtype=torch.float64)
    points = torch.stack([0.3 + 0.4 * t, 0.2 + 0.5 * torch.sin(2.5 * t), torch.zeros_like(t)], dim=-1)
    points[-1, 2] = 1
    return points[None]


def reference_soft_dtw(a, b, gamma):
    """The textbook double loop on squared Euclidean costs."""
    n, m = len(a), len(b)
    table = np.full((n + 1, m + 1), np.inf)
    table[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            before = np.array([table[i - 1, j - 1], table[i - 1, j], table[i, j - 1]])
            before = before[np.isfinite(before)]
            table[i, j] = ((a[i - 1] - b[j - 1]) ** 2).sum() - gamma * np.log(np.exp(-before / gamma).sum())
    return table[n, m]


def test_soft_dtw_matches_the_double_loop_for_unequal_lengths():
    generator = torch.Generator().manual_seed(0)
    a = torch.rand(3, 7, 2, generator=generator, dtype=torch.float64)
    b = torch.rand(3, 5, 2, generator=generator, dtype=torch.float64)
    for gamma in (0.1, 0.01):
        expected = [reference_soft_dtw(a[k].numpy(), b[k].numpy(), gamma) for k in range(3)]
        np.testing.assert_allclose(soft_dtw(a, b, gamma).numpy(), expected, rtol=1e-10)


def test_soft_dtw_tends_to_hard_dtw():
    a = torch.tensor([[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]], dtype=torch.float64)
    b = torch.tensor([[[0.0, 1.0], [2.0, 1.0]]], dtype=torch.float64)
    # Hard DTW by hand: (a0,b0)=1, then a1 to b0 or b1 costs 1 + 1 = 2, (a2,b1)=1: total 4.
    assert float(soft_dtw(a, b, 1e-4)) == pytest.approx(4.0, abs=1e-3)


def test_identical_sequences_give_zero():
    a = curve(20).float()
    assert float(point_loss(a, a)) == 0.0
    assert float(soft_dtw_divergence(a, a, GAMMA)) == pytest.approx(0.0, abs=1e-7)


def test_time_warped_copy_costs_nothing_to_dtw_but_the_point_loss_sees_it():
    path = curve(12)
    # Both visit the same 12 points in order with 20 samples, pausing at different places.
    slow_start = path[:, [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11, 11]]
    slow_end = path[:, [0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 8, 8, 8, 9, 9, 10, 10, 11, 11, 11]]
    points = float(point_loss(slow_start, slow_end))
    dtw = float(soft_dtw_divergence(slow_start, slow_end, GAMMA))
    assert points > 1e-3
    assert abs(dtw) < 0.01 * points   # soft minimum over warping paths: ~gamma * log(paths) / T


def test_reversed_sequence_gives_a_large_loss():
    path = curve(20)
    backwards = path.flip(1)
    warped = path[:, [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19]]
    assert float(soft_dtw_divergence(path, backwards, GAMMA)) > 100 * abs(float(soft_dtw_divergence(path, warped, GAMMA)))
    assert float(soft_dtw_divergence(path, backwards, GAMMA)) > 0.01   # ~ (3 px)^2 or more in unit-square units
    assert float(point_loss(path, backwards)) > 0.02


def test_gradients_are_finite_and_correct():
    generator = torch.Generator().manual_seed(1)
    a = torch.rand(2, 6, 3, generator=generator, dtype=torch.float64, requires_grad=True)
    b = torch.rand(2, 5, 3, generator=generator, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: soft_dtw(x[..., :2], b[..., :2], 0.05), (a,))
    same = curve(20).float().requires_grad_(True)
    (soft_dtw_divergence(same, same.detach(), GAMMA) + point_loss(same, same.detach())).backward()
    assert torch.isfinite(same.grad).all()


def pen_case():
    """Soft-line raw points: 6 points, segment 2 lifted (softness ~0), others crisp (softness 560)."""
    t = torch.linspace(0.2, 0.8, 6)
    raw = torch.stack([t, 0.5 + 0.1 * torch.sin(6 * t), torch.full_like(t, 560.0)], dim=-1)[None]
    raw[0, 2, 2] = 1e-3
    target = torch.zeros(1, 6, 3)
    target[0, 2, 2] = 1.0   # the human lifts the pen after point 2
    target[0, -1, 2] = 1.0
    return raw, target


def test_pen_logits_follow_the_drawing_rule():
    raw, target = pen_case()
    rasteriser = make_rasteriser("soft-line")
    segments = rasteriser.segments(raw)
    logits = pen_logits(segments)
    peaks = segments.amax(dim=(-2, -1))
    assert torch.equal(logits > 0, peaks >= PEN_DRAWN)
    assert (logits > 0).tolist() == [[True, True, False, True, True]]


def test_pen_loss_prefers_the_human_pen_lifts():
    raw, target = pen_case()
    rasteriser = make_rasteriser("soft-line")
    right = float(pen_loss(rasteriser.segments(raw), target))
    wrong_raw = raw.clone()
    wrong_raw[0, 2, 2], wrong_raw[0, 3, 2] = 560.0, 1e-3   # lifts after point 3 instead
    wrong = float(pen_loss(rasteriser.segments(wrong_raw), target))
    assert right < 0.1 < wrong
    softness = raw.clone().requires_grad_(True)
    pen_loss(rasteriser.segments(softness), target).backward()
    assert torch.isfinite(softness.grad).all()
