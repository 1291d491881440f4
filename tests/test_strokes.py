import numpy as np
import pytest

from mnist_handwriting import strokes

TWO_STROKES = np.array([[0.1, 0.1, 0], [0.5, 0.1, 1], [0.2, 0.6, 0], [0.2, 0.8, 0], [0.2, 0.9, 1]], np.float32)


def test_pixel_centres_are_half_a_pixel_in():
    centres = strokes.pixel_centres(np.array([0, 27]), np.array([0, 13]))
    np.testing.assert_allclose(centres, [[0.5 / 28, 0.5 / 28], [27.5 / 28, 13.5 / 28]])


def test_split_and_join_are_inverse():
    parts = strokes.split_strokes(TWO_STROKES)
    assert [len(p) for p in parts] == [2, 3]
    np.testing.assert_array_equal(parts[0], TWO_STROKES[:2, :2])
    np.testing.assert_array_equal(strokes.join_strokes(parts), TWO_STROKES)


def test_split_closes_a_trailing_stroke_without_pen_up():
    open_end = TWO_STROKES.copy()
    open_end[-1, 2] = 0
    assert [len(p) for p in strokes.split_strokes(open_end)] == [2, 3]


def test_stroke_lengths_and_count():
    lengths = strokes.stroke_lengths(strokes.split_strokes(TWO_STROKES))
    np.testing.assert_allclose(lengths, [0.4, 0.3], atol=1e-6)
    assert strokes.stroke_count(TWO_STROKES) == 2
    assert strokes.stroke_count(np.stack([TWO_STROKES, TWO_STROKES])).tolist() == [2, 2]
    # an empty trajectory has no strokes (it raised IndexError)
    assert strokes.stroke_count(np.zeros((0, 3))) == 0 and strokes.stroke_count(np.zeros((2, 0, 3))).tolist() == [0, 0]


def test_resample_keeps_ends_pen_lifts_and_spacing():
    out = strokes.resample(TWO_STROKES, 9)
    assert out.shape == (9, 3)
    assert strokes.stroke_count(out) == 2
    first, second = strokes.split_strokes(out)
    # 9 points: 2 per stroke, the 5 spare ones split 0.4 : 0.3 by length -> 3 and 2 (largest remainder)
    assert (len(first), len(second)) == (5, 4)
    np.testing.assert_allclose(first[[0, -1]], [[0.1, 0.1], [0.5, 0.1]], atol=1e-6)
    np.testing.assert_allclose(np.diff(first[:, 0]), 0.1, atol=1e-6)
    np.testing.assert_allclose(second[[0, -1]], [[0.2, 0.6], [0.2, 0.9]], atol=1e-6)


def test_resample_drops_the_shortest_strokes_when_points_run_out():
    out = strokes.resample(TWO_STROKES, 1)
    np.testing.assert_allclose(out, [[0.1, 0.1, 1]])
    assert strokes.stroke_count(strokes.resample(TWO_STROKES, 2)) == 2


def test_resample_rejects_bad_counts_and_empty_input():
    with pytest.raises(ValueError, match="count"):
        strokes.resample(TWO_STROKES, 0)
    with pytest.raises(ValueError, match="empty"):
        strokes.resample(np.zeros((0, 3)), 5)


def test_offsets_round_trip():
    offsets = strokes.to_offsets(TWO_STROKES)
    np.testing.assert_allclose(offsets[1], [0.4, 0.0, 1])
    np.testing.assert_allclose(strokes.from_offsets(offsets), TWO_STROKES, atol=1e-6)


def test_offsets_of_a_batch_are_per_trajectory():
    batch = np.stack([TWO_STROKES, TWO_STROKES[::-1]])
    offsets = strokes.to_offsets(batch)
    np.testing.assert_allclose(offsets[1], strokes.to_offsets(TWO_STROKES[::-1]))
    np.testing.assert_allclose(strokes.from_offsets(offsets), batch, atol=1e-6)


def test_stroke5_by_hand_and_back():
    offsets = np.array([[0.1, 0.2, 0.0], [0.3, -0.1, 1.0]], np.float32)
    rows = strokes.to_stroke5(offsets)
    np.testing.assert_allclose(rows, [[0.1, 0.2, 1, 0, 0], [0.3, -0.1, 0, 1, 0]])
    padded = np.concatenate([rows, [[0, 0, 0, 0, 1], [0, 0, 0, 0, 1]]])   # end-of-sketch rows are dropped
    np.testing.assert_allclose(strokes.from_stroke5(padded), offsets)
    np.testing.assert_allclose(strokes.from_stroke5(rows), offsets)


def test_stroke_bounds_are_the_rows_of_each_stroke_the_last_ending_with_the_trajectory():
    points = np.array([[0, 0, 0], [1, 0, 1], [2, 0, 1], [3, 0, 0], [4, 0, 0]], np.float32)
    assert strokes.stroke_bounds(points) == [(0, 2), (2, 3), (3, 5)]
    assert [len(s) for s in strokes.split_strokes(points)] == [2, 1, 2]
