"""The soft line's peak intensity in closed form: is a segment drawn, without rendering it (issue 14).

``draw`` lifts the pen on a segment whose rendered peak ``max over pixels`` of
:func:`~.soft_lines.soft_line_segments` stays under a threshold. With the pixel index ``r``
(row) and ``c`` (column), softness ``s >= 0`` and ``sigmoid = σ``, the rasteriser's pixel is

    max(V[r, c], H[r, c]) * rows[r] * cols[c]
    V[r, c] = σ(s (y_c - r/S)) σ(s ((r+1)/S - y_c))         (y_c: the line's y at column c's centre)
    rows[r] = σ(s ((r+1)/S - low_y)) σ(s (high_y - r/S))     (cols[c] the same in x; H with x_r)

Each factor is ``σ(a) σ(b)`` with ``a + b`` fixed, which ``log σ`` (concave) makes largest at
``a = b`` and smaller the further ``a`` is from ``b``. So, in closed form,

    peak <= σ(s / 2S)² * max_r rows[r] * max_c cols[c],

the two maxima at the pixel nearest the bounding box's centre on each axis. Any pixel's own
value is a lower bound; the pixels nearest to where the line crosses the centre column(s)
and row(s) of the box reach the peak on 97% of real segments. A segment whose bounds lie on
one side of the threshold is decided; the few others (0.01-0.06% of the segments of the
shipped models on the 10,000 test digits) are rendered, so the decision is the rendered one.
"""

from __future__ import annotations

import torch

from .geometry import safe_slope, segment_ends

MARGIN = 1e-4
"""Relative distance from the threshold within which a bound decides nothing: float32 rounding
of the bounds and of the rendered pixels (a few 1e-7 relative, 6e-8 absolute) stays far below it."""


def _box(index: torch.Tensor, low: torch.Tensor, high: torch.Tensor, softness: torch.Tensor, size: int) -> torch.Tensor:
    """The rasteriser's soft bounding-rectangle factor of pixel ``index`` on one axis (same float ops)."""
    return torch.sigmoid(((index + 1) / size - low) * softness) * torch.sigmoid((high - index / size) * softness)


def _on_line(crossing: torch.Tensor, index: torch.Tensor, softness: torch.Tensor, size: int) -> torch.Tensor:
    """The rasteriser's soft "edge_index <= crossing < edge_index+1" (same float ops as ``_between_edges``)."""
    above = torch.sigmoid((crossing - index / size) * softness)
    return above * (1.0 - torch.sigmoid((crossing - (index + 1) / size) * softness))


def _nearest_two(position: torch.Tensor, size: int) -> torch.Tensor:
    """The two pixel indices ``(..., 2)`` whose centres bracket ``position`` (unit-square units), clamped to the grid."""
    below = (position * size - 0.5).floor()
    return torch.stack([below, below + 1], dim=-1).clamp(0, size - 1)


def peak_bounds(points: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``points: (B, T, 3)`` -> (lower, upper) ``(B, T - 1)`` bounds of each soft-line segment's rendered peak.

    ``lower`` is the value of a rendered pixel (up to float rounding); ``upper`` holds for
    ``s >= 0`` and finite points. Neither needs the ``(size, size)`` image.
    """
    starts, ends, softness = segment_ends(points)
    s = softness[..., None]
    x1, y1 = starts[..., 0:1], starts[..., 1:2]
    dx, dy = (ends - starts).unbind(-1)
    low, high = torch.minimum(starts, ends), torch.maximum(starts, ends)
    low_x, low_y, high_x, high_y = low[..., 0:1], low[..., 1:2], high[..., 0:1], high[..., 1:2]
    middle = (low + high) / 2
    columns = _nearest_two(middle[..., 0], size)                          # (B, K, 2)
    rows = _nearest_two(middle[..., 1], size)
    cols_mask = _box(columns, low_x, high_x, s, size)                     # cols[c] at the 2 centre columns
    rows_mask = _box(rows, low_y, high_y, s, size)
    upper = torch.sigmoid(softness * (0.5 / size)) ** 2 * rows_mask.amax(-1) * cols_mask.amax(-1)
    # V at the centre columns: the line's y there, and the two rows around it.
    column_y = ((columns + 0.5) / size - x1) * safe_slope(dy, dx)[..., None] + y1          # (B, K, 2)
    v_rows = _nearest_two(column_y, size)                                                   # (B, K, 2, 2)
    vertical = _on_line(column_y[..., None], v_rows, s[..., None], size) * (
        _box(v_rows, low_y[..., None], high_y[..., None], s[..., None], size) * cols_mask[..., None])
    # H at the centre rows: the line's x there, and the two columns around it.
    row_x = ((rows + 0.5) / size - y1) * safe_slope(dx, dy)[..., None] + x1
    h_cols = _nearest_two(row_x, size)
    horizontal = _on_line(row_x[..., None], h_cols, s[..., None], size) * (
        rows_mask[..., None] * _box(h_cols, low_x[..., None], high_x[..., None], s[..., None], size))
    lower = torch.maximum(vertical.amax(dim=(-2, -1)), horizontal.amax(dim=(-2, -1)))
    return lower, upper


def decided(points: torch.Tensor, size: int, threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``points: (B, T, 3)`` -> (drawn, undecided) ``(B, T - 1)`` bools for "rendered peak >= threshold".

    ``drawn`` is certain where ``undecided`` is False: a pixel reaches the threshold, or the
    closed-form bound stays under it (``s >= 0``, finite points). Undecided segments must be rendered.
    """
    lower, upper = peak_bounds(points, size)
    drawn = lower >= threshold * (1 + MARGIN)
    finite = torch.isfinite(points).all(-1)
    valid = finite[:, :-1] & finite[:, 1:] & (points[:, :-1, 2] >= 0)   # where the upper bound holds
    lifted = (upper < threshold * (1 - MARGIN)) & valid
    return drawn, ~(drawn | lifted)
