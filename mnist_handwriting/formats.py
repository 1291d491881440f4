"""The two public file formats (documented in the README), with strict readers.

- Images file: ``.npz`` with ``images`` uint8 ``(N, 28, 28)`` and ``labels`` int64 ``(N,)``.
- Handwriting file: ``.npz`` with ``points`` float32 ``(N, T, 3)`` (x, y, pen_up in the
  convention of :mod:`mnist_handwriting.strokes`) and ``labels`` int64 ``(N,)``.

Writers go through :func:`mnist_handwriting.paths.save_npz` (atomic), so an interrupted
write never leaves a partial file.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .errors import UserError
from .paths import atomic_write, require_file, save_npz
from .strokes import PIXELS


def check_labels(labels: np.ndarray, count: int, source: str) -> np.ndarray:
    """Validate ``labels: (count,)`` integers in 0..9 and return them as int64."""
    labels = np.asarray(labels)
    if labels.shape != (count,):
        raise UserError(f"{source}: labels have shape {labels.shape}, expected ({count},)",
                        "give one label per digit")
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind == "f" and np.all(np.isfinite(labels)) and np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
        else:
            raise UserError(f"{source}: labels have dtype {labels.dtype}, expected integers",
                            "store labels as int64 digits 0..9")
    if count and (labels.min() < 0 or labels.max() > 9):
        bad = labels[(labels < 0) | (labels > 9)][0]
        raise UserError(f"{source}: label {bad} is outside 0..9", "labels must be digits 0..9")
    return labels.astype(np.int64)


def check_images(images: np.ndarray, source: str) -> np.ndarray:
    """Validate ``images: (N, 28, 28)`` uint8 (or floats in [0, 1]) and return uint8."""
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (PIXELS, PIXELS):
        raise UserError(f"{source}: images have shape {images.shape}, expected (N, 28, 28)",
                        "give 28x28 images; for images of other sizes set 'input' to raw (or use draw)", "input")
    if images.dtype == np.uint8:
        return images
    if images.dtype.kind == "f":
        if not np.all(np.isfinite(images)) or images.size and (images.min() < 0 or images.max() > 1):
            raise UserError(f"{source}: float images must be finite and within [0, 1]",
                            "store images as uint8 0..255")
        return np.round(images * 255).astype(np.uint8)
    raise UserError(f"{source}: images have dtype {images.dtype}, expected uint8", "store images as uint8 0..255")


def check_points(points: np.ndarray, source: str) -> np.ndarray:
    """Validate ``points: (N, T, 3)`` finite, x and y in [0, 1], pen_up 0/1; return float32."""
    points = np.asarray(points)
    if points.ndim != 3 or points.shape[2] != 3 or points.shape[1] < 1:
        raise UserError(f"{source}: points have shape {points.shape}, expected (N, T, 3)",
                        "store x, y, pen_up for each of T points per digit")
    if points.dtype.kind != "f":
        raise UserError(f"{source}: points have dtype {points.dtype}, expected float32", "store points as float32")
    if not np.all(np.isfinite(points)):
        raise UserError(f"{source}: points contain NaN or infinity", "regenerate the file")
    xy = points[..., :2]
    if xy.size and (xy.min() < 0 or xy.max() > 1):
        raise UserError(f"{source}: x, y must lie in [0, 1] (1.0 = 28 px), found [{xy.min():.3g}, {xy.max():.3g}]",
                        "scale coordinates into the unit square of the 28x28 frame")
    if not np.all(np.isin(points[..., 2], (0.0, 1.0))):
        raise UserError(f"{source}: pen_up must be 0 or 1", "threshold the pen column")
    return points.astype(np.float32)


def read_npz(path: str | os.PathLike, keys: tuple[str, ...], what: str) -> dict[str, np.ndarray]:
    """The arrays ``keys`` of the ``.npz`` at ``path`` (no pickles); a UserError naming ``what`` otherwise."""
    path = require_file(path, what, f"check the path; an {what} is a .npz with keys {', '.join(keys)}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in keys if k not in archive.files]
            if missing:
                raise UserError(f"{path}: {what} lacks key(s) {', '.join(missing)} (has {', '.join(archive.files)})",
                                f"save it with keys {', '.join(keys)}")
            return {k: archive[k] for k in keys}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise UserError(f"{path}: not a readable .npz file ({error})", "re-create or re-download the file") from None


def load_images_file(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read and validate an images file; returns ``images: (N, 28, 28) uint8, labels: (N,) int64``."""
    data = read_npz(path, ("images", "labels"), "images file")
    images = check_images(data["images"], str(path))
    return images, check_labels(data["labels"], len(images), str(path))


def save_images_file(path: str | os.PathLike, images: np.ndarray, labels: np.ndarray) -> None:
    """Validate and write an images file atomically."""
    images = check_images(images, str(path))
    labels = check_labels(labels, len(images), str(path))
    save_npz(path, images=images, labels=labels)


def load_handwriting_file(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read and validate a handwriting file; returns ``points: (N, T, 3) float32, labels: (N,) int64``."""
    data = read_npz(path, ("points", "labels"), "handwriting file")
    points = check_points(data["points"], str(path))
    return points, check_labels(data["labels"], len(points), str(path))


def save_handwriting_file(path: str | os.PathLike, points: np.ndarray, labels: np.ndarray) -> None:
    """Validate and write a handwriting file atomically."""
    points = check_points(points, str(path))
    labels = check_labels(labels, len(points), str(path))
    save_npz(path, points=points, labels=labels)


def save_handwriting_batches(path: str | os.PathLike, batches: Iterable[np.ndarray], labels: np.ndarray,
                             length: int) -> int:
    """Write a handwriting file from ``batches`` of ``points: (b, length, 3)`` as they come; return the digit count.

    The same file as :func:`save_handwriting_file` (compressed ``.npz``, atomic), but the points
    are never all in memory: each batch is checked and appended to the archive's ``points.npy``.
    """
    labels = check_labels(labels, len(labels), str(path))
    written = 0
    with atomic_write(path) as temp, zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("points.npy", "w", force_zip64=True) as member:
            header = {"descr": np.lib.format.dtype_to_descr(np.dtype("<f4")), "fortran_order": False,
                      "shape": (len(labels), length, 3)}
            np.lib.format.write_array_header_2_0(member, header)
            for points in batches:
                points = check_points(points, str(path))
                if points.shape[1] != length or written + len(points) > len(labels):
                    raise ValueError(f"batch of shape {points.shape} does not fit ({len(labels)}, {length}, 3)")
                member.write(np.ascontiguousarray(points, "<f4").tobytes())
                written += len(points)
            if written != len(labels):
                raise ValueError(f"{written} digits written for {len(labels)} labels")
        with archive.open("labels.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array(member, labels)
    return written


def output_suffix(path: str | os.PathLike, allowed: tuple[str, ...]) -> str:
    """The lower-case suffix of an output ``path``, which must be one of ``allowed``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise UserError(f"cannot write {path.name}: unknown output type {suffix or '(none)'}",
                        f"name the output with one of {', '.join(allowed)}")
    return suffix
