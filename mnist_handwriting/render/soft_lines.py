"""The founding note's differentiable line drawing ("Drawing lines - improvements").

For a segment p1 -> p2 with softness ``s >= 0`` (the third value of p1) on a size x size grid:

1. extend the segment to a line and intersect it with the vertical lines through the pixel
   centres (one y per column) and with the horizontal ones (one x per row);
2. a pixel is on the line if an intersection falls between its two edges: the soft version
   is ``soften(v - lower_edge) * soften(upper_edge - v)`` with ``soften(z) = sigmoid(z * s)``;
3. take the element-wise maximum of the vertical and the horizontal masks;
4. multiply by a soft mask of the pixels that overlap the segment's bounding rectangle.

All distances are in unit-square units, so a crisp 1-pixel line needs ``s`` of a few
hundred (``s = 20 * size`` puts sigmoid at 10 half a pixel away) and ``s -> 0`` draws a
uniform 1/64 (every sigmoid 1/2): that is how the note's model "lifts the pen".
A zero-length segment draws (softly) the pixel containing its point.
"""

from __future__ import annotations

import torch

from .base import Rasteriser
from .geometry import check_points, pixel_centres, pixel_edges, safe_slope, segment_ends
from .soft_line_peaks import decided

SEGMENT_CHUNK = 1024
"""Undecided segments :meth:`SoftLineRasteriser.drawn` renders at a time."""


def _between_edges(crossing: torch.Tensor, edges: torch.Tensor, softness: torch.Tensor) -> torch.Tensor:
    """Soft "edge_k <= crossing < edge_{k+1}" for each of the ``size`` pixels along one axis.

    ``crossing: (B, K, L)`` (one intersection per grid line), ``edges: (size + 1,)``,
    ``softness: (B, K)`` -> ``(B, K, size, L)``: [pixel index across the lines, line index].
    ``above[k] = sigmoid((crossing - edge_k) * s)``; the note's upper mask
    ``sigmoid((edge_k + 1/size - crossing) * s)`` is ``1 - above[k + 1]``, so one sigmoid
    over the size + 1 edges gives both (and the note's ``[:, :-1]`` crop).
    """
    above = torch.sigmoid((crossing[:, :, None, :] - edges[:, None]) * softness[..., None, None])
    return above[:, :, :-1] * (1.0 - above[:, :, 1:])


def soft_line_segments(points: torch.Tensor, size: int) -> torch.Tensor:
    """``points: (B, T, 3)`` (x, y, softness of the segment starting there) -> ``(B, T-1, size, size)``."""
    check_points(points)
    starts, ends, softness = segment_ends(points)
    centres = pixel_centres(size, points)
    edges = pixel_edges(size, points)
    x1, y1 = starts[..., 0:1], starts[..., 1:2]
    dx, dy = (ends - starts).unbind(-1)
    # y where the line crosses each column's centre line: (B, K, size) indexed by column.
    column_y = (centres - x1) * safe_slope(dy, dx)[..., None] + y1
    # x where it crosses each row's centre line: (B, K, size) indexed by row.
    row_x = (centres - y1) * safe_slope(dx, dy)[..., None] + x1
    vertical = _between_edges(column_y, edges, softness)                     # [row, column]
    horizontal = _between_edges(row_x, edges, softness).transpose(-1, -2)   # [row, column]
    on_line = torch.maximum(vertical, horizontal)
    # Bounding rectangle: pixels whose span overlaps [min, max] on both axes (the note's
    # mesh[1:, 1:] crop pairs each pixel's upper edge with the min and its lower edge with the max).
    low, high = torch.minimum(starts, ends), torch.maximum(starts, ends)
    s = softness[..., None]
    cols = torch.sigmoid((edges[1:] - low[..., 0:1]) * s) * torch.sigmoid((high[..., 0:1] - edges[:-1]) * s)
    rows = torch.sigmoid((edges[1:] - low[..., 1:2]) * s) * torch.sigmoid((high[..., 1:2] - edges[:-1]) * s)
    return on_line * (rows[..., :, None] * cols[..., None, :])


class SoftLineRasteriser(Rasteriser):
    """The note's soft analytic line rasteriser (see the module docstring).

    ``points[..., 2]`` is the softness ``s >= 0`` of the segment that *starts* at that point
    (segment p1 -> p2 uses p1's value, as in the note); the caller keeps it non-negative
    (the note's model emits ``exp(raw)``). Values are in [0, 1] per segment.
    """

    def segments(self, points: torch.Tensor) -> torch.Tensor:
        """``points: (B, T, 3)`` -> ``segments: (B, T - 1, size, size)``."""
        return soft_line_segments(points, self.size)

    def drawn(self, points: torch.Tensor, threshold: float) -> torch.Tensor:
        """``points: (B, T, 3)`` -> ``(B, T - 1)`` bool, the rendered decision of :class:`Rasteriser`, from the
        closed-form peak bounds (:mod:`.soft_line_peaks`); only segments they leave undecided are rendered."""
        check_points(points)
        drawn, undecided = decided(points, self.size, threshold)
        if undecided.any():
            batch, index = undecided.nonzero(as_tuple=True)
            pairs = torch.stack([points[batch, index], points[batch, index + 1]], dim=1)   # (n, 2, 3)
            drawn[batch, index] = ~(self.peaks(pairs, SEGMENT_CHUNK)[:, 0] < threshold)
        return drawn
