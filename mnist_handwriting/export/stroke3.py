"""sketch-rnn stroke-3: ``.npz`` with ``train``/``valid``/``test`` object arrays of int16 ``(n, 3)``.

This is the layout of the Quick, Draw! sketch-rnn files, read by magenta's
``sketch_rnn_train.load_dataset`` with ``np.load(path, encoding='latin1', allow_pickle=True)``:
each key holds a 1-D object array (a pickle inside the npz, hence ``allow_pickle=True``) of
per-drawing int16 arrays of rows ``dx, dy, pen_lifted``, which its ``DataLoader`` iterates.

- Coordinates are in the 0..255 frame (:mod:`.common`): absolute points are rounded first,
  then differenced, so rounding errors never accumulate (bound ``0.5 / 255`` per point).
- The first row is the start point's offset from the frame origin (0, 0), as magenta's
  ``lines_to_strokes`` writes it; each later row moves from the previous point.
- ``pen_lifted = 1`` means the pen is lifted after this point: the same meaning as our
  ``pen_up`` (magenta's ``utils.py``: "1 if the pen is lifted between this position and the
  next"), so the flags are copied unchanged.

Extra keys ``train_labels``/``train_index`` (and for valid, test) hold the int64 labels and
positions in the input file; sketch-rnn ignores them, :func:`read` uses them to restore the
input order. The validation split is :func:`.common.default_splits` unless one is given.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..formats import read_npz
from ..paths import save_npz
from .common import SPLITS, check_input, check_splits, from_frame, stack_drawings, to_frame

SUFFIX = ".npz"
FOLDER = False


def to_stroke3(points: np.ndarray) -> np.ndarray:
    """One trajectory ``points: (T, 3)`` to stroke-3 int16 ``(T, 3)`` in the 255 frame."""
    xy = to_frame(points[:, :2])
    rows = np.empty((len(points), 3), np.int16)
    rows[:, :2] = np.diff(xy, axis=0, prepend=0)
    rows[:, 2] = points[:, 2]
    return rows


def from_stroke3(rows: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_stroke3`: ``(T, 3)`` offsets to float32 unit-square points."""
    rows = np.asarray(rows)
    points = np.empty((len(rows), 3), np.float32)
    points[:, :2] = from_frame(np.cumsum(rows[:, :2].astype(np.int64), axis=0))
    points[:, 2] = rows[:, 2]
    return points


def object_array(items: list[np.ndarray]) -> np.ndarray:
    # np.array(list) would stack equal-length drawings into one 3-D array; sketch-rnn's
    # files (and its length filter) expect a 1-D array of separate drawings.
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


def split_arrays(drawings: list[np.ndarray], names: np.ndarray, **columns: np.ndarray) -> dict[str, np.ndarray]:
    """sketch-rnn's arrays: per split the object array of the stroke-3 ``drawings: [(T, 3)]`` whose
    ``names`` is that split, and ``{split}_{column}`` holding each of ``columns`` for them."""
    arrays = {}
    for split in SPLITS:
        index = np.flatnonzero(names == split)
        arrays[split] = object_array([to_stroke3(drawings[i]) for i in index])
        for column, values in columns.items():
            arrays[f"{split}_{column}"] = np.asarray(values)[index]
    return arrays


def read_splits(path: str | os.PathLike, columns: dict[str, str], what: str, fix: str) -> dict[str, np.ndarray]:
    """The arrays of :func:`split_arrays` from the file at ``path`` (a ``what``), checked; a UserError with ``fix``.

    ``columns``: the name of each column -> the NumPy dtype kinds it may have (``"iu"``: integers).
    """
    keys = tuple(k for s in SPLITS for k in (s, *(f"{s}_{c}" for c in columns)))
    data = read_npz(path, keys, what, fix, objects=True)
    for split in SPLITS:
        drawings = data[split]
        if drawings.ndim != 1 or not all(isinstance(d, np.ndarray) and d.ndim == 2 and len(d) and d.shape[1] == 3
                                         and d.dtype.kind in "iu" and np.isin(d[:, 2], (0, 1)).all() for d in drawings):
            raise UserError(f"{path}: {split} does not hold stroke-3 drawings (integer rows dx, dy, pen 0/1)", fix)
        for column, kinds in columns.items():
            values = data[f"{split}_{column}"]
            if values.shape != drawings.shape or values.dtype.kind not in kinds:
                raise UserError(f"{path}: {split}_{column} has shape {values.shape} and dtype {values.dtype}, expected "
                                f"{len(drawings)} values of kind {kinds}", fix)
    return data


def write(points: np.ndarray, labels: np.ndarray, out: str | os.PathLike, *, split_names=None, **_) -> Path:
    """Write ``points: (N, T, 3)``, ``labels: (N,)`` as a sketch-rnn npz, atomically."""
    points, labels = check_input(points, labels, str(out))
    names = check_splits(split_names, len(points))
    save_npz(out, **split_arrays(list(points), names, labels=labels, index=np.arange(len(points), dtype=np.int64)))
    return Path(out)


def read(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a file written by :func:`write` back in input order: ``points: (N, T, 3)``, ``labels: (N,)``."""
    data = read_splits(path, {"labels": "iu", "index": "iu"}, "stroke-3 file", "give the .npz written by the stroke3 exporter")
    drawings = [d for s in SPLITS for d in data[s]]
    index = np.concatenate([data[f"{s}_index"] for s in SPLITS]).astype(np.int64)
    labels = np.concatenate([data[f"{s}_labels"] for s in SPLITS])
    if len(index) != len(drawings) or sorted(index.tolist()) != list(range(len(index))):
        raise UserError(f"{path}: the split indices are not a permutation of the drawings", "export it again")
    order = np.argsort(index)
    return stack_drawings([from_stroke3(drawings[i]) for i in order], labels[order].tolist(), str(path))
