"""The soft line's closed-form peak bounds decide pen lifts exactly as rendering every segment does (issue 14)."""

import math

import numpy as np
import pytest
import torch

from mnist_handwriting.data.datasets import Locations, dataset_images
from mnist_handwriting.models.handwriting_lstm import PEN_DRAWN
from mnist_handwriting.models.registry import load_model
from mnist_handwriting.render import Rasteriser, SoftLineRasteriser
from mnist_handwriting.render.soft_line_peaks import decided, peak_bounds


def rendered_drawn(points, size=28):
    """The rendered decision: every segment drawn, its peak compared (the rule before issue 14)."""
    return Rasteriser.drawn(SoftLineRasteriser(size), points, PEN_DRAWN)


def random_segments(count, softness, seed=0, dtype=torch.float32):
    """``count`` trajectories of 8 points in the unit square, with some vertical, horizontal and zero-length segments."""
    generator = torch.Generator().manual_seed(seed)
    points = torch.rand(count, 8, 3, generator=generator, dtype=dtype)
    points[:, 2, 0] = points[:, 1, 0]                 # vertical
    points[:, 4, 1] = points[:, 3, 1]                 # horizontal
    points[:, 6, :2] = points[:, 5, :2]               # zero length
    points[..., 2] = softness[0] + (softness[1] - softness[0]) * points[..., 2]
    return points


def test_a_dot_on_a_pixel_centre_peaks_at_sigmoid_of_half_a_pixel_to_the_sixth():
    # A zero-length segment on a pixel centre: each of the three factors is sigmoid(s / 2S)^2 there,
    # so both bounds and the rendered peak are sigmoid(s / 56)^6, which reaches 0.05 at s = 56 logit(0.05^(1/6)).
    centre = 13.5 / 28
    crossing = 56 * math.log(0.05 ** (1 / 6) / (1 - 0.05 ** (1 / 6)))    # 24.34
    for softness in (0.0, 10.0, crossing - 0.1, crossing + 0.1, 100.0, 900.0):
        points = torch.tensor([[[centre, centre, softness], [centre, centre, 1.0]]], dtype=torch.float64)
        expected = (1 / (1 + math.exp(-softness / 56))) ** 6
        lower, upper = peak_bounds(points, 28)
        peak = SoftLineRasteriser().segments(points).amax()
        assert float(lower) == pytest.approx(expected, rel=1e-12) and float(upper) == pytest.approx(expected, rel=1e-12)
        assert float(peak) == pytest.approx(expected, rel=1e-12)
        assert bool(SoftLineRasteriser().drawn(points, PEN_DRAWN)[0, 0]) == (softness > crossing)


def test_no_softness_is_a_uniform_sixty_fourth_and_a_lifted_pen():
    points = torch.tensor([[[0.1, 0.2, 0.0], [0.8, 0.7, 0.0]]])
    lower, upper = peak_bounds(points, 28)
    assert float(lower) == float(upper) == 1 / 64
    drawn, undecided = decided(points, 28, PEN_DRAWN)
    assert not drawn.any() and not undecided.any()


@pytest.mark.parametrize("size", [5, 28])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_bounds_bracket_the_rendered_peak(size, dtype):
    points = random_segments(200, (0.0, 40.0 * size), seed=size, dtype=dtype)
    lower, upper = peak_bounds(points, size)
    peaks = SoftLineRasteriser(size).segments(points).amax(dim=(-2, -1))
    tolerance = 1e-6 if dtype == torch.float32 else 1e-12
    assert (lower <= peaks * (1 + tolerance)).all() and (upper >= peaks * (1 - tolerance)).all()
    assert (lower == peaks).float().mean() > 0.5     # a bracketing pixel is most often the peak itself


@pytest.mark.parametrize("softness", [(0.0, 5.0), (15.0, 60.0), (0.0, 1000.0)])
def test_drawn_equals_the_rendered_decision(softness):
    # Softness 15-60 puts most segments near the threshold, so many are rendered; the result is the same.
    points = random_segments(500, softness, seed=int(softness[1]))
    _, undecided = decided(points, 28, PEN_DRAWN)
    assert torch.equal(SoftLineRasteriser().drawn(points, PEN_DRAWN), rendered_drawn(points))
    if softness == (15.0, 60.0):
        assert undecided.any()


def test_negative_or_nan_softness_is_rendered_not_bounded():
    points = random_segments(50, (-30.0, 30.0), seed=3)
    points[0, 0, 0] = float("nan")
    _, undecided = decided(points, 28, PEN_DRAWN)
    assert undecided[points[:, :-1, 2] < 0].all() and undecided[0, 0]
    assert torch.equal(SoftLineRasteriser().drawn(points, PEN_DRAWN), rendered_drawn(points))


@pytest.mark.parametrize("name", ["human-best", "note-best"])
def test_real_drawings_decide_as_rendered(name, data_dir, cache_dir):
    """300 thinned test digits: every segment decided as rendering decides it (all 10,000: benchmarks/pen_lifts.py)."""
    images, labels = dataset_images("mnist-test", Locations(data_dir, cache_dir))
    model = load_model(name)
    with torch.inference_mode():
        raw = model(torch.from_numpy(images[:300]).float() / 255, torch.from_numpy(labels[:300]))
    assert torch.equal(model.rasteriser().drawn(raw, PEN_DRAWN), rendered_drawn(raw))
