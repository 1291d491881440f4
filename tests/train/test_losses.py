"""Loss terms on hand-computed trajectories."""

import pytest
import torch

from mnist_handwriting.train.losses import angle_loss, distance_loss, human_loss, reconstruction_loss


def points(*xy):
    return torch.tensor([[[x, y, 0.5] for x, y in xy]])


def test_distance_loss_is_the_mean_segment_length():
    assert float(distance_loss(points((0, 0), (0.3, 0.4), (0.3, 0.9)))) == pytest.approx(0.5)


@pytest.mark.parametrize("trajectory, expected", [
    (((0, 0), (0.1, 0.1), (0.3, 0.3)), 0.0),          # straight on
    (((0, 0), (0.2, 0), (0.2, 0.4)), 1.0),            # right angle: cos 0
    (((0, 0), (0.2, 0), (0.1, 0)), 2.0),              # reversal: cos -1
    (((0, 0), (0.2, 0), (0.4, 0), (0.4, 0.2)), 0.5),  # cosines 1 and 0
])
def test_angle_loss_is_one_minus_mean_cosine(trajectory, expected):
    assert float(angle_loss(points(*trajectory))) == pytest.approx(expected, abs=1e-4)


def test_reconstruction_loss_is_pixel_mse():
    rendered, target = torch.zeros(2, 28, 28), torch.zeros(2, 28, 28)
    target[0, 3, 4] = 1.0
    rendered[1, 0, 0] = 0.5
    assert float(reconstruction_loss(rendered, target)) == pytest.approx((1 + 0.25) / (2 * 784))


def test_human_loss_ignores_the_third_column():
    raw = torch.tensor([[[0.1, 0.2, 5.0], [0.5, 0.5, 0.0]]])
    target = torch.tensor([[[0.1, 0.4, 1.0], [0.5, 0.5, 1.0]]])
    assert float(human_loss(raw, target)) == pytest.approx(0.04 / 4)
