"""Trajectory grids: colours by order, pen-up jumps, images underneath, labels, errors."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_handwriting.errors import UserError
from mnist_handwriting.viz.grid import RAMP, UNDER_GREY, order_colour, pick, trajectory_grid

LINE = np.array([[0.1, 0.5, 0], [0.5, 0.5, 0], [0.9, 0.5, 1]], np.float32)
"""A horizontal stroke in two segments: the first gets the ramp's start colour, the second its middle."""


def close(pixel, colour, tolerance=12):
    return np.abs(np.array(pixel[:3], int) - np.array(colour, int)).max() <= tolerance


def test_order_colour_runs_along_the_ramp():
    assert order_colour(0) == tuple(RAMP[0])
    assert order_colour(1) == tuple(RAMP[-1])
    assert order_colour(0.125) == tuple(int(round(c)) for c in (RAMP[0] + RAMP[1]) / 2)
    assert order_colour(-3) == order_colour(0) and order_colour(7) == order_colour(1)


def test_grid_size_and_segment_colours_follow_drawing_order():
    grid = trajectory_grid(np.stack([LINE] * 12), columns=5, cell=40)
    assert grid.size == (200, 120)
    image = trajectory_grid(LINE[None], cell=84)
    assert image.size == (84, 84)
    assert close(image.getpixel((25, 42)), order_colour(0.0))
    assert close(image.getpixel((67, 42)), order_colour(0.5))
    assert image.getpixel((42, 10)) == (255, 255, 255)


def test_pen_up_jump_is_faint_grey_not_ink():
    jump = np.array([[0.2, 0.2, 1], [0.8, 0.8, 1]], np.float32)
    image = np.asarray(trajectory_grid(jump[None], cell=84)).astype(int)
    middle = image[38:47, 38:47]
    assert (middle.min(axis=2) > 150).all()  # light
    assert (middle.max(axis=2) - middle.min(axis=2) < 8).all()  # grey, no hue
    assert close(image[int(0.8 * 84), int(0.8 * 84)], order_colour(1.0), tolerance=25)  # the second dot, last colour


def test_image_underneath_is_light_grey_and_labels_go_in_the_corner():
    blank = np.zeros((1, 28, 28), np.uint8)
    full = np.full((1, 28, 28), 255, np.uint8)
    with_image = trajectory_grid(LINE[None], images=full, cell=84)
    without = trajectory_grid(LINE[None], images=blank, cell=84)
    assert with_image.getpixel((42, 75)) == (UNDER_GREY,) * 3
    assert without.getpixel((42, 75)) == (255, 255, 255)
    corner = lambda im: np.asarray(im)[:16, :16].astype(int)  # noqa: E731
    assert corner(without).min() == 255
    labelled = corner(trajectory_grid(LINE[None], labels=[7], cell=84))
    assert labelled.min() < 100 and (labelled[..., 0] - labelled[..., 2]).max() < 30  # dark, not red
    wrong = corner(trajectory_grid(LINE[None], labels=[7], predicted_labels=[1], cell=84))
    assert ((wrong[..., 0] > 150) & (wrong[..., 1] < 80)).any()  # red text for a wrong prediction


@pytest.mark.parametrize("kwargs, message", [
    ({"points": np.zeros((0, 3, 3), np.float32)}, "no trajectories"),
    ({"points": np.full((1, 3, 3), np.nan, np.float32)}, "NaN"),
    ({"points": LINE[None], "images": np.zeros((2, 28, 28), np.uint8)}, "2 images for 1 trajectories"),
    ({"points": LINE[None], "labels": [11]}, "outside 0..9"),
    ({"points": LINE[None], "columns": 0}, "too small"),
])
def test_bad_input_is_a_user_error(kwargs, message):
    with pytest.raises(UserError, match=message):
        trajectory_grid(**kwargs)


def test_pick_first_or_seeded_sample():
    np.testing.assert_array_equal(pick(10, 3), [0, 1, 2])
    assert len(pick(5, 100)) == 5
    sample = pick(1000, 20, seed=3)
    assert len(set(sample.tolist())) == 20 and (np.diff(sample) > 0).all()
    np.testing.assert_array_equal(sample, pick(1000, 20, seed=3))
    assert not np.array_equal(sample, pick(1000, 20, seed=4))
