"""The files of written numbers (:mod:`mnist_handwriting.write`): numbers files, stroke-3, SVG, JSON, GIF.

Numbers file (``.npz``, no pickles), for handwriting-synthesis training sets:
``points`` float32 ``(P, 3)`` (all writings concatenated, in the writing frame),
``offsets`` int64 ``(N + 1,)`` (writing ``i`` is ``points[offsets[i]:offsets[i + 1]]``),
``texts`` unicode ``(N,)`` and ``widths`` float32 ``(N,)`` (frame width in cells).
A name ending in ``.stroke3.npz`` gets sketch-rnn's layout instead (see
:mod:`mnist_handwriting.export.stroke3`: ``train``/``valid``/``test`` object arrays of int16
``dx, dy, pen_lifted`` rows, 255 units per digit cell), with ``{split}_texts`` beside them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..formats import read_npz
from ..paths import require_file, save_npz
from ..strokes import PIXELS
from ..write import MARGIN, Writing
from . import outputs
from .common import default_splits
from .stroke3 import from_stroke3, read_splits, split_arrays
from .svg import to_svg

CELL = 112
"""Pixels per digit cell of a written number's SVG and GIF."""
CONVENTION = ("x right, y down, 1.0 = 28 px (one digit cell); x in [0, width], y in [0, 1]; "
              "pen_up = 1: pen lifted after the point")


def save_numbers(path: str | os.PathLike, writings: list[Writing]) -> Path:
    """Write ``writings`` as a numbers file (module docstring), atomically."""
    if not writings:
        raise UserError("no writings to save", "write at least one number")
    lengths = [len(w.points) for w in writings]
    save_npz(path, points=np.concatenate([w.points for w in writings]).astype(np.float32),
             offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
             texts=np.array([w.text for w in writings], dtype=str),
             widths=np.array([w.width for w in writings], np.float32))
    return Path(path)


def load_numbers(path: str | os.PathLike) -> list[Writing]:
    """Read a numbers file written by :func:`save_numbers` (strict: layout and values are checked)."""
    fix = "write it again with `mnist-handwriting write`"
    points, offsets, texts, widths = read_npz(path, ("points", "offsets", "texts", "widths"), "numbers file", fix).values()
    count = len(texts) if texts.ndim == 1 else -1
    if (count < 0 or texts.dtype.kind != "U" or points.ndim != 2 or points.shape[1:] != (3,) or points.dtype.kind != "f"
            or offsets.shape != (count + 1,) or offsets.dtype.kind not in "iu" or widths.shape != (count,)
            or widths.dtype.kind != "f"):
        raise UserError(f"{path}: arrays have the wrong shapes or types", fix)
    if count == 0 or offsets[0] != 0 or offsets[-1] != len(points) or np.any(np.diff(offsets) < 1):
        raise UserError(f"{path}: offsets do not split the points into non-empty writings", fix)
    if not np.all(np.isfinite(points)) or not np.all(np.isin(points[:, 2], (0.0, 1.0))):
        raise UserError(f"{path}: points hold NaN, infinity or pen flags other than 0/1", fix)
    return [Writing(str(t), points[a:b].astype(np.float32), float(w), [])
            for t, a, b, w in zip(texts, offsets[:-1], offsets[1:], widths)]


def save_stroke3(path: str | os.PathLike, writings: list[Writing]) -> Path:
    """Write ``writings`` in sketch-rnn's stroke-3 layout (module docstring), splits by :func:`.common.default_splits`."""
    if not writings:
        raise UserError("no writings to save", "write at least one number")
    save_npz(path, **split_arrays([w.points for w in writings], default_splits(len(writings)),
                                  texts=np.array([w.text for w in writings], dtype=str)))
    return Path(path)


def load_stroke3(path: str | os.PathLike) -> list[Writing]:
    """Inverse of :func:`save_stroke3` (to within ``0.5 / 255`` of a cell), splits in order; widths not kept."""
    data = read_splits(path, {"texts": "U"}, "stroke-3 numbers file", "write it again with `write NAME.stroke3.npz`")
    writings = []
    for split in ("train", "valid", "test"):
        for rows, text in zip(data[split], data[f"{split}_texts"]):
            points = from_stroke3(rows)
            writings.append(Writing(str(text), points, float(points[:, 0].max() + MARGIN), []))
    return writings


def writing_svg(writing: Writing, cell: int = CELL) -> str:
    """One writing as SVG: ``viewBox`` is the writing frame (``0 0 width 1``), ``cell`` px per digit cell."""
    return to_svg(writing.points, text=writing.text, width=writing.width, cell=cell, pen=1.2 / PIXELS,
                  dot=0.75 / PIXELS)


def writing_json(writing: Writing) -> str:
    """One writing as JSON: convention, text, frame width, points and per-character spans."""
    return outputs.json_text(CONVENTION, text=writing.text, width=round(writing.width, 5),
                             points=outputs.points_list(writing.points), spans=[list(s) for s in writing.spans])


def load_writing_json(path: str | os.PathLike) -> list[Writing]:
    """Inverse of :func:`writing_json` (to 5 decimals): the one writing of a JSON file, spans kept."""
    fix = "write it again with `mnist-handwriting write TEXT --out NAME.json`"
    path = require_file(path, "writing JSON file", fix)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise UserError(f"{path}: not a readable JSON file ({type(error).__name__})", fix) from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str) or not isinstance(data.get("points"), list):
        raise UserError(f"{path}: not a writing (needs a text and a list of points)", fix)
    rows = data["points"]
    if not rows or not all(isinstance(r, list) and len(r) == 3 and all(type(v) in (int, float) for v in r)
                           for r in rows):
        raise UserError(f"{path}: points must be a non-empty list of [x, y, pen_up] numbers", fix)
    points = np.array(rows, dtype=np.float64)
    if not np.all(np.isfinite(points)) or np.abs(points[:, :2]).max() > 1e6 or not np.all(np.isin(points[:, 2], (0, 1))):
        raise UserError(f"{path}: points hold NaN, huge values or pen flags other than 0/1", fix)
    points = points.astype(np.float32)
    width = data.get("width")
    width = float(width) if type(width) in (int, float) and np.isfinite(width) else float(points[:, 0].max() + MARGIN)
    spans = data.get("spans")
    spans = ([tuple(s) for s in spans] if isinstance(spans, list) and all(
        isinstance(s, list) and len(s) == 2 and all(type(v) is int for v in s) for s in spans) else [])
    return [Writing(data["text"], points, width, spans)]


def load_writings(path: str | os.PathLike) -> list[Writing]:
    """The writings of any file :func:`save_writing` reads back: numbers ``.npz``, ``.stroke3.npz`` or ``.json``."""
    name = Path(path).name.lower()
    if name.endswith(".stroke3.npz"):
        return load_stroke3(path)
    if name.endswith(".npz"):
        return load_numbers(path)
    if name.endswith(".json"):
        return load_writing_json(path)
    raise UserError(f"cannot read writings from {Path(path).name}: unknown file type",
                    "give a numbers .npz, a .stroke3.npz or a .json written by `mnist-handwriting write`")


def save_writing(path: str | os.PathLike, writings: list[Writing], fps: int = 10) -> Path:
    """Write ``writings`` to ``path`` by suffix: ``.npz`` / ``.stroke3.npz`` (any count) or, for one, SVG / GIF / JSON."""
    from ..viz.animate import writing_frames

    path = Path(path)
    stroke3 = path.name.lower().endswith(".stroke3.npz")
    return outputs.save_output(
        path, len(writings), svg=lambda: writing_svg(writings[0]), json=lambda: writing_json(writings[0]),
        gif=lambda: writing_frames(writings[0], CELL, fps), npz=lambda out: (save_stroke3 if stroke3 else save_numbers)(out, writings),
        single=(".svg", ".gif", ".json"), fps=fps,
        too_many=(f"a {path.suffix.lower()} file holds one writing, not {len(writings)}", "write many numbers to a .npz"))
