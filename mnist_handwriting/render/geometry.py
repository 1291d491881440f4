"""Geometry shared by the differentiable rasterisers: the pixel grid, segment ends, distances.

Coordinates follow :mod:`mnist_handwriting.strokes`: the unit square is the image, x right,
y down; on a ``size`` grid pixel (row r, column c) covers [c/size, (c+1)/size] x
[r/size, (r+1)/size].
"""

from __future__ import annotations

import torch


def check_points(points: torch.Tensor) -> None:
    """Raise ``ValueError`` unless ``points`` is a floating ``(B, T >= 2, 3)`` tensor."""
    if points.ndim != 3 or points.shape[-1] != 3 or points.shape[1] < 2:
        raise ValueError(f"points must have shape (B, T >= 2, 3), got {tuple(points.shape)}")
    if not points.is_floating_point():
        raise ValueError(f"points must be a floating-point tensor, got {points.dtype}")


SLOPE_EPS = 1e-6
"""Smallest |run| divided by when the soft line (:mod:`.soft_lines`) meets the grid lines. The note adds 1e-8 to the
direction, which is infinite for a run of exactly -1e-8; we clamp the magnitude and keep the
sign, so a vertical segment's column intersections land ~1e6 units away (the sigmoids
saturate to exactly 0 with a zero, not NaN, gradient) and the other family of grid lines
draws it."""


def safe_slope(rise: torch.Tensor, run: torch.Tensor) -> torch.Tensor:
    """``rise / run`` with ``|run|`` clamped to at least :data:`SLOPE_EPS` (sign kept, 0 -> +)."""
    floor = torch.full_like(run, SLOPE_EPS)
    run = torch.where(run.abs() >= SLOPE_EPS, run, torch.where(run < 0, -floor, floor))
    return rise / run


def pixel_edges(size: int, like: torch.Tensor) -> torch.Tensor:
    """The ``size + 1`` pixel boundaries ``(size + 1,)`` = 0, 1/size, ..., 1 (dtype/device of ``like``)."""
    return torch.arange(size + 1, dtype=like.dtype, device=like.device) / size


def pixel_centres(size: int, like: torch.Tensor) -> torch.Tensor:
    """The ``size`` pixel-centre coordinates ``(size,)`` = (k + 0.5) / size."""
    return (torch.arange(size, dtype=like.dtype, device=like.device) + 0.5) / size


def segment_ends(points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Split ``points: (B, T, 3)`` into starts ``(B, T-1, 2)``, ends ``(B, T-1, 2)`` and the
    third column of each segment's *first* point ``(B, T-1)`` (the note's convention)."""
    return points[:, :-1, :2], points[:, 1:, :2], points[:, :-1, 2]


def squared_distance_to_segments(starts: torch.Tensor, ends: torch.Tensor, size: int) -> torch.Tensor:
    """Squared distance from every pixel centre to every segment.

    ``starts, ends: (B, K, 2)`` -> ``(B, K, size, size)`` indexed [row, column], in unit-square
    units squared. A zero-length segment is its start point: the projection parameter is
    ``dot / max(length², eps / size²)`` (``eps`` of the dtype), exactly 0 there, with
    finite gradients.
    """
    centres = pixel_centres(size, starts)
    direction = ends - starts
    length2 = (direction ** 2).sum(-1)
    safe_length2 = length2.clamp_min(torch.finfo(starts.dtype).eps / size ** 2)
    # Offsets of pixel centres from the start, separable in x (columns) and y (rows).
    off_x = centres.view(1, 1, 1, size) - starts[..., 0, None, None]
    off_y = centres.view(1, 1, size, 1) - starts[..., 1, None, None]
    dx = direction[..., 0, None, None]
    dy = direction[..., 1, None, None]
    along = ((off_x * dx + off_y * dy) / safe_length2[..., None, None]).clamp(0.0, 1.0)
    return (off_x - along * dx) ** 2 + (off_y - along * dy) ** 2
