"""Where data, cache and shipped weights live, and atomic file writes.

Data directory, in order: an explicit option, ``$MNIST_HANDWRITING_DATA``, then
``../shared/data`` relative to the current directory or to the package checkout.
Cache directory: an explicit option, ``$MNIST_HANDWRITING_CACHE``, then
``$XDG_CACHE_HOME/mnist-handwriting`` (default ``~/.cache/mnist-handwriting``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import UserError

DATA_ENV = "MNIST_HANDWRITING_DATA"
CACHE_ENV = "MNIST_HANDWRITING_CACHE"
PACKAGE_DIR = Path(__file__).resolve().parent
WEIGHTS_DIR = PACKAGE_DIR / "weights"


def default_data_candidates() -> list[Path]:
    """The places searched for the shared data when no option or variable names one."""
    return [Path.cwd() / ".." / "shared" / "data", PACKAGE_DIR.parent / ".." / "shared" / "data"]


def data_dir(option: str | os.PathLike | None = None, required: bool = True) -> Path | None:
    """Resolve the data directory (see the module docstring for the order).

    With ``required`` a missing directory raises ``UserError``; otherwise ``None`` is returned.
    """
    chosen = option or os.environ.get(DATA_ENV)
    if chosen:
        path = Path(chosen).expanduser()
        if path.is_dir():
            return path.resolve()
        if not required:
            return None
        source = "'data_dir'" if option else f"${DATA_ENV}"
        raise UserError(f"data directory {path} (from {source}) does not exist",
                        "point it at the folder holding mnist-stroke-sequences/, pendigits/ and human-samples/",
                        "data_dir")
    for candidate in default_data_candidates():
        if candidate.is_dir():
            return candidate.resolve()
    if not required:
        return None
    raise UserError("no data directory found (looked for ../shared/data)",
                    f"pass the folder as 'data_dir' or set ${DATA_ENV} to the folder holding "
                    "mnist-stroke-sequences/", "data_dir")


def cache_dir(option: str | os.PathLike | None = None) -> Path:
    """Resolve (and create) the cache directory."""
    chosen = option or os.environ.get(CACHE_ENV)
    if chosen:
        path = Path(chosen).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "mnist-handwriting"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create cache directory {path}: {error.strerror}",
                        f"pass a writable folder as 'cache_dir' or set ${CACHE_ENV} to one", "cache_dir") from None
    return path


def require_file(path: str | os.PathLike, what: str, fix: str, parameter: str | None = None) -> Path:
    """Return ``path`` as a Path if it is an existing file, else raise a UserError naming ``what``
    (``parameter``: the one ``fix`` names, see :class:`UserError`)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{what} not found: {path}", fix, parameter)
    return path


def output_path(path: str | os.PathLike, parameter: str = "out") -> Path:
    """Check that an output path's folder exists (the common user mistake) and return it.

    ``parameter``: the name errors give the path.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise UserError(f"output folder {path.parent} does not exist", f"create it first or choose another '{parameter}'",
                        parameter)
    return path


def current_umask() -> int:
    """The process umask (reading it requires setting it, so set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds.

    An exception (or Ctrl-C) inside the block removes the temporary file, so no
    half-written output is ever left at ``path``. ``suffix`` defaults to the target's
    suffix, because some writers append their own otherwise (for ``.npz`` use :func:`save_npz`).
    """
    path = output_path(path)
    if path.is_dir():   # os.replace would fail only after the block did its work
        raise UserError(f"output {path} is a folder", "give a file name, not a folder, as 'out'", "out")
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix if suffix is not None else path.suffix,
                                         dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        yield temp
        if temp.is_file():
            temp.chmod(0o666 & ~current_umask())  # mkstemp makes 0600 files; give the usual permissions
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def save_npz(path: str | os.PathLike, compressed: bool = True, **arrays) -> None:
    """Write ``arrays`` to the ``.npz`` at ``path`` atomically, whatever the path's suffix.

    Writing through an open file stops NumPy from appending ``.npz`` to a name that lacks it
    (which would leave the real data beside an empty file at ``path``).
    """
    with atomic_write(path) as temp, open(temp, "wb") as handle:
        import numpy as np   # lazily: the CLI's --help must not wait for numpy

        (np.savez_compressed if compressed else np.savez)(handle, **arrays)
