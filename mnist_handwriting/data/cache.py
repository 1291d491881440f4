"""Cache decoded digit sets as ``.npz`` files keyed by a format version and their sources' size and mtime."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..paths import cache_dir as resolve_cache_dir, save_npz
from .digits import DigitSet

FORMAT_VERSION = 2
"""Bump when the decoding changes, so stale caches are rebuilt instead of read."""


def cache_path(name: str, sources: Sequence[Path], cache_dir=None) -> Path:
    """``<cache>/<name>-v<version>-<key>.npz``; the key changes when any source's size or mtime changes."""
    stamp = "|".join(f"{Path(s).resolve()}:{Path(s).stat().st_size}:{Path(s).stat().st_mtime_ns}" for s in sources)
    key = hashlib.sha256(stamp.encode()).hexdigest()[:16]
    return resolve_cache_dir(cache_dir) / f"{name}-v{FORMAT_VERSION}-{key}.npz"


def save_digits(digits: DigitSet, path: Path) -> None:
    """Write ``digits`` to ``path`` (uncompressed, so loading is a plain read), atomically."""
    writers = np.zeros(0, np.int64) if digits.writers is None else digits.writers
    save_npz(path, compressed=False, images=digits.images, labels=digits.labels, points=digits.points,
             offsets=digits.offsets, writers=writers, has_writers=np.array(digits.writers is not None))


def load_digits(path: Path) -> DigitSet | None:
    """Read a cached set; ``None`` if the file is missing or unreadable (it is then rebuilt)."""
    try:
        with np.load(path) as data:
            arrays = {k: data[k] for k in ("images", "labels", "points", "offsets", "writers", "has_writers")}
        return DigitSet(images=arrays["images"], labels=arrays["labels"], points=arrays["points"],
                        offsets=arrays["offsets"], writers=arrays["writers"] if arrays["has_writers"] else None)
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def cached(name: str, sources: Sequence[Path], build: Callable[[], DigitSet], cache_dir=None) -> DigitSet:
    """Load ``name`` from the cache, or ``build()`` it from ``sources`` and cache it."""
    path = cache_path(name, sources, cache_dir)
    digits = load_digits(path) if path.is_file() else None
    if digits is None:
        digits = build()
        save_digits(digits, path)
    return digits
