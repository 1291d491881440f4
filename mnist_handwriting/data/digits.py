"""``DigitSet``: thinned 28x28 images, labels and variable-length pen trajectories in one record."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..strokes import resample


@dataclass(frozen=True)
class DigitSet:
    """N digits; trajectory ``i`` is ``points[offsets[i]:offsets[i + 1]]`` (see :mod:`mnist_handwriting.strokes`).

    images: (N, 28, 28) uint8, thinned, drawn pixels = 255
    labels: (N,) int64
    points: (M, 3) float32, all trajectories concatenated
    offsets: (N + 1,) int64, offsets[0] = 0, offsets[-1] = M
    writers: (N,) int64 writer ids where known (pendigits), else None
    """

    images: np.ndarray
    labels: np.ndarray
    points: np.ndarray
    offsets: np.ndarray
    writers: np.ndarray | None = None

    def __post_init__(self):
        n = len(self.labels)
        if self.images.shape != (n, 28, 28) or self.offsets.shape != (n + 1,):
            raise ValueError(f"inconsistent DigitSet: images {self.images.shape}, labels {self.labels.shape}, "
                             f"offsets {self.offsets.shape}")
        if self.points.ndim != 2 or self.points.shape[1] != 3 or self.offsets[-1] != len(self.points):
            raise ValueError(f"inconsistent DigitSet: points {self.points.shape}, offsets end {self.offsets[-1]}")
        if self.writers is not None and self.writers.shape != (n,):
            raise ValueError(f"inconsistent DigitSet: writers {self.writers.shape}, expected ({n},)")

    def __len__(self) -> int:
        return len(self.labels)

    def trajectory(self, index: int) -> np.ndarray:
        """Trajectory ``(T_i, 3)`` of digit ``index`` (a view, do not modify)."""
        index = range(len(self))[index]
        return self.points[self.offsets[index]:self.offsets[index + 1]]

    def lengths(self) -> np.ndarray:
        """Number of points of each trajectory ``(N,)``."""
        return np.diff(self.offsets)

    def subset(self, indices) -> "DigitSet":
        """The digits selected by ``indices``: a slice, an int array or a bool mask of length N."""
        chosen = np.arange(len(self))[indices]
        starts, ends = self.offsets[chosen], self.offsets[chosen + 1]
        counts = ends - starts
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        # Index of every kept point, without a Python loop: each run starts at its digit's start.
        rows = np.repeat(starts - offsets[:-1], counts) + np.arange(offsets[-1])
        return DigitSet(images=self.images[chosen], labels=self.labels[chosen], points=self.points[rows],
                        offsets=offsets, writers=None if self.writers is None else self.writers[chosen])

    def resampled(self, count: int) -> np.ndarray:
        """All trajectories resampled by arc length to ``(N, count, 3)`` float32 (pen lifts kept)."""
        out = np.empty((len(self), count, 3), np.float32)
        for i in range(len(self)):
            out[i] = resample(self.trajectory(i), count)
        return out
