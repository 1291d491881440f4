"""The skeleton tracer on hand-drawn skeletons: a line, an L, a loop, two strokes, spurs."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.draw import circle_perimeter

from mnist_handwriting.errors import UserError
from mnist_handwriting.render.exact import draw_batch
from mnist_handwriting.strokes import PIXELS, split_strokes
from mnist_handwriting.trace import trace_batch, trace_pixels, trace_skeleton


def _pixels(points):
    """(row, col) of each traced point, and the stroke lengths."""
    strokes = split_strokes(points)
    cells = [tuple(int(v) for v in np.floor(p[::-1] * PIXELS)) for s in strokes for p in s]
    return cells, [len(s) for s in strokes]


def test_line_is_one_stroke_from_its_top_end():
    image = np.zeros((28, 28), np.uint8)
    image[4:20, 12] = 255
    cells, lengths = _pixels(trace_pixels(image))
    assert lengths == [16]
    assert cells == [(r, 12) for r in range(4, 20)]


def test_l_shape_starts_top_left_and_turns_once():
    image = np.zeros((28, 28), np.uint8)
    image[5, 3:10] = 255
    image[5:12, 9] = 255
    cells, lengths = _pixels(trace_pixels(image))
    assert lengths == [13]
    assert cells == [(5, c) for c in range(3, 10)] + [(r, 9) for r in range(6, 12)]


def test_loop_starts_at_its_top_left_pixel_and_is_one_stroke():
    image = np.zeros((28, 28), np.uint8)
    rows, cols = circle_perimeter(14, 14, 6)
    image[rows, cols] = 255
    points = trace_pixels(image)
    cells, lengths = _pixels(points)
    assert lengths == [int((image > 0).sum())]
    top_left = min(zip(rows, cols), key=lambda rc: (2 * rc[0] + rc[1], rc[0]))
    assert cells[0] == top_left
    assert len(set(cells)) == len(cells)


def test_two_components_give_two_strokes_jumping_to_the_nearest():
    image = np.zeros((28, 28), np.uint8)
    image[3, 2:8] = 255          # first stroke, top left
    image[10, 20:26] = 255       # far stroke
    image[6, 9:14] = 255         # near stroke: its left end (6, 9) is nearest to (3, 7)
    cells, lengths = _pixels(trace_pixels(image))
    assert lengths == [6, 5, 6]
    assert cells[0] == (3, 2) and cells[6] == (6, 9) and cells[11] == (10, 20)


def test_straightest_continuation_at_a_crossing():
    image = np.zeros((28, 28), np.uint8)
    image[10, 4:20] = 255        # horizontal bar
    image[3:18, 11] = 255        # vertical bar crossing it
    cells, lengths = _pixels(trace_pixels(image))
    # Starts at the top end of the vertical bar, goes straight through the crossing.
    assert cells[:15] == [(r, 11) for r in range(3, 18)]
    assert len(lengths) == 3     # then the two halves of the horizontal bar


def test_corner_pixels_next_to_the_path_are_not_extra_strokes():
    image = np.zeros((28, 28), np.uint8)
    image[5, 3:10] = 255
    image[6:12, 10] = 255
    image[6, 9] = 255            # a thick corner: (6, 9) sits next to the path
    cells, lengths = _pixels(trace_pixels(image))
    assert len(lengths) == 1
    assert sum(lengths) in (13, 14)


def test_trace_skeleton_resamples_and_covers_the_image():
    image = np.zeros((28, 28), np.uint8)
    image[5, 3:10] = 255
    image[5:12, 9] = 255
    points = trace_skeleton(image, count=20)
    assert points.shape == (20, 3) and points.dtype == np.float32
    assert points[-1, 2] == 1 and points[:-1, 2].sum() == 0
    drawn = draw_batch(points[None])[0] > 0
    np.testing.assert_array_equal(drawn, image > 0)


def test_empty_image_gives_a_centre_dot():
    points = trace_skeleton(np.zeros((28, 28), np.uint8), count=5)
    np.testing.assert_allclose(points[:, :2], 0.5)
    np.testing.assert_array_equal(points[:, 2], [0, 0, 0, 0, 1])


def test_batch_matches_single_and_checks_shape():
    images = np.zeros((2, 28, 28), np.uint8)
    images[0, 4:20, 12] = 255
    images[1, 8, 2:25] = 255
    batch = trace_batch(images, count=12)
    assert batch.shape == (2, 12, 3)
    np.testing.assert_array_equal(batch[1], trace_skeleton(images[1], 12))
    with pytest.raises(UserError, match=r"expected \(N, 28, 28\)"):
        trace_batch(np.zeros((2, 20, 20), np.uint8))


def test_loop_goes_anticlockwise_like_a_zero():
    image = np.zeros((28, 28), np.uint8)
    rows, cols = circle_perimeter(14, 14, 6)
    image[rows, cols] = 255
    cells, _ = _pixels(trace_pixels(image))
    # Anticlockwise on screen (y down): from the top-left the pen heads down the left side.
    (r0, c0), (r1, c1) = cells[0], cells[3]
    assert r1 > r0 and c1 <= c0


def test_a_nine_is_drawn_loop_first_not_from_its_tail():
    image = np.zeros((28, 28), np.uint8)
    rows, cols = circle_perimeter(9, 14, 4)
    image[rows, cols] = 255
    image[10:24, 18] = 255       # the stem, down from the loop's right side; its only end point is the bottom
    cells, lengths = _pixels(trace_pixels(image))
    assert len(lengths) == 1
    assert cells[0][0] < 14, "starts up in the loop"
    assert cells[-1] == (23, 18), "ends at the bottom of the stem"


def test_slanted_line_starts_at_its_top():
    image = np.zeros((28, 28), np.uint8)
    for k in range(12):
        image[5 + k, 17 - k] = 255   # "/": top-right to bottom-left
    cells, _ = _pixels(trace_pixels(image))
    assert cells[0] == (5, 17) and cells[-1] == (16, 6)


def test_fewer_than_two_points_is_a_user_error():
    """--points 0 or -1 used to end in a ValueError traceback, --points 1 in one-point 'trajectories'."""
    for count in (1, 0, -1):
        with pytest.raises(UserError, match="too few"):
            trace_batch(np.zeros((1, PIXELS, PIXELS), np.uint8), count)
