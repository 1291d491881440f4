"""Raw MNIST: the IDX file format (plain or gzip) and a checked, resumable download into the cache.

The files, their sizes and SHA-256 sums are data (below), as in torchvision's
``datasets/mnist.py``; the sums agree across independent public listings of the
standard distribution (the mirrors serve byte-identical copies of LeCun's files).
"""

from __future__ import annotations

import gzip
import hashlib
import math
import struct
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..errors import UserError
from ..paths import atomic_write, cache_dir as resolve_cache_dir

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
FILES = {
    "train": (("train-images-idx3-ubyte.gz", 9_912_422,
               "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
              ("train-labels-idx1-ubyte.gz", 28_881,
               "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c")),
    "test": (("t10k-images-idx3-ubyte.gz", 1_648_877,
              "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
             ("t10k-labels-idx1-ubyte.gz", 4_542,
              "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6")),
}
"""split -> ((images file, bytes, sha256), (labels file, bytes, sha256))."""
COUNTS = {"train": 60000, "test": 10000}
SUBDIR = "mnist"
"""Raw files live in ``<cache>/mnist/``."""

_DTYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
           0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}


def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) into an array of its stored dtype and shape."""
    path = Path(path)
    fix = f"delete {path} and download it again (mnist-handwriting data download-mnist)"
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError:
        raise UserError(f"IDX file not found: {path}", "check the path") from None
    except (OSError, EOFError, zlib.error) as error:
        raise UserError(f"{path}: damaged gzip data ({error})", fix) from None
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _DTYPES:
        raise UserError(f"{path}: not an IDX file (bad magic number)", fix)
    dtype, ndim = _DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UserError(f"{path}: truncated IDX header", fix)
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + math.prod(shape) * dtype.itemsize   # Python ints: NumPy's int64 product can wrap
    if len(raw) != expected:
        raise UserError(f"{path}: {len(raw)} bytes, but its header {shape} needs {expected} (truncated?)", fix)
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array: np.ndarray, compress: bool | None = None) -> None:
    """Inverse of :func:`read_idx`; gzip-compressed when ``compress`` (default: the name ends in .gz)."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    data = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data += np.ascontiguousarray(array, _DTYPES[code]).tobytes()
    if compress if compress is not None else str(path).endswith(".gz"):
        data = gzip.compress(data)
    with atomic_write(path) as temp:
        temp.write_bytes(data)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, target: Path, sha256: str, size: int | None = None, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``target`` through ``target.part``, resuming a partial ``.part`` with an
    HTTP Range request; the file is renamed onto ``target`` only once its SHA-256 matches.

    Network failures raise ``OSError`` (the caller tries the next mirror); a checksum mismatch
    deletes the part file and raises ``UserError``.
    """
    part = target.with_name(target.name + ".part")
    done = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={done}-"} if done else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code != 416:   # 416: the part is already complete
            raise
        response = None
    if response is not None:
        with response:
            if response.status != 206:   # the server ignored the Range header: start over
                done = 0
            with open(part, "ab" if done else "wb") as out, \
                    tqdm(total=size, initial=done, unit="B", unit_scale=True, desc=target.name, disable=None) as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
    actual = sha256_of(part)
    if actual != sha256:
        part.unlink()
        raise UserError(f"{url}: SHA-256 {actual[:12]}... does not match the expected {sha256[:12]}...",
                        "run the command again; if it keeps failing, download the file by hand")
    part.replace(target)
    return target


def mnist_folder(cache_dir=None) -> Path:
    """``<cache>/mnist``, created if needed."""
    folder = resolve_cache_dir(cache_dir) / SUBDIR
    folder.mkdir(exist_ok=True)
    return folder


def _manual_fix(folder: Path) -> str:
    names = ", ".join(name for pair in FILES.values() for name, _, _ in pair)
    return f"download {names} from {MIRRORS[0]} by hand into {folder}"


def download_mnist(cache_dir=None, splits=("train", "test"), mirrors=MIRRORS) -> list[Path]:
    """Download (or resume) the raw MNIST files of ``splits`` into ``<cache>/mnist``; files present are kept."""
    folder = mnist_folder(cache_dir)
    paths = []
    for split in splits:
        for name, size, sha256 in FILES[split]:
            target = folder / name
            if not target.is_file():
                errors = []
                for mirror in mirrors:
                    try:
                        fetch(mirror + name, target, sha256, size)
                        break
                    except OSError as error:
                        errors.append(f"{mirror}: {getattr(error, 'reason', error)}")
                else:
                    raise UserError(f"cannot download {name} ({'; '.join(errors)})", _manual_fix(folder))
            paths.append(target)
    return paths


def load_mnist(split: str, cache_dir=None, download: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Raw MNIST ``split``: images ``(N, 28, 28)`` uint8 and labels ``(N,)`` int64, from ``<cache>/mnist``."""
    if split not in FILES:
        raise UserError(f"unknown split {split!r}", "use 'train' or 'test'")
    folder = mnist_folder(cache_dir)
    if download:
        download_mnist(cache_dir, (split,))
    (image_name, _, _), (label_name, _, _) = FILES[split]
    for name in (image_name, label_name):
        if not (folder / name).is_file():
            raise UserError(f"raw MNIST file {folder / name} not found",
                            f"run `mnist-handwriting data download-mnist`, or {_manual_fix(folder)}")
    images, labels = read_idx(folder / image_name), read_idx(folder / label_name)
    count = COUNTS[split]
    if images.shape != (count, 28, 28) or images.dtype != np.uint8 or labels.shape != (count,) or labels.max() > 9:
        raise UserError(f"{folder}: {split} files hold {images.shape} images and {labels.shape} labels, "
                        f"expected {count} 28x28 uint8 images with labels 0..9", f"delete them and {_manual_fix(folder)}")
    return images, labels.astype(np.int64)
