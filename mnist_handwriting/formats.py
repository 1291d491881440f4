"""The two public file formats (documented in the README), with strict readers.

- Images file: ``.npz`` with ``images`` uint8 ``(N, 28, 28)`` and ``labels`` int64 ``(N,)``.
- Handwriting file: ``.npz`` with ``points`` float32 ``(N, T, 3)`` (x, y, pen_up in the
  convention of :mod:`mnist_handwriting.strokes`) and ``labels`` int64 ``(N,)``.
- Proposals file (``convert --proposals K``, issue 16): ``points`` float32 ``(N, K, T, 3)``, K drawing
  orders per digit, most probable first, ``probabilities`` float32 ``(N, K)`` (each row sums to 1) and
  ``labels``. Readers that take one trajectory per digit say so (:func:`load_handwriting_file`).

Writers go through :func:`mnist_handwriting.paths.save_npz` (atomic), so an interrupted
write never leaves a partial file.
"""

from __future__ import annotations

import math
import os
import pickle
import struct
import tokenize
import zipfile
import zlib
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


DEFLATE_RATIO = 1032
"""Most bytes a deflated byte can become (zlib's limit): a member claiming more is lying."""


class _Pickled:
    """A NumPy array or dtype as a pickle describes it: ``kind``, the arguments, the state set by BUILD.

    Unpickling NumPy's own objects is not safe even with known globals (a dtype's pickled state
    can set its flags and crash the process), so the pickle builds these stand-ins and
    :func:`_array_from` makes the real arrays from checked values.
    """

    def __init__(self, kind: str, *args):
        self.kind, self.args, self.state = kind, args, None

    def __setstate__(self, state) -> None:
        self.state = state


_NDARRAY = _Pickled("ndarray")
_STAND_INS = {("numpy", "ndarray"): _NDARRAY,
              ("numpy", "dtype"): lambda descr, align=False, copy=False: _Pickled("dtype", descr),
              **{(module, "_reconstruct"): lambda cls, shape, code: _Pickled("array", cls)
                 for module in ("numpy.core.multiarray", "numpy._core.multiarray")}}
"""The only globals a pickled object array (sketch-rnn's stroke-3) may name, and what stands in for each."""


class _ArrayUnpickler(pickle._Unpickler):
    """Unpickles the stand-ins of :data:`_STAND_INS` and plain values only, so a hostile file cannot run code.

    The pure-Python unpickler, because the C one sizes its memo by the largest index a file
    names: four bytes make it allocate tens of gigabytes. For the same reason protocol 5's
    ``BYTEARRAY8`` (allocated at its stated length before reading) is refused, with the other
    buffer opcodes, which NumPy's files never hold.
    """

    def _refuse_buffers(self):
        raise pickle.UnpicklingError("it holds pickle protocol 5 buffers, which NumPy's files never do")

    dispatch = {**pickle._Unpickler.dispatch,
                **dict.fromkeys((pickle.BYTEARRAY8[0], pickle.NEXT_BUFFER[0], pickle.READONLY_BUFFER[0]), _refuse_buffers)}

    def find_class(self, module: str, name: str):
        if (module, name) not in _STAND_INS:
            raise pickle.UnpicklingError(f"it names {module}.{name}, not a NumPy array")
        return _STAND_INS[module, name]


def _array_from(value, depth: int = 0) -> np.ndarray:
    """The real array a :class:`_Pickled` array describes: plain numbers, or (``depth`` < 3) arrays of arrays."""
    if not (isinstance(value, _Pickled) and value.kind == "array" and value.args == (_NDARRAY,)
            and isinstance(value.state, tuple) and len(value.state) == 5):
        raise ValueError("the pickle holds something other than a NumPy array")
    _, shape, dtype, fortran, data = value.state
    if not (isinstance(dtype, _Pickled) and dtype.kind == "dtype" and isinstance(dtype.args[0], str)
            and isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)):
        raise ValueError("the pickle holds an array of unreadable type or shape")
    kind = np.dtype(dtype.args[0])   # from its name only: the pickled flags and sizes are not trusted
    order = dtype.state[1] if isinstance(dtype.state, tuple) and len(dtype.state) > 1 else "|"
    if kind.kind not in "biufO" or kind.fields is not None or kind.subdtype is not None or order not in "<>|=":
        raise ValueError(f"the pickle holds an array of dtype {kind}")
    count = math.prod(shape)
    if kind.kind == "O":
        if depth >= 3 or not isinstance(data, list) or len(data) != count:
            raise ValueError("the pickle holds an object array that is not a short list of arrays")
        array = np.empty(count, object)
        array[:] = [_array_from(item, depth + 1) for item in data]
        return array.reshape(shape, order="F" if fortran else "C")
    raw = data.encode("latin1") if isinstance(data, str) else data
    kind = kind.newbyteorder(order) if order in "<>" else kind
    if not isinstance(raw, bytes) or len(raw) != count * kind.itemsize:
        raise ValueError("the pickle holds an array whose data does not match its shape")
    return np.frombuffer(raw, kind).reshape(shape, order="F" if fortran else "C").astype(kind.newbyteorder("="))


def read_npy(handle, name: str, size: int, objects: bool = False) -> np.ndarray:
    """The array of the ``.npy`` data of ``size`` bytes in the binary file ``handle``, named ``name`` in errors.

    The header is checked against ``size`` before anything is allocated, so a small file cannot
    claim a huge array; ``objects``: object arrays of NumPy arrays (see :class:`_ArrayUnpickler`).
    Damage raises ``ValueError``.
    """
    version = np.lib.format.read_magic(handle)
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    if version not in readers:
        raise ValueError(f"{name} is a .npy file of version {version}, not 1.0 or 2.0")
    try:
        shape, fortran, dtype = readers[version](handle)
    except (SyntaxError, tokenize.TokenError) as error:   # NumPy parses the header as Python literals
        raise ValueError(f"{name} has an unreadable header ({error})") from None
    count = math.prod(shape)
    if dtype.hasobject:
        if not objects:
            raise ValueError(f"{name} holds Python objects (pickles), which this file type does not")
        try:
            return _array_from(_ArrayUnpickler(handle, encoding="latin1").load())
        except (KeyError, IndexError, TypeError, AttributeError, struct.error) as error:   # from a damaged pickle
            raise ValueError(f"{name} holds a damaged pickle ({type(error).__name__}: {error})") from None
    if count * dtype.itemsize > size or (count and not dtype.itemsize):
        raise ValueError(f"{name} claims {count} items of {dtype.itemsize} bytes but holds {size} bytes")
    data = handle.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise ValueError(f"{name} is truncated")
    return np.frombuffer(data, dtype).reshape(shape, order="F" if fortran else "C").copy()


def _read_member(archive: zipfile.ZipFile, name: str, size: int, objects: bool) -> np.ndarray:
    """The array in member ``name`` of an archive of ``size`` bytes, its stored sizes checked first."""
    info = archive.getinfo(name)
    if info.compress_size > size or info.file_size > DEFLATE_RATIO * info.compress_size + 1024:
        raise ValueError(f"{name} claims {info.file_size} bytes in {info.compress_size}, more than the file holds")
    with archive.open(info) as handle:
        return read_npy(handle, name, info.file_size, objects)


def read_npz(path: str | os.PathLike, keys: tuple[str, ...], what: str, fix: str | None = None,
             objects: bool = False, optional: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """The arrays ``keys`` (and those of ``optional`` it holds) of the ``.npz`` at ``path``; a UserError naming
    ``what`` (and ``fix``) otherwise.

    No pickles, except with ``objects``: object arrays of NumPy arrays, through an unpickler
    that builds nothing else. Every member's header is checked against its stored size first,
    so a small file cannot make the reader allocate more than it could hold.
    """
    path = require_file(path, what, fix or f"check the path; an {what} is a .npz with keys {', '.join(keys)}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = {name.removesuffix(".npy"): name for name in archive.namelist()}
            missing = [k for k in keys if k not in members]
            if missing:
                raise UserError(f"{path}: {what} lacks key(s) {', '.join(missing)} (has {', '.join(members)})",
                                fix or f"save it with keys {', '.join(keys)}")
            size = path.stat().st_size
            return {k: _read_member(archive, members[k], size, objects) for k in keys + optional if k in members}
    except (zipfile.BadZipFile, pickle.UnpicklingError, ValueError, OSError, EOFError, zlib.error,
            NotImplementedError, RuntimeError) as error:   # RuntimeError: an encrypted member
        raise UserError(f"{path}: not a readable .npz file ({error})", fix or "re-create or re-download the file") from None


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


PROBABILITY_TOLERANCE = 1e-4
"""How far a proposals file's row of probabilities may sum from 1."""


def check_proposals(points: np.ndarray, probabilities: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``points: (N, K, T, 3)`` (each proposal as :func:`check_points`) and ``probabilities: (N, K)``
    (finite, non-negative, rows summing to 1); return both as float32."""
    points, probabilities = np.asarray(points), np.asarray(probabilities)
    if points.ndim != 4 or points.shape[1] < 1:
        raise UserError(f"{source}: proposal points have shape {points.shape}, expected (N, K, T, 3)",
                        "store K trajectories of T points (x, y, pen_up) per digit")
    check_points(points.reshape(-1, *points.shape[2:]), source)
    if probabilities.shape != points.shape[:2]:
        raise UserError(f"{source}: probabilities have shape {probabilities.shape}, expected {points.shape[:2]}",
                        "give one probability per proposal of each digit")
    if probabilities.dtype.kind != "f" or not np.all(np.isfinite(probabilities)) or (probabilities < 0).any() \
            or not np.allclose(probabilities.sum(axis=1), 1.0, atol=PROBABILITY_TOLERANCE):
        raise UserError(f"{source}: probabilities must be finite, non-negative floats whose rows sum to 1",
                        "regenerate the file with convert --proposals")
    return points.astype(np.float32), probabilities.astype(np.float32)


def load_proposals_file(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read and validate a handwriting or proposals file: ``points: (N, K, T, 3)``, ``probabilities: (N, K)``,
    ``labels: (N,)``; a handwriting file reads as one proposal per digit of probability 1."""
    data = read_npz(path, ("points", "labels"), "handwriting file", optional=("probabilities",))
    if "probabilities" not in data:
        points = check_points(data["points"], str(path))[:, None]
        probabilities = np.ones(points.shape[:2], np.float32)
    else:
        points, probabilities = check_proposals(data["points"], data["probabilities"], str(path))
    return points, probabilities, check_labels(data["labels"], len(points), str(path))


def load_handwriting_file(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read and validate a handwriting file; returns ``points: (N, T, 3) float32, labels: (N,) int64``.

    A proposals file (several trajectories per digit) is refused with a clear error: this reader takes one."""
    data = read_npz(path, ("points", "labels"), "handwriting file", optional=("probabilities",))
    if "probabilities" in data:
        shape = np.shape(data["points"])
        raise UserError(f"{path} holds {shape[1] if len(shape) > 1 else '?'} proposals per digit "
                        f"(points {shape}); this command takes one trajectory per digit",
                        "convert without --proposals (the most probable one) or with --sample (one drawn by its odds)")
    points = check_points(data["points"], str(path))
    return points, check_labels(data["labels"], len(points), str(path))


def save_handwriting_file(path: str | os.PathLike, points: np.ndarray, labels: np.ndarray) -> None:
    """Validate and write a handwriting file atomically."""
    points = check_points(points, str(path))
    labels = check_labels(labels, len(points), str(path))
    save_npz(path, points=points, labels=labels)


def save_proposals_file(path: str | os.PathLike, points: np.ndarray, probabilities: np.ndarray,
                        labels: np.ndarray) -> None:
    """Validate and write a proposals file (``points: (N, K, T, 3)``, ``probabilities: (N, K)``) atomically."""
    points, probabilities = check_proposals(points, probabilities, str(path))
    labels = check_labels(labels, len(points), str(path))
    save_npz(path, points=points, probabilities=probabilities, labels=labels)


def _npy_member(archive: zipfile.ZipFile, name: str, shape: tuple[int, ...]):
    """An open ``name.npy`` member of ``archive`` with the header of a little-endian float32 array of ``shape``."""
    member = archive.open(f"{name}.npy", "w", force_zip64=True)
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype("<f4")), "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_2_0(member, header)
    return member


def save_handwriting_batches(path: str | os.PathLike, batches: Iterable, labels: np.ndarray, length: int,
                             proposals: int = 0) -> int:
    """Write a handwriting file from ``batches`` of ``points: (b, length, 3)`` as they come; return the digit count.

    The same file as :func:`save_handwriting_file` (compressed ``.npz``, atomic), but the points
    are never all in memory: each batch is checked and appended to the archive's ``points.npy``.
    ``proposals = K > 0``: a proposals file (:func:`save_proposals_file`) from batches of
    ``(points: (b, K, length, 3), probabilities: (b, K))``, the probabilities kept in memory.
    """
    labels = check_labels(labels, len(labels), str(path))
    shape = (len(labels), proposals, length, 3) if proposals else (len(labels), length, 3)
    written, odds = 0, []
    with atomic_write(path) as temp, zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as archive:
        with _npy_member(archive, "points", shape) as member:
            for batch in batches:
                if proposals:
                    points, probabilities = check_proposals(*batch, str(path))
                    odds.append(probabilities)
                else:
                    points = check_points(batch, str(path))
                if points.shape[1:-1] != shape[1:-1] or written + len(points) > len(labels):
                    raise ValueError(f"batch of shape {points.shape} does not fit {shape}")
                member.write(np.ascontiguousarray(points, "<f4").tobytes())
                written += len(points)
            if written != len(labels):
                raise ValueError(f"{written} digits written for {len(labels)} labels")
        if proposals:
            with archive.open("probabilities.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.concatenate(odds).astype("<f4") if odds
                                          else np.zeros((0, proposals), "<f4"))
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
