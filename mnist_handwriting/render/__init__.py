"""Line rasterisers: points in, images out (see :mod:`mnist_handwriting.render.base`).

``make_rasteriser(name, size, **options)`` builds one by name; ``RASTERISERS`` lists them.
"""

from __future__ import annotations

from .base import COMPOSITING, Rasteriser, composite
from .distance_field import DistanceFieldRasteriser
from .learned_line import LearnedLineRasteriser
from .soft_lines import SoftLineRasteriser

RASTERISERS: dict[str, type] = {
    "soft-line": SoftLineRasteriser,
    "learned-line": LearnedLineRasteriser,
    "distance-field": DistanceFieldRasteriser,
}
"""Rasteriser classes by the name used in configs and on the command line."""


def make_rasteriser(name: str, size: int = 28, **options) -> Rasteriser:
    """Build the rasteriser called ``name`` for a ``size`` x ``size`` grid."""
    try:
        cls = RASTERISERS[name]
    except KeyError:
        raise ValueError(f"unknown rasteriser {name!r}; expected one of {sorted(RASTERISERS)}") from None
    return cls(size=size, **options)


__all__ = ["COMPOSITING", "RASTERISERS", "DistanceFieldRasteriser", "LearnedLineRasteriser", "Rasteriser",
           "SoftLineRasteriser", "composite", "make_rasteriser"]
