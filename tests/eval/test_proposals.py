"""Best-of-K scores and the odds' calibration measures on hand-made proposals."""

import numpy as np
import pytest

from mnist_handwriting.eval.proposals import proposal_scores


def line(start, end, count=8):
    points = np.zeros((count, 3), np.float32)
    points[:, 0] = np.linspace(start[0], end[0], count)
    points[:, 1] = np.linspace(start[1], end[1], count)
    points[-1, 2] = 1
    return points


def test_the_closest_proposal_is_scored_and_the_odds_are_checked_against_it():
    human = [line((0.2, 0.2), (0.8, 0.2)), line((0.5, 0.1), (0.5, 0.9))]
    # Digit 0: proposal 1 is the writer's stroke, proposal 0 the same stroke backwards.
    # Digit 1: proposal 0 is the writer's, proposal 1 is far off.
    points = np.stack([np.stack([line((0.8, 0.2), (0.2, 0.2)), line((0.2, 0.2), (0.8, 0.2))]),
                       np.stack([line((0.5, 0.1), (0.5, 0.9)), line((0.1, 0.5), (0.9, 0.5))])])
    probabilities = np.array([[0.7, 0.3], [0.6, 0.4]])
    scores = proposal_scores(points, probabilities, human)
    np.testing.assert_allclose(scores["best_ldtw"], [0.0, 0.0], atol=1e-6)
    np.testing.assert_array_equal(scores["best_direction_agreement"], [1.0, 1.0])
    np.testing.assert_array_equal(scores["top1_closest"], [0.0, 1.0])
    np.testing.assert_allclose(scores["closest_probability"], [0.3, 0.6])


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="do not match"):
        proposal_scores(np.zeros((2, 3, 8, 3)), np.full((2, 2), 0.5), [line((0, 0), (1, 1))] * 2)


def test_calibration_error_against_a_hand_computed_case():
    from mnist_handwriting.eval.proposals import calibration_error

    # bin [0.6, 0.7): confidences 0.6, 0.6, right once -> |0.5 - 0.6| = 0.1 for 2 digits;
    # bin [0.9, 1.0]: confidence 1.0, right -> 0 for 1 digit; bin [0.3, 0.4): 0.3, wrong -> 0.3 for 1 digit.
    confidence = np.array([0.6, 0.6, 1.0, 0.3])
    correct = np.array([1.0, 0.0, 1.0, 0.0])
    assert calibration_error(confidence, correct) == pytest.approx((2 * 0.1 + 0 + 0.3) / 4)
    assert calibration_error(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == pytest.approx(0.0)
