"""W3C InkML: one ``.inkml`` file holding every digit as a ``<traceGroup>``.

One file rather than a folder of 70,000 (the choice InkML allows, as CROHME-style files
do for symbols): the ``<ink>`` root declares the trace format (X, Y as decimals) and holds,
per digit in input order, a ``<traceGroup>`` with ``<annotation type="truth">`` (the label)
and one ``<trace>`` per pen-down stroke, points ``x y`` separated by commas. Coordinates
are ours (unit square, ``1.0 = 28 px``, y down), written as the shortest text that reads
back as the same float32: lossless.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..errors import UserError
from ..paths import atomic_write, require_file
from ..strokes import join_strokes, split_strokes
from .common import check_input, float_text, stack_drawings

SUFFIX = ".inkml"
FOLDER = False
NS = "http://www.w3.org/2003/InkML"
HEADER = f"""<?xml version="1.0" encoding="UTF-8"?>
<ink xmlns="{NS}">
  <definitions>
    <traceFormat xml:id="xy">
      <channel name="X" type="decimal"/>
      <channel name="Y" type="decimal"/>
    </traceFormat>
  </definitions>
  <annotation type="description">handwritten MNIST: x right, y down, 1.0 = 28 px of the 28x28 image</annotation>
"""


def to_trace_group(points: np.ndarray, label: int, index: int) -> str:
    """One trajectory ``points: (T, 3)`` as an InkML ``<traceGroup>``."""
    traces = "".join(
        f'\n    <trace>{", ".join(f"{float_text(x)} {float_text(y)}" for x, y in stroke)}</trace>'
        for stroke in split_strokes(points))
    return (f'  <traceGroup xml:id="digit{index}">\n    <annotation type="truth">{int(label)}</annotation>'
            f"{traces}\n  </traceGroup>\n")


def from_trace_group(group: ET.Element) -> tuple[np.ndarray, int]:
    """Inverse of :func:`to_trace_group`: ``points: (T, 3)`` float32 and the label."""
    label = group.find(f"{{{NS}}}annotation[@type='truth']").text
    strokes = [np.array([p.split() for p in trace.text.split(",")], dtype=np.float32).reshape(-1, 2)
               for trace in group.findall(f"{{{NS}}}trace")]
    return join_strokes(strokes), int(label)


def write(points: np.ndarray, labels: np.ndarray, out: str | os.PathLike, *, progress: bool = True, **_) -> Path:
    """Write ``points: (N, T, 3)``, ``labels: (N,)`` as one InkML file, atomically."""
    points, labels = check_input(points, labels, str(out))
    with atomic_write(out) as temp, open(temp, "w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for index in tqdm(range(len(points)), desc="inkml", unit="digit", disable=None if progress else True):
            handle.write(to_trace_group(points[index], labels[index], index))
        handle.write("</ink>\n")
    return Path(out)


def read(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a file written by :func:`write`; returns ``points: (N, T, 3)``, ``labels: (N,)``."""
    path = require_file(path, "InkML file", "give the file written by the inkml exporter")
    try:
        root = ET.parse(path).getroot()
        if root.tag != f"{{{NS}}}ink":
            raise ValueError(f"root element is {root.tag}, not InkML's ink")
        pairs = [from_trace_group(group) for group in root.findall(f"{{{NS}}}traceGroup")]
    except (ET.ParseError, LookupError, ValueError, AttributeError, TypeError) as error:   # LookupError: an unknown encoding
        raise UserError(f"{path}: not an InkML file written by export ({error})", "export it again") from None
    return stack_drawings([p for p, _ in pairs], [label for _, label in pairs], str(path))
