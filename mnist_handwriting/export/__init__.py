"""Export handwriting files to other formats, one module per format with a writer and a reader.

Every module has ``write(points, labels, out, *, split_names=None, progress=True) -> Path``
(atomic: nothing is left at ``out`` if it fails) and ``read(path) -> (points, labels)``, its
inverse, plus ``SUFFIX`` and ``FOLDER`` (whether ``out`` is a folder). Quantised formats
(``stroke3``, ``ndjson``: a 0..255 frame) round-trip to within ``0.5 / 255``; the others
exactly.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from ..errors import UserError

if TYPE_CHECKING:
    import numpy as np

FORMAT_NAMES = ("npz", "stroke3", "ndjson", "svg", "inkml", "parquet")
"""The formats, each the name of its module here (imported on first use, pyarrow only for parquet)."""


def format_module(format: str) -> ModuleType:
    """The module of ``format``; a UserError for unknown names."""
    if format not in FORMAT_NAMES:
        raise UserError(f"unknown export format {format!r}", f"use one of {', '.join(FORMAT_NAMES)}")
    return importlib.import_module(f"{__name__}.{format}")


def export(points: np.ndarray, labels: np.ndarray, format: str, out: str | os.PathLike, *, split_names=None,
           progress: bool = True) -> Path:
    """Write ``points: (N, T, 3)``, ``labels: (N,)`` to ``out`` in ``format``; returns the path written.

    ``split_names: (N,)`` of ``train``/``valid``/``test`` is used by the formats with splits
    (``stroke3``, ``parquet``); ``None`` means :func:`.common.default_splits`.
    """
    return format_module(format).write(points, labels, out, split_names=split_names, progress=progress)


def read_export(path: str | os.PathLike, format: str) -> tuple[np.ndarray, np.ndarray]:
    """Read an export back: ``points: (N, T, 3)`` float32, ``labels: (N,)`` int64, in input order."""
    return format_module(format).read(path)
