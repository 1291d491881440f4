"""Human pen trajectories: the 32 samples of ``human-samples/samples.h5`` (MIT) and the UNIPEN
digits of ``pendigits/pendigits-train.unipen`` (CC BY 4.0, 30 writers).

Pendigits are tablet coordinates with y pointing up. Each digit is flipped (y down), then
mapped into the MNIST frame the way MNIST itself was made: scaled to fit a 20x20-pixel box
keeping its aspect ratio, then shifted by whole pixels so that the centre of mass of its
drawn pixels sits at the image centre (14, 14) px, i.e. (0.5, 0.5). Whole-pixel shifts keep
the rendering exact (the shifted image is the shifted render), so the centre of mass is
within half a pixel of the centre; the shift is clamped so the digit never leaves the frame.
Images are the 1-pixel exact render (already thin), drawn pixels = 255.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..formats import DEFLATE_RATIO
from ..paths import data_dir as resolve_data_dir, require_file
from ..render.exact import draw_trajectory
from ..strokes import PIXELS, join_strokes
from .cache import cached
from .digits import DigitSet

SAMPLES_FILE = Path("human-samples") / "samples.h5"
PENDIGITS_FILE = Path("pendigits") / "pendigits-train.unipen"
BOX = 20
"""Side in pixels of the box a digit is scaled into (MNIST's normalisation)."""
MARGIN = (PIXELS - BOX) // 2
MAX_TABLET = 1e6
"""Largest UNIPEN coordinate accepted, tablet units (pendigits' are below 1,000; float32 must hold them)."""
DEV_WRITERS = range(25, 31)
"""Writers held out for development when splitting pendigits by writer (6 of 30)."""


THICK_PEN = 2.5
"""Pen width (px) of the thick, raw-MNIST-like renders: MNIST strokes are 2-3 px wide in the 20-px box."""


def thin_render(points: np.ndarray) -> np.ndarray:
    """``points: (T, 3)`` -> the exact 1-pixel render ``(28, 28)`` uint8 0/255 (the images of this module's sets)."""
    return (draw_trajectory(points) > 0.5).astype(np.uint8) * 255


def thick_thin(points: np.ndarray, pen_width: float) -> np.ndarray:
    """``points: (T, 3)`` drawn ``pen_width`` px wide, then thinned the MNIST way -> ``(28, 28)`` uint8 0/255.

    Falls back to the 1-pixel render if thinning leaves nothing.
    """
    from .preprocess import thin

    thick = np.round(draw_trajectory(points, pen_width=pen_width) * 255).astype(np.uint8)
    thinned = thin(thick)
    return thinned if thinned.any() else thin_render(points)


def thick_variant(digits: DigitSet, pen_width: float = THICK_PEN) -> DigitSet:
    """``digits`` with each image replaced by its trajectory drawn ``pen_width`` px wide and thinned by our own
    :func:`mnist_handwriting.data.preprocess.thin` (issue 7's check that the input style does not matter)."""
    images = np.stack([thick_thin(digits.trajectory(i), pen_width) for i in range(len(digits))]) \
        if len(digits) else digits.images
    return DigitSet(images=images, labels=digits.labels, points=digits.points, offsets=digits.offsets,
                    writers=digits.writers)


def _digit_set(trajectories: list[np.ndarray], labels, writers=None) -> DigitSet:
    """Pack trajectories ``(T_i, 3)`` with their exact 1-pixel renders as images."""
    counts = [len(t) for t in trajectories]
    images = (np.stack([thin_render(t) for t in trajectories]) if trajectories
              else np.zeros((0, PIXELS, PIXELS), np.uint8))
    return DigitSet(images=images, labels=np.asarray(labels, np.int64),
                    points=np.concatenate(trajectories).astype(np.float32) if trajectories else np.zeros((0, 3), np.float32),
                    offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
                    writers=None if writers is None else np.asarray(writers, np.int64))


def read_samples_h5(path) -> DigitSet:
    """Read ``samples.h5``: ``data`` (N, T, 3) x, y in [0, 1], pen_up 0/1, and ``labels`` (N,) in 0..9."""
    import h5py

    fix = f"re-copy {Path(path).name} from the mnist-handwriting-dataset repository"
    try:
        with h5py.File(path, "r") as handle:
            stored = [handle.get(name) for name in ("data", "labels")]
            if not all(isinstance(d, h5py.Dataset) and d.dtype.kind in "iuf" for d in stored):
                raise UserError(f"{path}: not a samples file (needs numeric datasets data and labels)", fix)
            claimed = sum(d.size * d.dtype.itemsize for d in stored)
            if claimed > DEFLATE_RATIO * Path(path).stat().st_size:   # chunks never written read as fill values
                raise UserError(f"{path}: claims {claimed} bytes of data, more than its size can hold", fix)
            data, labels = (np.asarray(d) for d in stored)
    except (OSError, KeyError, ValueError) as error:
        raise UserError(f"{path}: not a valid samples file ({error})", fix) from None
    if data.ndim != 3 or data.shape[1] < 1 or data.shape[2] != 3 or labels.shape != (len(data),):
        raise UserError(f"{path}: data {data.shape} / labels {labels.shape}, expected (N, T >= 1, 3) / (N,)", fix)
    if not np.all(np.isfinite(data)) or data.size and (data[..., :2].min() < 0 or data[..., :2].max() > 1):
        raise UserError(f"{path}: coordinates must be finite and within [0, 1]", fix)
    if not np.all(np.isin(data[..., 2], (0, 1))):
        raise UserError(f"{path}: pen_up values must be 0 or 1", fix)
    if labels.dtype.kind not in "iu" or len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise UserError(f"{path}: labels must be integers 0..9", fix)
    points = data.astype(np.float32)
    points[:, -1, 2] = 1.0   # the convention: the pen lifts after the last point
    return _digit_set(list(points), labels)


def load_human_samples(data_dir=None) -> DigitSet:
    """The 32 human digits (20 points each) with their exact-rendered thin images."""
    path = resolve_data_dir(data_dir) / SAMPLES_FILE
    require_file(path, "human samples file", f"put samples.h5 in {path.parent} or pass another 'data_dir'", "data_dir")
    return read_samples_h5(path)


_SEGMENT = re.compile(r'^\.SEGMENT\s+DIGIT\b.*"(\d)"\s*$')


def parse_unipen(text: str, source: str = "UNIPEN text") -> list[tuple[int, int, list[np.ndarray]]]:
    """Parse UNIPEN digits into ``(label, writer, strokes)``; strokes are ``(k, 2)`` tablet ``x, y`` (y up).

    The writer is the second number of the ``.COMMENT`` line after each ``.SEGMENT``; other
    keywords (``.DT``, ``.INCLUDE``, ...) are skipped.
    """
    digits: list[tuple[int, int, list[np.ndarray]]] = []
    stroke: list[list[float]] | None = None
    fix = "re-copy the pendigits UNIPEN file from the UCI repository"
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if not line.startswith("."):
            if stroke is None:
                raise UserError(f"{source} line {number}: coordinates outside .PEN_DOWN/.PEN_UP", fix)
            try:
                x, y = (float(v) for v in line.split())
            except ValueError:
                raise UserError(f"{source} line {number}: expected two numbers 'x y', got {line!r}", fix) from None
            if not (abs(x) <= MAX_TABLET and abs(y) <= MAX_TABLET):   # false for NaN too
                raise UserError(f"{source} line {number}: coordinates {line!r} are not finite or beyond "
                                f"+-{MAX_TABLET:g}", fix)
            stroke.append([x, y])
            continue
        keyword = line.split()[0]
        if keyword == ".SEGMENT":
            match = _SEGMENT.match(line)
            if match is None:
                raise UserError(f"{source} line {number}: cannot read the digit label of {line!r}", fix)
            digits.append((int(match.group(1)), -1, []))
        elif keyword == ".COMMENT" and digits and digits[-1][1] == -1:
            fields = line.split()
            if len(fields) < 3 or not fields[2].isdigit():
                raise UserError(f"{source} line {number}: expected '.COMMENT label writer sample'", fix)
            digits[-1] = (digits[-1][0], int(fields[2]), digits[-1][2])
        elif keyword == ".PEN_DOWN":
            if not digits or stroke is not None:
                raise UserError(f"{source} line {number}: .PEN_DOWN outside a digit or inside a stroke", fix)
            stroke = []
        elif keyword == ".PEN_UP":
            if not stroke:
                raise UserError(f"{source} line {number}: .PEN_UP without a preceding .PEN_DOWN and points", fix)
            digits[-1][2].append(np.array(stroke))
            stroke = None
    for label, writer, strokes in digits:
        if writer < 0 or not strokes:
            raise UserError(f"{source}: a digit {label} lacks its .COMMENT writer or its strokes", fix)
    return digits


def to_mnist_frame(strokes: list[np.ndarray]) -> np.ndarray:
    """Tablet strokes ``(k, 2)`` (y up) to ``points: (T, 3)`` in the MNIST frame (see the module docstring)."""
    points = join_strokes(strokes).astype(np.float64)
    xy = points[:, :2] * [1.0, -1.0]                      # flip y: the tablet's y points up
    low, extent = xy.min(axis=0), np.ptp(xy, axis=0)
    # Pixel centres of the box's first and last pixels map to the extremes: 20 drawn pixels.
    scale = (BOX - 1) / extent.max() if extent.max() > 0 else 1.0
    pixels = (xy - low) * scale + MARGIN + 0.5 + ((BOX - 1) - extent * scale) / 2
    points[:, :2] = pixels / PIXELS
    drawn = np.argwhere(draw_trajectory(points) > 0.5)    # (K, 2) row, col
    centre = drawn[:, ::-1].mean(axis=0) + 0.5            # x, y in pixels
    shift = np.round(PIXELS / 2 - centre)
    # Keep every point inside the frame (MNIST digits also touch the border, but never leave it).
    shift = np.clip(shift, -np.floor(pixels.min(axis=0)), np.floor(PIXELS - 1e-6 - pixels.max(axis=0)))
    points[:, :2] = (pixels + shift) / PIXELS
    return points.astype(np.float32)


def read_pendigits(path) -> DigitSet:
    """Parse a pendigits UNIPEN file into a DigitSet in the MNIST frame, with writer ids."""
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read ({error})", "re-copy the pendigits UNIPEN file") from None
    digits = parse_unipen(text, str(path))
    return _digit_set([to_mnist_frame(s) for _, _, s in digits], [d[0] for d in digits], [d[1] for d in digits])


def load_pendigits(data_dir=None, cache_dir=None) -> DigitSet:
    """The 7,494 pendigits training digits (writers 1..30) in the MNIST frame, cached after the first load."""
    path = resolve_data_dir(data_dir) / PENDIGITS_FILE
    require_file(path, "pendigits file", f"put pendigits-train.unipen in {path.parent} or pass another 'data_dir'",
                 "data_dir")
    return cached("pendigits", [path], lambda: read_pendigits(path), cache_dir)


def split_by_writer(digits: DigitSet, dev_writers=DEV_WRITERS) -> tuple[DigitSet, DigitSet]:
    """Split into (train, dev): dev holds every digit of ``dev_writers``, so no writer is in both."""
    if digits.writers is None:
        raise ValueError("this DigitSet has no writer ids")
    dev = np.isin(digits.writers, list(dev_writers))
    return digits.subset(~dev), digits.subset(dev)
