"""The shipped handwritten-MNIST file: its layout, quantisation, checksum, splits and NumPy loader.

``handwritten-mnist.npz`` (next to this module, installed with the package) holds all 70,000
MNIST digits in MNIST order (the 60,000 training digits, then the 10,000 test digits), as
plain arrays (no pickles):

- ``xy_high``, ``xy_low`` uint8 ``(N, T, 2)``: x, y of every point quantised to 12 bits,
  ``q = round(4095 * x)`` (:data:`LEVELS`), stored as its high 4 and low 8 bits
  (``q = 256 * high + low``; the two byte planes compress to 3.6 MB where the uint16
  ``q`` takes 4.6 MB). A coordinate is within ``0.5 / 4095`` of the unit square
  (0.0034 px) of the model's float32 output;
- ``pen`` uint8 ``(N, ceil(T / 8))``: the ``pen_up`` bits, ``numpy.packbits`` along T;
- ``labels`` uint8 ``(N,)``, ``mnist_index`` uint16 ``(N,)`` (position in the MNIST
  training or test set the digit comes from) and ``split`` uint8 ``(N,)`` (0 train,
  1 valid, 2 test: :data:`SPLITS`);
- ``images`` uint8 ``(N, 98)``: the thinned 28x28 input, one bit per pixel (``packbits``).

The splits are those of :func:`mnist_handwriting.export.common.default_splits`: train =
MNIST training digits 0..54,999, valid = the last 5,000 training digits (55,000..59,999),
test = the 10,000 MNIST test digits. ``all`` is every digit.

The zip members carry a fixed date, so the same arrays always give the same bytes: the
SHA-256 in ``handwritten-mnist.json`` (and the dataset card) identifies the data, and
:func:`verify` refuses a file that does not match it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import UserError
from ..export.common import SPLITS, default_splits   # SPLITS: the split names, by their code in the ``split`` array
from ..formats import check_points, read_npz
from ..paths import atomic_write, require_file
from ..strokes import PIXELS

SHIPPED = Path(__file__).resolve().parent / "handwritten-mnist.npz"
"""The file installed with the package."""
METADATA = SHIPPED.with_suffix(".json")
"""Its description: SHA-256, model, command, counts (written by the build)."""
CHOICES = (*SPLITS, "all")
"""What :func:`load` accepts."""
LEVELS = 4095
"""Quantisation: a coordinate ``x`` in [0, 1] is stored as ``round(LEVELS * x)``, 12 bits."""
KEYS = ("xy_high", "xy_low", "pen", "labels", "mnist_index", "split", "images")
REBUILD = "rebuild it with `mnist-handwriting dataset build --out DIR --ship` or reinstall the package"


class Split(NamedTuple):
    """One split as arrays: ``points: (N, T, 3)`` float32 x, y, pen_up; ``labels: (N,)`` int64;
    ``mnist_index: (N,)`` int64 (position in its MNIST set); ``images: (N, 28, 28)`` uint8 0/255 or None."""

    points: np.ndarray
    labels: np.ndarray
    mnist_index: np.ndarray
    images: np.ndarray | None = None


def check_split(split: str) -> str:
    """``split`` if it is one of :data:`CHOICES`, else a UserError naming ``split``."""
    if split not in CHOICES:
        raise UserError(f"unknown split {split!r}", f"use a 'split' of {', '.join(CHOICES)}", "split")
    return split


def quantise(points: np.ndarray) -> dict[str, np.ndarray]:
    """``points: (N, T, 3)`` (checked: x, y in [0, 1], pen 0/1) -> ``xy_high``, ``xy_low`` ``(N, T, 2)``, ``pen`` bits."""
    points = check_points(points, "dataset")
    xy = np.rint(points[..., :2].astype(np.float64) * LEVELS).astype(np.uint16)
    return {"xy_high": (xy >> 8).astype(np.uint8), "xy_low": (xy & 0xFF).astype(np.uint8),
            "pen": np.packbits(points[..., 2] > 0.5, axis=-1)}


def dequantise(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Inverse of :func:`quantise`: ``points: (N, T, 3)`` float32, x and y within ``0.5 / LEVELS``."""
    high = arrays["xy_high"]
    points = np.empty((*high.shape[:2], 3), np.float32)
    points[..., :2] = (high.astype(np.uint16) << 8 | arrays["xy_low"]) / np.float32(LEVELS)
    points[..., 2] = np.unpackbits(arrays["pen"], axis=-1, count=high.shape[1])
    return points


def pack_images(images: np.ndarray) -> np.ndarray:
    """Thinned ``images: (N, 28, 28)`` uint8 -> one bit per pixel, ``(N, 98)`` uint8."""
    return np.packbits(images.reshape(len(images), -1) > 0, axis=-1)


def unpack_images(bits: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pack_images`: ``(N, 28, 28)`` uint8 of 0 and 255."""
    return (np.unpackbits(bits, axis=-1, count=PIXELS * PIXELS) * np.uint8(255)).reshape(-1, PIXELS, PIXELS)


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of the file at ``path``."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> str:
    """Write ``arrays`` (the :data:`KEYS`) as a reproducible ``.npz`` at ``path``, atomically; returns its SHA-256.

    ``numpy.savez`` stamps each member with the current time; a fixed date (1980-01-01,
    zip's first) makes the bytes depend on the arrays alone.
    """
    with atomic_write(path) as temp:
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for key in KEYS:
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[key]), allow_pickle=False)
                info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, buffer.getvalue(), compresslevel=9)
        return sha256(temp)


def verify(path: Path | None = None, metadata: Path | None = None) -> None:
    """Check the shipped file (or ``path``) against the SHA-256 its ``metadata`` records; a UserError saying how to rebuild."""
    path, metadata = path or SHIPPED, metadata or METADATA
    require_file(path, "shipped handwritten-MNIST file", REBUILD)
    require_file(metadata, "description of the shipped handwritten-MNIST file", REBUILD)
    expected = json.loads(metadata.read_text(encoding="utf-8"))["sha256"]
    found = sha256(path)
    if found != expected:
        raise UserError(f"{path}: SHA-256 {found[:12]}... does not match the recorded {expected[:12]}... "
                        "(the file is damaged or was changed by hand)", REBUILD)


def read_shipped() -> dict[str, np.ndarray]:
    """The verified arrays (:data:`KEYS`) of the shipped file."""
    verify()
    return read_npz(SHIPPED, KEYS, "handwritten-MNIST file")


def select(arrays: dict[str, np.ndarray], split: str, with_image: bool = False) -> Split:
    """The digits of ``split`` from the stored ``arrays``, dequantised, as a :class:`Split`."""
    keep = slice(None) if check_split(split) == "all" else arrays["split"] == SPLITS.index(split)
    return Split(dequantise({key: arrays[key][keep] for key in ("xy_high", "xy_low", "pen")}),
                 arrays["labels"][keep].astype(np.int64),
                 arrays["mnist_index"][keep].astype(np.int64),
                 unpack_images(arrays["images"][keep]) if with_image else None)


def split_codes(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Of ``count`` digits in MNIST order, as the exports split them: the split code (index into
    :data:`SPLITS`) ``(count,)`` uint8 and the position in the MNIST training or test part ``(count,)``."""
    names = default_splits(count)
    codes = np.zeros(count, np.uint8)
    for code, name in enumerate(SPLITS):
        codes[names == name] = code
    position = np.arange(count)
    test = codes == SPLITS.index("test")
    position[test] -= position[test][:1].sum()   # the test part counts from its first digit
    return codes, position


def load_source(path: str | os.PathLike, split: str) -> Split:
    """The digits of ``split`` from a handwriting file the user made (splits as :func:`split_codes`)."""
    from ..formats import load_handwriting_file

    points, labels = load_handwriting_file(path)
    codes, position = split_codes(len(points))
    keep = slice(None) if check_split(split) == "all" else codes == SPLITS.index(split)
    return Split(points[keep], labels[keep], position[keep])


def load(split: str = "train", *, source: str | os.PathLike | None = None, with_image: bool = False) -> Split:
    """Handwritten MNIST ``split`` (``train``, ``valid``, ``test`` or ``all``) as NumPy arrays.

    From the shipped file (checksum verified), or from the handwriting file ``source``
    (``points``, ``labels``; no images: ``with_image`` needs the shipped file).
    """
    check_split(split)
    if source is None:
        return select(read_shipped(), split, with_image)
    if with_image:
        raise UserError("a handwriting file holds no images", "drop 'with_image', or leave out 'source' to use "
                        "the shipped dataset", ("with_image", "source"))
    return load_source(source, split)
