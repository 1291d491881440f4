"""Metrics on hand-made cases with known answers, DTW against a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_handwriting.eval import metrics
from mnist_handwriting.strokes import PIXELS, join_strokes


def _image(pixels):
    image = np.zeros((28, 28), np.uint8)
    for row, col in pixels:
        image[row, col] = 255
    return image


VERTICAL = [(r, 10) for r in range(5, 15)]


def test_pixel_scores_identical_and_shifted():
    line = _image(VERTICAL)
    shifted_one = _image([(r, 11) for r in range(5, 15)])
    shifted_two = _image([(r, 12) for r in range(5, 15)])
    precision, recall, f1 = metrics.pixel_scores(np.stack([line, shifted_one, shifted_two]), np.stack([line] * 3))
    np.testing.assert_allclose(precision, [1, 1, 0])
    np.testing.assert_allclose(recall, [1, 1, 0])
    np.testing.assert_allclose(f1, [1, 1, 0])
    _, _, strict = metrics.pixel_scores(shifted_one[None], line[None], tolerance=0)
    assert strict[0] == 0


def test_pixel_scores_partial_and_empty():
    target = _image(VERTICAL)
    half = _image(VERTICAL[:5] + [(20, 20), (20, 21), (20, 22), (20, 23), (20, 24)])
    precision, recall, f1 = metrics.pixel_scores(half[None], target[None])
    # 5 of 10 drawn pixels are on the line; the line's pixels within 1 px of them: rows 5..10 = 6.
    assert precision[0] == pytest.approx(0.5)
    assert recall[0] == pytest.approx(0.6)
    assert f1[0] == pytest.approx(2 * 0.5 * 0.6 / 1.1)
    empty = np.zeros((28, 28), np.uint8)
    precision, recall, f1 = metrics.pixel_scores(np.stack([empty, target, empty]), np.stack([target, empty, empty]))
    np.testing.assert_allclose(precision, [1, 0, 1])
    np.testing.assert_allclose(recall, [0, 1, 1])
    np.testing.assert_allclose(f1, [0, 0, 1])


def test_pixel_scores_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.pixel_scores(np.zeros((2, 28, 28)), np.zeros((3, 28, 28)))


def test_chamfer_known_values():
    line = _image(VERTICAL)
    shifted = _image([(r, 11) for r in range(5, 15)])
    dot = _image([(0, 0)])
    far = _image([(3, 4)])
    empty = np.zeros((28, 28), np.uint8)
    got = metrics.chamfer_distance(np.stack([line, shifted, dot, empty, empty]),
                                   np.stack([line, line, far, line, empty]))
    np.testing.assert_allclose(got, [0.0, 1.0, 5.0, metrics.EMPTY_CHAMFER, 0.0])


def test_chamfer_is_symmetric_and_asymmetric_parts_average():
    # Target: a dot; prediction: that dot plus one 3 px away. p->t: (0 + 3) / 2; t->p: 0.
    target = _image([(10, 10)])
    predicted = _image([(10, 10), (10, 13)])
    assert metrics.chamfer_distance(predicted[None], target[None])[0] == pytest.approx(0.75)
    assert metrics.chamfer_distance(target[None], predicted[None])[0] == pytest.approx(0.75)


def _brute_force_dtw(a, b):
    """Every monotone warping path, enumerated; returns (cost, length) of the cheapest."""
    n, m = len(a), len(b)
    cost = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
    best = (np.inf, 0)

    def walk(i, j, total, length):
        nonlocal best
        total += cost[i, j]
        length += 1
        if (i, j) == (n - 1, m - 1):
            if total < best[0]:
                best = (total, length)
            return
        for di, dj in ((1, 1), (1, 0), (0, 1)):
            if i + di < n and j + dj < m:
                walk(i + di, j + dj, total, length)

    walk(0, 0, 0.0, 0)
    return best


@pytest.mark.parametrize("n,m", [(1, 1), (1, 4), (3, 3), (4, 5), (6, 3)])
def test_dtw_matches_brute_force(n, m):
    rng = np.random.default_rng(n * 10 + m)
    a = rng.normal(size=(4, n, 2))
    b = rng.normal(size=(4, m, 2))
    total, cells = metrics.dtw_batch(a, b)
    for k in range(4):
        want_total, want_cells = _brute_force_dtw(a[k], b[k])
        assert total[k] == pytest.approx(want_total)
        assert cells[k] == want_cells


def _polyline(*xy):
    return join_strokes([np.array(xy, np.float32) / PIXELS])


def test_ldtw_identical_shifted_and_resampled():
    digit = _polyline((5, 5), (20, 5), (8, 22))
    assert metrics.ldtw(digit, digit) == pytest.approx(0.0, abs=1e-9)
    # A line shifted across itself by 2 px: every pair is at least 2 px apart, the diagonal path exactly 2.
    line = _polyline((10, 3), (10, 25))
    across = _polyline((12, 3), (12, 25))
    assert metrics.ldtw(line, across) == pytest.approx(2.0, abs=1e-5)
    # Shifted along part of its length, warping can absorb some of the shift, never add to it.
    shifted = digit.copy()
    shifted[:, 0] += 2 / PIXELS
    assert 0.5 < metrics.ldtw(digit, shifted) <= 2.0 + 1e-6
    # The same path with extra collinear points resamples to the same 32 points.
    dense = _polyline((5, 5), (12, 5), (20, 5), (14, 13.5), (8, 22))
    assert metrics.ldtw(digit, dense) == pytest.approx(0.0, abs=1e-5)


def test_ldtw_of_reversed_line_is_its_mean_mismatch():
    line = _polyline((0, 0), (10, 0))
    # Resampled to 2 points, the only path pairs (0,10) then (10,0): (10 + 10) / 2.
    assert metrics.ldtw(line, metrics.reverse(line), count=2) == pytest.approx(10.0, abs=1e-5)


def test_reverse_keeps_strokes_and_is_an_involution():
    two = join_strokes([np.array([[0.1, 0.1], [0.2, 0.1], [0.3, 0.1]]), np.array([[0.5, 0.5], [0.5, 0.7]])])
    backwards = metrics.reverse(two)
    np.testing.assert_allclose(backwards[:, :2], two[::-1, :2])
    np.testing.assert_array_equal(backwards[:, 2], [0, 1, 0, 0, 1])
    np.testing.assert_array_equal(metrics.reverse(backwards), two)


def test_start_error_direction_and_stroke_count():
    digit = _polyline((5, 5), (20, 5), (8, 22))
    assert metrics.start_error(digit, digit) == 0.0
    moved = digit.copy()
    moved[0, :2] += np.array([3, 4]) / PIXELS
    assert metrics.start_error(moved, digit) == pytest.approx(5.0, abs=1e-5)
    assert metrics.direction_agreement(digit, digit) is True
    assert metrics.direction_agreement(metrics.reverse(digit), digit) is False
    two = join_strokes([digit[:2, :2], digit[2:, :2]])
    assert metrics.stroke_count_error(two, digit) == 1
    assert metrics.stroke_count_error(digit, digit) == 0


def _at(*cells):
    """Points at pixel centres ``(col, row, pen_up)``."""
    return np.array([[(col + 0.5) / PIXELS, (row + 0.5) / PIXELS, pen] for col, row, pen in cells])


def test_overdraw_of_a_clean_line_a_retraced_line_and_two_strokes():
    assert metrics.overdraw(_at((5, 10, 0), (10, 10, 0), (15, 10, 1))) == 0.0          # 11 pixels, joint once
    assert metrics.overdraw(_at((5, 10, 0), (15, 10, 0), (5, 10, 1))) == pytest.approx(10 / 11)   # there and back
    assert metrics.overdraw(_at((5, 10, 0), (10, 10, 1), (5, 20, 0), (10, 20, 1))) == 0.0   # pen lifted between
    assert metrics.overdraw(_at((5, 10, 1), (9, 9, 1))) == 0.0                          # nothing drawn


def test_phantom_segments_are_the_drawn_segments_that_lie_off_the_input():
    image = np.zeros((28, 28), np.uint8)
    image[10, 5:16] = 255                                                       # a horizontal line, columns 5-15
    on_the_line = _at((5, 10, 0), (15, 10, 1))
    assert metrics.phantom_segments(on_the_line, image) == 0.0
    assert metrics.phantom_segments(_at((5, 11, 0), (15, 11, 1)), image) == 0.0   # 1 px off: within the tolerance
    assert metrics.phantom_segments(_at((5, 10, 0), (15, 10, 0), (15, 22, 1)), image) == 0.5   # then down, off the ink
    assert metrics.phantom_segments(_at((5, 10, 0), (15, 10, 1), (15, 22, 1)), image) == 0.0   # lifted: not drawn
    assert metrics.phantom_segments(_at((5, 20, 0), (15, 20, 1)), image / 255.0) == 1.0           # 0..1 images too


def test_axis_aligned_share_counts_long_segments_near_the_axes():
    path = _at((5, 5, 0), (15, 5, 0), (15, 15, 0), (25, 25, 0), (26, 25, 1))   # right, down, diagonal, 1 px
    assert metrics.axis_aligned_share(path) == pytest.approx(2 / 3)
    tilted = np.array([[0.1, 0.5, 0.0], [0.1 + 0.5 * np.cos(np.radians(4)), 0.5 + 0.5 * np.sin(np.radians(4)), 0.0],
                       [0.1 + 0.5 * np.cos(np.radians(4)) + 0.5 * np.cos(np.radians(6)), 0.5 + 0.5 * np.sin(np.radians(4))
                        + 0.5 * np.sin(np.radians(6)), 1.0]])
    assert metrics.axis_aligned_share(tilted) == 0.5                                    # 4 degrees in, 6 out
    assert metrics.axis_aligned_share(_at((5, 5, 1), (9, 9, 1))) == 0.0
