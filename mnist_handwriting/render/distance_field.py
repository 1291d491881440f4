"""A soft rasteriser beyond the note: ink as a Gaussian of the distance to the segment.

Geometry, intensity and compositing are separate steps (as in dsketch,
jonhare/DifferentiableSketching): the squared distance ``d²`` from each pixel centre to each
segment (:func:`~.geometry.squared_distance_to_segments`), then
``ink = (1 - pen_up) * exp(-d² / (2 sigma²))``, then sum or max over segments.
Unlike the note's intersection masks, every pixel gets a gradient that points towards the
segment, however far it is; a zero-length segment is an exact Gaussian dot.
"""

from __future__ import annotations

import math

import torch

from .base import Rasteriser
from .geometry import check_points, segment_ends, squared_distance_to_segments

ONE_PIXEL_FWHM = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))
"""Sigma, in pixels, of the Gaussian whose full width at half maximum is one pixel: the
0.5 level set of a segment's ink is then a 1-pixel-wide line, like the exact rasteriser's."""


def distance_field_segments(points: torch.Tensor, size: int, sigma: float = ONE_PIXEL_FWHM) -> torch.Tensor:
    """``points: (B, T, 3)`` (x, y, pen_up) -> ``(B, T-1, size, size)``; ``sigma`` in pixels."""
    check_points(points)
    starts, ends, pen_up = segment_ends(points)
    distance2 = squared_distance_to_segments(starts, ends, size)
    sigma_unit = sigma / size
    return (1.0 - pen_up)[..., None, None] * torch.exp(-distance2 / (2.0 * sigma_unit ** 2))


class DistanceFieldRasteriser(Rasteriser):
    """Gaussian ink around each segment (see the module docstring).

    ``points[..., 2]`` is the pen-up value of the segment's first point, as in
    :mod:`mnist_handwriting.strokes`: the segment's ink is scaled by ``1 - pen_up`` (keep it
    in [0, 1]), so 1 draws nothing and a probability gives a proportional weight.
    ``sigma``: Gaussian width in pixels (default: full width at half maximum = 1 pixel).
    """

    def __init__(self, size: int = 28, sigma: float = ONE_PIXEL_FWHM):
        super().__init__(size)
        if not sigma > 0:
            raise ValueError(f"sigma must be > 0 pixels, got {sigma}")
        self.sigma = sigma

    def segments(self, points: torch.Tensor) -> torch.Tensor:
        """``points: (B, T, 3)`` -> ``segments: (B, T - 1, size, size)``."""
        return distance_field_segments(points, self.size, self.sigma)
