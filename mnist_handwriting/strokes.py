"""THE coordinate convention of the project, and trajectory helpers.

A trajectory is an array ``points: (T, 3)`` (a batch: ``(N, T, 3)``) of float32 rows
``x, y, pen_up``:

- ``x`` grows to the right and ``y`` grows downwards, origin at the top-left corner of
  the 28x28 MNIST image, and ``1.0 = 28 px`` (the image spans [0, 1] on both axes).
  Pixel (column c, row r) covers [c/28, (c+1)/28] x [r/28, (r+1)/28]; its centre is
  ``((c + 0.5) / 28, (r + 0.5) / 28)``.
- ``pen_up = 1`` means the pen is lifted *after* this point: no line joins it to the
  next point. The last point of a trajectory always has ``pen_up = 1``, so the number
  of strokes is ``points[:, 2].sum()``.

This is the layout of the handwritten-MNIST data published with the founding note
(20 points per digit) and of its 32 human samples. Every format conversion lives
next to its inverse (``split_strokes``/``join_strokes``, ``to_offsets``/``from_offsets`` for
sketch-rnn's stroke-3, ``to_stroke5``/``from_stroke5`` for its stroke-5).
"""

from __future__ import annotations

import numpy as np

PIXELS = 28
"""Side of the MNIST image in pixels; the unit square spans this many pixels."""


def pixel_centres(cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Unit-square coordinates ``(K, 2)`` of the centres of pixels at integer ``cols``, ``rows``."""
    return (np.stack([cols, rows], axis=-1).astype(np.float32) + 0.5) / PIXELS


def stroke_bounds(points: np.ndarray) -> list[tuple[int, int]]:
    """The rows ``(start, stop)`` of each pen-down stroke of ``points: (T, 3)``, in order (the last stroke ends
    with the trajectory whether or not its pen is lifted)."""
    points = np.asarray(points)
    ends = np.flatnonzero(points[:, 2] > 0.5) + 1
    if len(ends) == 0 or ends[-1] != len(points):
        ends = np.append(ends, len(points))
    starts = np.concatenate([[0], ends[:-1]])
    return [(int(s), int(e)) for s, e in zip(starts, ends) if e > s]


def split_strokes(points: np.ndarray) -> list[np.ndarray]:
    """Split ``points: (T, 3)`` into pen-down strokes, each ``(k, 2)`` with k >= 1."""
    points = np.asarray(points)
    return [points[s:e, :2].copy() for s, e in stroke_bounds(points)]


def join_strokes(strokes: list[np.ndarray]) -> np.ndarray:
    """Inverse of :func:`split_strokes`: strokes ``(k, 2)`` to ``points: (T, 3)``."""
    parts = []
    for stroke in strokes:
        stroke = np.asarray(stroke, dtype=np.float32).reshape(-1, 2)
        pen = np.zeros((len(stroke), 1), np.float32)
        pen[-1] = 1.0
        parts.append(np.concatenate([stroke, pen], axis=1))
    if not parts:
        return np.zeros((0, 3), np.float32)
    return np.concatenate(parts).astype(np.float32)


def stroke_lengths(strokes: list[np.ndarray]) -> np.ndarray:
    """Arc length of each stroke (in the strokes' own units)."""
    return np.array([np.linalg.norm(np.diff(s, axis=0), axis=1).sum() if len(s) > 1 else 0.0 for s in strokes])


def _resample_polyline(stroke: np.ndarray, count: int) -> np.ndarray:
    """``count`` points evenly spaced by arc length along ``stroke: (k, 2)``, ends included."""
    if count == 1:
        return stroke[:1].copy()
    steps = np.linalg.norm(np.diff(stroke, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    if along[-1] <= 0:
        return np.repeat(stroke[:1], count, axis=0)
    targets = np.linspace(0.0, along[-1], count)
    return np.stack([np.interp(targets, along, stroke[:, d]) for d in range(2)], axis=1)


def _allocate(lengths: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` points over strokes: two per stroke (one if ``total`` is short), rest by length."""
    base = 2 if total >= 2 * len(lengths) else 1
    counts = np.full(len(lengths), base)
    spare = total - counts.sum()
    if spare > 0:
        share = lengths / lengths.sum() * spare if lengths.sum() > 0 else np.full(len(lengths), spare / len(lengths))
        extra = np.floor(share).astype(int)
        order = np.argsort(-(share - extra), kind="stable")
        extra[order[: spare - extra.sum()]] += 1
        counts += extra
    return counts


def resample(points: np.ndarray, count: int) -> np.ndarray:
    """Resample a trajectory to exactly ``count`` points by arc length, keeping its pen lifts.

    Each stroke keeps its two end points (a one-point stroke, a dot, repeats its point) and
    the remaining points go to strokes in proportion to their length. If there are more
    strokes than ``count`` allows, the shortest strokes are dropped first.
    """
    if count < 1:
        raise ValueError("count must be >= 1")
    strokes = split_strokes(points)
    if not strokes:
        raise ValueError("cannot resample an empty trajectory")
    lengths = stroke_lengths(strokes)
    if len(strokes) > count:
        keep = np.sort(np.argsort(-lengths, kind="stable")[:count])
        strokes, lengths = [strokes[i] for i in keep], lengths[keep]
    counts = _allocate(lengths, count)
    return join_strokes([_resample_polyline(s, c) for s, c in zip(strokes, counts)])


def to_offsets(points: np.ndarray) -> np.ndarray:
    """Absolute ``points: (..., T, 3)`` to stroke-3 offsets ``(..., T, 3)``: (dx, dy, pen_up), first row from the origin."""
    points = np.asarray(points, dtype=np.float32)
    offsets = points.copy()
    offsets[..., 1:, :2] = points[..., 1:, :2] - points[..., :-1, :2]
    return offsets


def from_offsets(offsets: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_offsets`."""
    points = np.asarray(offsets, dtype=np.float32).copy()
    points[..., :2] = np.cumsum(points[..., :2], axis=-2)
    return points


def to_stroke5(offsets: np.ndarray) -> np.ndarray:
    """Stroke-3 ``offsets: (..., T, 3)`` to sketch-rnn's stroke-5 ``(..., T, 5)``: dx, dy, p1, p2, p3.

    Ha and Eck (2017), magenta's ``utils.to_big_strokes``: ``p1 = 1`` the pen stays down to
    the next point, ``p2 = 1`` it is lifted after this point (our ``pen_up``), ``p3 = 1`` the
    sketch has ended, which only the padding rows after the last point say.
    """
    offsets = np.asarray(offsets, dtype=np.float32)
    pen = offsets[..., 2:3]
    return np.concatenate([offsets[..., :2], 1 - pen, pen, np.zeros_like(pen)], axis=-1)


def from_stroke5(rows: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_stroke5` for one sequence ``rows: (L, 5)``: the stroke-3 ``(T, 3)`` before the first ``p3 = 1``."""
    rows = np.asarray(rows, dtype=np.float32)
    ended = np.flatnonzero(rows[:, 4] > 0.5)
    rows = rows[: ended[0] if len(ended) else len(rows)]
    return np.concatenate([rows[:, :2], rows[:, 3:4]], axis=1)


def stroke_count(points: np.ndarray) -> np.ndarray:
    """Number of strokes of ``points: (..., T, 3)`` (pen lifts, the final one included)."""
    pen = np.asarray(points)[..., 2] > 0.5
    if pen.shape[-1]:   # an empty trajectory has no strokes
        pen[..., -1] = True
    return pen.sum(axis=-1)
