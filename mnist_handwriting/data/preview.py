"""Preview grids: thinned images upscaled, trajectories overlaid coloured by drawing order, starts marked."""

from __future__ import annotations

import colorsys

import numpy as np
from PIL import Image, ImageDraw

from ..strokes import PIXELS, split_strokes
from .digits import DigitSet


def _order_colour(fraction: float) -> tuple[int, int, int]:
    """Blue (start) through green to red (end)."""
    r, g, b = colorsys.hsv_to_rgb(0.66 * (1 - fraction), 0.9, 0.95)
    return int(r * 255), int(g * 255), int(b * 255)


def trajectory_grid(digits: DigitSet, indices, columns: int = 10, scale: int = 5) -> Image.Image:
    """An RGB grid of the digits at ``indices``, each ``28 * scale`` px: image in grey, trajectory in colour.

    Segments go from blue (first) to red (last); pen-up jumps are not drawn; a white ring marks the start.
    """
    indices = list(np.asarray(indices).ravel())
    rows = -(-len(indices) // columns)
    cell = PIXELS * scale
    canvas = Image.new("RGB", (columns * cell, rows * cell), (0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    for k, index in enumerate(indices):
        left, top = (k % columns) * cell, (k // columns) * cell
        grey = Image.fromarray((digits.images[index] * 0.35).astype(np.uint8)).resize((cell, cell), Image.NEAREST)
        canvas.paste(grey.convert("RGB"), (left, top))
        points = digits.trajectory(index)
        total = max(len(points) - 1, 1)
        done = 0
        for stroke in split_strokes(points):
            xy = stroke * cell + [left, top]
            for i in range(len(xy) - 1):
                draw.line([tuple(xy[i]), tuple(xy[i + 1])], fill=_order_colour((done + i) / total), width=2)
            if len(xy) == 1:
                draw.ellipse([*(xy[0] - 2), *(xy[0] + 2)], fill=_order_colour(done / total))
            done += len(xy)
        start = points[0, :2] * cell + [left, top]
        draw.ellipse([*(start - 4), *(start + 4)], outline=(255, 255, 255), width=1)
        draw.rectangle([left, top, left + cell - 1, top + cell - 1], outline=(60, 60, 60))
    return canvas


def per_class_indices(labels: np.ndarray, per_class: int, classes=range(10), seed: int = 0) -> np.ndarray:
    """``per_class`` random indices of each class in ``classes``, class by class (one row per class)."""
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in classes])
