"""Exact (non-differentiable) rasteriser: 1-pixel lines between consecutive pen-down points.

Used for evaluation, exports, pictures, the human-data renders and as ground truth in
the tests of the soft rasterisers. NumPy + scikit-image; any output size. With
``pen_width`` lines are drawn thick and anti-aliased from the exact distance of each pixel
centre to the segments (torch, see :mod:`.geometry`).
"""

from __future__ import annotations

import numpy as np
from skimage.draw import line, line_aa

from ..strokes import PIXELS
from .geometry import squared_distance_to_segments


def pixel_coords(xy: np.ndarray, size: int) -> np.ndarray:
    """Unit-square points ``(K, 2)`` to integer (col, row) pixel indices, clipped into the grid."""
    return np.clip(np.floor(xy * size), 0, size - 1).astype(np.int64)


def _thick(points: np.ndarray, size: int, pen_width: float) -> np.ndarray:
    """Anti-aliased lines ``pen_width`` pixels wide: ink = clip(width/2 + 1/2 - distance, 0, 1)
    (a box filter's coverage across the pen's edge), the maximum over segments and dots."""
    import torch

    joined = points[:-1, 2] <= 0.5
    starts = np.concatenate([points[:-1][joined, :2], points[:, :2]])
    ends = np.concatenate([points[1:][joined, :2], points[:, :2]])   # every point is also a dot
    distance2 = squared_distance_to_segments(torch.from_numpy(starts)[None], torch.from_numpy(ends)[None], size)
    distance = distance2[0].amin(0).sqrt().numpy() * size
    return np.clip(pen_width / 2 + 0.5 - distance, 0.0, 1.0).astype(np.float32)


def draw_trajectory(points: np.ndarray, size: int = PIXELS, antialias: bool = False,
                    pen_width: float | None = None) -> np.ndarray:
    """Draw one trajectory ``points: (T, 3)`` as ``(size, size)`` float32 ink in [0, 1].

    Segments join consecutive points unless the first has ``pen_up = 1``; an isolated
    pen-down point (a dot) marks its own pixel. ``antialias`` uses Xiaolin Wu lines.
    ``pen_width`` (in output pixels, > 0) draws anti-aliased lines of that width instead.
    """
    points = np.asarray(points, dtype=np.float64)
    image = np.zeros((size, size), np.float32)
    if len(points) == 0:
        return image
    if not np.all(np.isfinite(points)):   # NaN would become a garbage pixel index
        raise ValueError("points must be finite to be drawn")
    if pen_width is not None:
        if not pen_width > 0:
            raise ValueError(f"pen_width must be > 0 pixels, got {pen_width}")
        return _thick(points, size, pen_width)
    pixels = pixel_coords(points[:, :2], size)
    if antialias:
        ends = points[:, :2] * size - 0.5
    for i in range(len(points)):
        joined = i + 1 < len(points) and points[i, 2] <= 0.5
        if joined and antialias:
            rows, cols, value = line_aa(*np.round(ends[i, ::-1]).astype(int), *np.round(ends[i + 1, ::-1]).astype(int))
            keep = (rows >= 0) & (rows < size) & (cols >= 0) & (cols < size)
            np.maximum.at(image, (rows[keep], cols[keep]), value[keep].astype(np.float32))
        elif joined:
            rows, cols = line(pixels[i, 1], pixels[i, 0], pixels[i + 1, 1], pixels[i + 1, 0])
            image[rows, cols] = 1.0
        else:
            image[pixels[i, 1], pixels[i, 0]] = 1.0
    return image


def draw_batch(points: np.ndarray, size: int = PIXELS, antialias: bool = False,
               pen_width: float | None = None) -> np.ndarray:
    """Draw ``points: (N, T, 3)`` (or a list of ``(T_i, 3)``) as ``(N, size, size)`` float32."""
    return np.stack([draw_trajectory(p, size, antialias, pen_width) for p in points]) if len(points) else \
        np.zeros((0, size, size), np.float32)
