"""Where the data is, and every built-in dataset by name (no data is read at import).

:class:`Locations` resolves the shared data folder and the cache once, on first use, in
the order of :mod:`mnist_handwriting.paths` (option, environment variable, default).
:data:`SETS` maps a name to the loader of a digit set (:func:`load`): ``mnist-train`` and
``mnist-test`` (de Jong's thinned MNIST), ``pendigits`` (UCI, 30 writers) and
``human-samples`` (the note's 32). The image datasets that commands convert
(:data:`DATASETS`, :func:`dataset_images`) are ``mnist-*`` (the thinned MNIST sets, or
both) and ``raw-mnist-*``: the official MNIST IDX files in the cache (``mnist-handwriting
data download-mnist``), thinned by our own preprocessing, for machines without the shared
data. :data:`INPUT_MODES` says how an images file of the user's becomes model inputs
(:func:`mnist_handwriting.data.preprocess.prepare_inputs`).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import UserError

if TYPE_CHECKING:
    import numpy as np


@dataclass
class Locations:
    """The shared data folder and the cache folder, each resolved once when first used."""

    data_dir: str | os.PathLike | None = None    # option; None: $MNIST_HANDWRITING_DATA, then ../shared/data
    cache_dir: str | os.PathLike | None = None   # option; None: $MNIST_HANDWRITING_CACHE, then ~/.cache/...

    @functools.cached_property
    def data(self) -> Path:
        """The data folder (a ``UserError`` naming ``data_dir`` if there is none)."""
        from ..paths import data_dir

        return data_dir(self.data_dir)

    @functools.cached_property
    def cache(self) -> Path:
        """The cache folder, created if needed."""
        from ..paths import cache_dir

        return cache_dir(self.cache_dir)


@dataclass(frozen=True)
class Source:
    """A built-in digit set: how listings name it, and its loader."""

    title: str
    load: Callable[[Locations], object]   # -> a DigitSet (mnist_handwriting.data.digits)


def _thinned(split: str) -> Callable[[Locations], object]:
    def load(at: Locations):
        from .stroke_sequences import load_thinned_mnist

        return load_thinned_mnist(split, at.data, at.cache)
    return load


def _pendigits(at: Locations):
    from .human import load_pendigits

    return load_pendigits(at.data, at.cache)


def _human_samples(at: Locations):
    from .human import load_human_samples

    return load_human_samples(at.data)


SETS = {
    "mnist-train": Source("thinned-mnist train", _thinned("train")),
    "mnist-test": Source("thinned-mnist test", _thinned("test")),
    "pendigits": Source("pendigits", _pendigits),
    "human-samples": Source("human-samples", _human_samples),
}
"""Every built-in digit set by name."""
THINNED_SPLITS = {"mnist-train": ("mnist-train",), "mnist-test": ("mnist-test",), "mnist-all": ("mnist-train", "mnist-test")}
DATASETS = (*THINNED_SPLITS, *(f"raw-{name}" for name in THINNED_SPLITS))
"""Names of the image datasets that commands convert."""
INPUT_MODES = ("thinned", "raw", "auto")
"""``thinned``: images are model inputs as they are; ``raw``: thin every image; ``auto``: thin those that are not skeletons."""


def load(name: str, locations: Locations | None = None):
    """The digit set called ``name`` (see :data:`SETS`), through the cache."""
    if name not in SETS:
        raise UserError(f"unknown digit set {name!r}", f"use one of {', '.join(SETS)}")
    return SETS[name].load(locations or Locations())


def dataset_images(name: str, locations: Locations | None = None) -> tuple[np.ndarray, np.ndarray]:
    """An image dataset (see :data:`DATASETS`) as thinned ``images: (N, 28, 28) uint8, labels: (N,)``."""
    if name not in DATASETS:
        raise UserError(f"unknown dataset {name!r}", f"use one of {', '.join(DATASETS)}", "dataset")
    import numpy as np

    locations = locations or Locations()
    if name.startswith("raw-"):
        from .idx import load_mnist
        from .preprocess import thin

        parts = [load_mnist(split.removeprefix("mnist-"), locations.cache)
                 for split in THINNED_SPLITS[name.removeprefix("raw-")]]
        return thin(np.concatenate([images for images, _ in parts])), np.concatenate([labels for _, labels in parts])
    try:
        sets = [load(split, locations) for split in THINNED_SPLITS[name]]
    except UserError as error:
        raise UserError(error.problem, f"{error.fix}; or choose 'dataset' raw-{name} after "
                                       "`mnist-handwriting data download-mnist`", ("data_dir", "dataset")) from None
    return np.concatenate([s.images for s in sets]), np.concatenate([s.labels for s in sets])
