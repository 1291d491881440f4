"""Helpers shared by the exporters: input checks, atomic folders, the 255 frame, splits.

Frames: our points live in the unit square (``1.0 = 28 px``, see
:mod:`mnist_handwriting.strokes`). The Quick, Draw! formats (ndjson, sketch-rnn stroke-3)
use integer coordinates in a 0..255 frame, so ``x_255 = round(255 * x)`` and a round trip
is exact to within half a step, ``0.5 / 255`` of the frame.

Splits: MNIST has no validation split. :func:`default_splits` carves one from the end of
the training digits: the last ``valid_fraction`` of them (rounded down to a multiple of
100, so sketch-rnn batches of 100 divide it), e.g. 55,000 train / 5,000 valid of the
60,000 MNIST training digits. A 70,000-digit file is taken to be ``convert --dataset
mnist-all`` output in MNIST order, whose last 10,000 digits are the test set.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import UserError
from ..formats import check_labels, check_points
from ..paths import current_umask, output_path

FRAME = 255
"""Side of the integer frame of the Quick, Draw! formats (coordinates 0..255)."""

SPLITS = ("train", "valid", "test")
MNIST_TRAIN = 60_000
MNIST_ALL = 70_000


def check_input(points: np.ndarray, labels: np.ndarray, source: str = "export") -> tuple[np.ndarray, np.ndarray]:
    """Validate ``points: (N, T, 3)`` and ``labels: (N,)`` as a handwriting file's contents.

    The last point's ``pen_up`` is set to 1, the convention of :mod:`mnist_handwriting.strokes`:
    the stroke-based formats (ndjson, SVG, InkML) can only store a lifted end, so every format
    then writes and reads back the same points.
    """
    points = check_points(points, source)   # a float32 copy, safe to modify
    points[:, -1, 2] = 1.0
    return points, check_labels(labels, len(points), source)


def to_frame(xy: np.ndarray) -> np.ndarray:
    """Unit-square coordinates to integers in the 0..255 frame."""
    return np.rint(np.asarray(xy, np.float64) * FRAME).astype(np.int64)


def from_frame(xy: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_frame` (to within ``0.5 / 255``)."""
    return (np.asarray(xy, np.float64) / FRAME).astype(np.float32)


def float_text(value: float) -> str:
    """Shortest decimal text that reads back as the same float32 (lossless text formats)."""
    return np.format_float_positional(np.float32(value), unique=True, trim="-")


def default_splits(count: int, valid_fraction: float = 1 / 12, test_start: int | None = None) -> np.ndarray:
    """Split name (``train``/``valid``/``test``) of each of ``count`` digits, see the module docstring.

    Digits from ``test_start`` on are test digits (default: 60,000 when ``count`` is 70,000,
    the MNIST order, else none); the last ``valid_fraction`` of the rest are validation digits.
    """
    if not 0 <= valid_fraction < 1:
        raise UserError(f"validation fraction {valid_fraction} is outside [0, 1)", "use e.g. a 'valid_fraction' of 0.0833",
                        "valid_fraction")
    if test_start is None:
        test_start = MNIST_TRAIN if count == MNIST_ALL else count
    if not 0 <= test_start <= count:
        raise UserError(f"test start {test_start} is outside 0..{count}", "give the index of the first test digit")
    valid = int(test_start * valid_fraction)
    if valid >= 100:
        valid -= valid % 100
    names = np.full(count, "train", dtype="<U5")
    names[test_start - valid:test_start] = "valid"
    names[test_start:] = "test"
    return names


def check_splits(split_names, count: int) -> np.ndarray:
    """Validate ``split_names: (N,)`` of ``train``/``valid``/``test`` (``None``: :func:`default_splits`)."""
    if split_names is None:
        return default_splits(count)
    names = np.asarray(split_names).astype(str)
    if names.shape != (count,):
        raise UserError(f"split names have shape {names.shape}, expected ({count},)", "give one split name per digit")
    unknown = sorted(set(names.tolist()) - set(SPLITS))
    if unknown:
        raise UserError(f"unknown split name {unknown[0]!r}", f"use {', '.join(SPLITS)}")
    return names


def numbered_name(index: int, label: int, count: int, suffix: str) -> str:
    """File name ``00000_7.svg`` of digit ``index`` (at least 5 digits, more for big sets)."""
    width = max(5, len(str(max(count - 1, 0))))
    return f"{index:0{width}d}_{label}{suffix}"


def numbered_files(folder: Path, suffix: str, what: str) -> list[tuple[Path, int]]:
    """The ``NNNNN_L.suffix`` files of ``folder`` in index order, with their labels from the name."""
    if not folder.is_dir():
        raise UserError(f"{what} folder not found: {folder}", "give the folder written by `export`")
    found = []
    for path in folder.glob(f"*{suffix}"):
        stem = path.name[: -len(suffix)]
        index, _, label = stem.partition("_")
        if not (index.isdigit() and label.isdigit() and len(label) == 1):
            raise UserError(f"{path}: name is not INDEX_LABEL{suffix}", "keep the file names written by `export`")
        found.append((int(index), path, int(label)))
    found.sort()
    if [i for i, _, _ in found] != list(range(len(found))):
        raise UserError(f"{folder}: the numbered {what} files have gaps", "export the folder again")
    return [(path, label) for _, path, label in found]


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder next to ``path``; rename it onto ``path`` only if the block succeeds.

    An existing non-empty ``path`` is refused (never deleted: it may be the user's folder).
    An exception or Ctrl-C inside the block removes the temporary folder.
    """
    path = output_path(path)
    if path.exists() and not (path.is_dir() and not any(path.iterdir())):
        raise UserError(f"output {path} already exists", "remove it or choose another 'out' (exports write a folder)",
                        "out")
    temp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    temp.chmod(0o777 & ~current_umask())  # mkdtemp makes it private; the result should look like any new folder
    try:
        yield temp
        if path.is_dir():
            path.rmdir()
        os.replace(temp, path)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def stack_drawings(drawings: list[np.ndarray], labels: list[int], source: str) -> tuple[np.ndarray, np.ndarray]:
    """Readers' last step: equal-length ``(T, 3)`` drawings to checked ``points: (N, T, 3)``, ``labels: (N,)``."""
    if len({len(d) for d in drawings}) > 1:
        raise UserError(f"{source}: drawings have different numbers of points",
                        "only exports of fixed-length trajectories can be read back into one array")
    points = np.stack(drawings) if drawings else np.zeros((0, 1, 3), np.float32)
    return check_input(points, np.array(labels, dtype=np.int64), source)
