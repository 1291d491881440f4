"""DigitSet: trajectory access, subsets, resampling, consistency checks."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_handwriting.data.digits import DigitSet


def _three():
    points = np.array([[0.1, 0.1, 0], [0.2, 0.1, 1],                  # digit 0
                       [0.5, 0.5, 1],                                  # digit 1: a dot
                       [0.1, 0.9, 0], [0.9, 0.9, 1], [0.5, 0.1, 1]],   # digit 2: two strokes
                      np.float32)
    images = np.zeros((3, 28, 28), np.uint8)
    images[:, 0, 0] = [1, 2, 3]
    return DigitSet(images=images, labels=np.array([4, 5, 6]), points=points, offsets=np.array([0, 2, 3, 6]),
                    writers=np.array([7, 8, 9]))


def test_trajectory_and_len():
    digits = _three()
    assert len(digits) == 3 and digits.lengths().tolist() == [2, 1, 3]
    np.testing.assert_array_equal(digits.trajectory(1), [[0.5, 0.5, 1]])
    np.testing.assert_array_equal(digits.trajectory(-1), digits.points[3:])
    with pytest.raises(IndexError):
        digits.trajectory(3)


@pytest.mark.parametrize("indices", [np.array([2, 0]), np.array([True, False, True]), slice(None, None, -2)])
def test_subset_matches_trajectories(indices):
    digits = _three()
    chosen = np.arange(3)[indices]
    part = digits.subset(indices)
    assert part.labels.tolist() == (digits.labels[chosen]).tolist()
    assert part.writers.tolist() == (digits.writers[chosen]).tolist()
    assert part.images[:, 0, 0].tolist() == (digits.images[chosen, 0, 0]).tolist()
    for k, i in enumerate(chosen):
        np.testing.assert_array_equal(part.trajectory(k), digits.trajectory(i))


def test_empty_subset_and_resampled():
    digits = _three()
    assert len(digits.subset(np.array([], int))) == 0
    out = digits.resampled(4)
    assert out.shape == (3, 4, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, 0], [0.1, 0.1333333, 0.1666667, 0.2], atol=1e-6)
    assert out[2, :, 2].tolist() == [0, 1, 0, 1]   # two strokes of two points each


def test_inconsistent_arrays_are_rejected():
    digits = _three()
    with pytest.raises(ValueError, match="offsets end"):
        DigitSet(digits.images, digits.labels, digits.points[:5], digits.offsets)
    with pytest.raises(ValueError, match="writers"):
        DigitSet(digits.images, digits.labels, digits.points, digits.offsets, writers=np.zeros(2, np.int64))
