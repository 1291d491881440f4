"""The founding note's published layout: ``.npz`` with ``lines`` float32 ``(N, T, 3)`` and ``labels``.

The note's dataset stores 20 points per digit as x, y, pen_up in the unit square (our
convention, :mod:`mnist_handwriting.strokes`); T is kept as given. No pickles: it loads with
``np.load(path)`` and the default ``allow_pickle=False``. Lossless.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..formats import read_npz
from ..paths import save_npz
from .common import check_input

SUFFIX = ".npz"
FOLDER = False


def write(points: np.ndarray, labels: np.ndarray, out: str | os.PathLike, **_) -> Path:
    """Write ``points: (N, T, 3)``, ``labels: (N,)`` to ``out`` atomically."""
    points, labels = check_input(points, labels, str(out))
    save_npz(out, lines=points, labels=labels)
    return Path(out)


def read(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a file written by :func:`write`; returns ``points: (N, T, 3)``, ``labels: (N,)``."""
    data = read_npz(path, ("lines", "labels"), "lines file")
    return check_input(data["lines"], data["labels"], str(path))
