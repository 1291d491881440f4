"""Preview grids of a :class:`~.digits.DigitSet`: the thinned images under their trajectories.

The drawing itself is :mod:`mnist_handwriting.viz.grid`'s (colours by drawing order, start
ringed, pen-up jumps dashed); this module only picks digits and handles variable lengths.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from ..errors import UserError
from ..strokes import PIXELS
from .digits import DigitSet


def trajectory_grid(digits: DigitSet, indices, columns: int = 10, scale: int = 5) -> Image.Image:
    """An RGB grid of the digits at ``indices: (K,)``, ``columns`` per row, each cell ``28 * scale`` px.

    Each cell shows the digit's thinned image in light grey, its trajectory ``(T_i, 3)`` on top
    and its label in the corner.
    """
    from ..viz.grid import render_grid

    indices = np.asarray(indices, np.int64).ravel()
    return render_grid([digits.trajectory(i) for i in indices], digits.labels[indices], digits.images[indices],
                       columns, PIXELS * scale)


def per_class_indices(labels: np.ndarray, per_class: int, classes=range(10), seed: int = 0) -> np.ndarray:
    """``per_class`` random indices of each class in ``classes``, class by class: ``(len(classes) * per_class,)``."""
    rng = np.random.default_rng(seed)
    pools = [np.flatnonzero(labels == c) for c in classes]
    for c, pool in zip(classes, pools):
        if len(pool) < per_class:
            raise UserError(f"class {c} has {len(pool)} digits, fewer than the {per_class} per class asked for",
                            "ask for fewer digits per class")
    return np.concatenate([rng.choice(pool, per_class, replace=False) for pool in pools])
