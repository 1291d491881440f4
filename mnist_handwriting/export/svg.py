"""One SVG per digit, ``00000_7.svg`` in a folder: a polyline per pen-down stroke.

The SVG ``viewBox`` is the unit square (``0 0 1 1``, our coordinates as they are, y down
like SVG) drawn at 280 x 280 px. A one-point stroke (a dot) is a ``<circle>``, because a
one-point polyline renders as nothing. The label is the root's ``data-label`` attribute and
the file name's suffix. Coordinates are written as the shortest text that reads back as
the same float32, so the round trip is lossless.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..errors import UserError
from ..strokes import PIXELS, join_strokes, split_strokes
from .common import atomic_folder, check_input, float_text, numbered_files, numbered_name, stack_drawings

SUFFIX = ""
FOLDER = True
NS = "http://www.w3.org/2000/svg"
WIDTH = 1 / PIXELS
"""Stroke width: one MNIST pixel."""


def to_svg(points: np.ndarray, label: int | None = None, *, text: str | None = None, width: float = 1.0,
           cell: int = 280, pen: float = WIDTH, dot: float | None = None) -> str:
    """One trajectory ``points: (T, 3)`` as SVG text, named by its digit ``label`` or by the ``text`` it writes.

    The ``viewBox`` is the frame ``0 0 width 1`` (a digit: the unit square; a written number:
    ``width`` digit cells, see :mod:`mnist_handwriting.write`), drawn ``cell`` px per unit;
    ``pen`` is the stroke width and ``dot`` the radius of a one-point stroke (default ``pen / 2``),
    both in frame units.
    """
    if (label is None) == (text is None):
        raise ValueError("name the drawing by exactly one of label and text")
    if text is None:
        name, attribute = str(int(label)), "data-label"
    else:
        name, attribute = text.replace("&", "&amp;").replace("<", "&lt;"), "data-text"
    radius = float_text(pen / 2 if dot is None else dot)
    shapes = []
    for stroke in split_strokes(points):
        if len(stroke) == 1:
            x, y = (float_text(v) for v in stroke[0])
            shapes.append(f'<circle cx="{x}" cy="{y}" r="{radius}" fill="black"/>')
        else:
            coords = " ".join(f"{float_text(x)},{float_text(y)}" for x, y in stroke)
            shapes.append(f'<polyline points="{coords}"/>')
    body = "\n  ".join(shapes)
    return (f'<svg xmlns="{NS}" width="{round(width * cell)}" height="{cell}" viewBox="0 0 {float_text(width)} 1" '
            f'{attribute}="{name}">\n  <title>{name}</title>\n'
            f'  <g fill="none" stroke="black" stroke-width="{float_text(pen)}" '
            f'stroke-linecap="round" stroke-linejoin="round">\n  {body}\n  </g>\n</svg>\n')


def from_svg(text: str) -> tuple[np.ndarray, int]:
    """Inverse of :func:`to_svg`: ``points: (T, 3)`` float32 and the label."""
    root = ET.fromstring(text)
    strokes = []
    for element in root.iter():
        if element.tag == f"{{{NS}}}polyline":
            pairs = [pair.split(",") for pair in element.get("points", "").split()]
            strokes.append(np.array(pairs, dtype=np.float32).reshape(-1, 2))
        elif element.tag == f"{{{NS}}}circle":
            strokes.append(np.array([[element.get("cx"), element.get("cy")]], dtype=np.float32))
    return join_strokes(strokes), int(root.get("data-label"))


def write(points: np.ndarray, labels: np.ndarray, out: str | os.PathLike, *, progress: bool = True, **_) -> Path:
    """Write ``points: (N, T, 3)``, ``labels: (N,)`` as a folder of SVG files, atomically."""
    points, labels = check_input(points, labels, str(out))
    with atomic_folder(out) as temp:
        for index in tqdm(range(len(points)), desc="svg", unit="digit", disable=None if progress else True):
            name = numbered_name(index, labels[index], len(points), ".svg")
            (temp / name).write_text(to_svg(points[index], labels[index]), encoding="utf-8")
    return Path(out)


def read(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a folder written by :func:`write`; returns ``points: (N, T, 3)``, ``labels: (N,)``."""
    drawings, labels = [], []
    for file, name_label in numbered_files(Path(path), ".svg", "SVG"):
        try:
            points, label = from_svg(file.read_text(encoding="utf-8"))
        except (ET.ParseError, ValueError, TypeError) as error:
            raise UserError(f"{file}: not an SVG written by export ({error})", "export the folder again") from None
        if label != name_label:
            raise UserError(f"{file}: label {label} differs from the file name's", "export the folder again")
        drawings.append(points)
        labels.append(label)
    return stack_drawings(drawings, labels, str(path))
