"""Exact rasteriser: thick anti-aliased lines (``pen_width``) at any output size."""

import numpy as np
import pytest

from mnist_handwriting.render.exact import draw_batch, draw_trajectory


def test_one_pixel_pen_on_a_pixel_edge_splits_the_ink():
    # y = 0.5 on a 10x10 grid is the edge between rows 4 and 5: each gets half the ink.
    points = np.array([[0.15, 0.5, 0.0], [0.85, 0.5, 1.0]])
    image = draw_trajectory(points, 10, pen_width=1.0)
    np.testing.assert_allclose(image[4, 2:8], 0.5)
    np.testing.assert_allclose(image[5, 2:8], 0.5)
    assert image[[0, 1, 2, 3, 6, 7, 8, 9]].sum() == 0


def test_pen_width_on_pixel_centres_by_hand():
    points = np.array([[2.5 / 8, 3.5 / 8, 0.0], [5.5 / 8, 3.5 / 8, 1.0]])   # row 3, columns 2..5
    image = draw_trajectory(points, 8, pen_width=2.0)
    np.testing.assert_allclose(image[3, 2:6], 1.0)
    np.testing.assert_allclose(image[[2, 4], 2:6], 0.5)                   # 1 px away: 1 + 0.5 - 1
    assert image[3, 1] == pytest.approx(0.5) and image[3, 6] == pytest.approx(0.5)   # round caps
    assert image[1].sum() == 0 and image[5].sum() == 0


def test_ink_scales_with_output_size():
    points = np.array([[0.2, 0.3, 0.0], [0.7, 0.65, 1.0]])
    length = np.linalg.norm(points[1, :2] - points[0, :2])
    for size, width in [(28, 1.0), (112, 4.0), (280, 3.0)]:
        ink = draw_trajectory(points, size, pen_width=width).sum()
        # Area of a stroke: length x width plus two half-disc caps, up to sampling error.
        assert ink == pytest.approx(length * size * width + np.pi * width ** 2 / 4, rel=0.02)


def test_pen_up_segments_are_not_drawn_and_dots_are():
    points = np.array([[2.5 / 28, 2.5 / 28, 1.0], [25.5 / 28, 25.5 / 28, 1.0]])   # two lone dots
    image = draw_trajectory(points, 28, pen_width=2.0)
    assert image[2, 2] == pytest.approx(1.0) and image[25, 25] == pytest.approx(1.0)
    assert image.sum() == pytest.approx(2 * (1 + 4 * 0.5 + 4 * (1.5 - np.sqrt(2))))
    assert image[14, 14] == 0


def test_batch_and_default_behaviour_unchanged():
    points = np.random.default_rng(0).random((3, 5, 3))
    thick = draw_batch(points, 20, pen_width=1.5)
    assert thick.shape == (3, 20, 20) and thick.dtype == np.float32 and 0 <= thick.min() and thick.max() <= 1
    np.testing.assert_array_equal(draw_batch(points, 20), draw_batch(points, 20, pen_width=None))
    with pytest.raises(ValueError, match="pen_width"):
        draw_trajectory(points[0], 20, pen_width=0.0)


@pytest.mark.parametrize("pen_width", [None, 1.0])
def test_non_finite_points_are_refused(pen_width):
    # NaN was cast to a huge pixel index and failed deep inside skimage.draw.line.
    with pytest.raises(ValueError, match="finite"):
        draw_trajectory(np.array([[np.nan, 0.5, 0.0], [0.5, 0.5, 1.0]]), pen_width=pen_width)
