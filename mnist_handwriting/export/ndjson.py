"""Quick, Draw!-style ndjson: one JSON object per line and digit, in the 0..255 frame.

Each line is ``{"word": "7", "countrycode": "ZZ", "recognized": true, "key_id": "00000",
"drawing": [[[x0, x1, ...], [y0, y1, ...]], ...]}``, the layout of the "simplified"
Quick, Draw! files: one ``[xs, ys]`` pair of integer lists per pen-down stroke, so pen
lifts are the stroke boundaries. ``countrycode`` is ``ZZ`` (ISO 3166 "unknown"), ``key_id``
the digit's position in the input file. Quantised to the 255 frame (:mod:`.common`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..paths import atomic_write, require_file
from ..strokes import join_strokes, split_strokes
from .common import check_input, from_frame, stack_drawings, to_frame

SUFFIX = ".ndjson"
FOLDER = False


def to_record(points: np.ndarray, label: int, index: int) -> dict:
    """One trajectory ``points: (T, 3)`` to a Quick, Draw! record."""
    drawing = [to_frame(stroke).T.tolist() for stroke in split_strokes(points)]
    return {"word": str(int(label)), "countrycode": "ZZ", "recognized": True, "key_id": f"{index:05d}",
            "drawing": drawing}


def from_record(record: dict) -> tuple[np.ndarray, int]:
    """Inverse of :func:`to_record`: ``points: (T, 3)`` float32 and the label."""
    strokes = [from_frame(np.array(xy, dtype=np.int64).reshape(2, -1).T) for xy in record["drawing"]]
    return join_strokes(strokes), int(record["word"])


def write(points: np.ndarray, labels: np.ndarray, out: str | os.PathLike, **_) -> Path:
    """Write ``points: (N, T, 3)``, ``labels: (N,)`` as ndjson, atomically."""
    points, labels = check_input(points, labels, str(out))
    with atomic_write(out) as temp, open(temp, "w", encoding="utf-8") as handle:
        for index, (drawing, label) in enumerate(zip(points, labels)):
            handle.write(json.dumps(to_record(drawing, label, index), separators=(",", ":")) + "\n")
    return Path(out)


def read(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read an ndjson file written by :func:`write`; returns ``points: (N, T, 3)``, ``labels: (N,)``."""
    path = require_file(path, "ndjson file", "give the file written by the ndjson exporter")
    fix = "give the file written by the ndjson exporter"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise UserError(f"{path}: not UTF-8 text ({error})", fix) from None
    drawings, labels = [], []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            points, label = from_record(json.loads(line))
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as error:
            raise UserError(f"{path}:{number}: not a Quick, Draw! record ({error})", fix) from None
        drawings.append(points)
        labels.append(label)
    return stack_drawings(drawings, labels, str(path))
