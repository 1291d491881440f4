"""The files one result is written to (``draw``, ``write``, the web page): by the output's suffix.

``.svg`` (:func:`.svg.to_svg`), ``.json`` (:func:`json_text`, points as :func:`points_list`),
``.gif`` (an animation, :func:`mnist_handwriting.viz.animate.save_gif`) or ``.npz`` (the
caller's array file). :func:`save_output` is the one dispatcher from a suffix to its writer;
every file is written atomically.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import UserError
from ..paths import atomic_write

if TYPE_CHECKING:   # numpy loads with the writers, not with the CLI's --help
    import numpy as np

OUTPUT_SUFFIXES = (".svg", ".json", ".gif", ".npz")
CONVENTION = "x right, y down, 1.0 = 28 px; pen_up = 1: pen lifted after the point"
"""The coordinate convention (:mod:`mnist_handwriting.strokes`) as JSON files state it."""


def points_list(points: np.ndarray) -> list[list[float]]:
    """``points: (T, 3)`` as JSON-ready rows ``[x, y, pen_up]``: 5 decimals, ``pen_up`` an int."""
    return [[round(float(x), 5), round(float(y), 5), int(pen)] for x, y, pen in points]


def json_text(convention: str = CONVENTION, **fields) -> str:
    """A JSON document: the ``convention`` its coordinates follow, then ``fields``."""
    return json.dumps({"convention": convention, **fields}, indent=1)


def save_output(path: str | os.PathLike, count: int, *, svg: Callable[[], str], json: Callable[[], str],
                gif: Callable[[], list], npz: Callable[[Path], object], single: tuple[str, ...], fps: int = 10,
                too_many: tuple[str, str] = ("", "")) -> Path:
    """Write ``count`` drawings to ``path`` with the writer its suffix names; returns ``path``.

    ``svg`` and ``json`` return the file's text, ``gif`` the animation's frames, ``npz``
    writes the file itself. The suffixes in ``single`` hold one drawing only: for more,
    ``too_many`` is the (message, fix) of the ``UserError``.
    """
    from ..formats import output_suffix

    path = Path(path)
    suffix = output_suffix(path, OUTPUT_SUFFIXES)
    if suffix in single and count != 1:
        raise UserError(*too_many)
    if suffix == ".npz":
        npz(path)
    elif suffix == ".gif":
        from ..viz.animate import save_gif

        save_gif(gif(), path, fps)
    else:
        text = svg() if suffix == ".svg" else json()
        with atomic_write(path) as temp:
            temp.write_text(text, encoding="utf-8")
    return path
