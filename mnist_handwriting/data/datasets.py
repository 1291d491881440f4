"""The built-in datasets by name, for every command that reads digits (no data is read at import).

``mnist-*``: de Jong's thinned MNIST from the shared data; ``raw-mnist-*``: the official
MNIST IDX files in the cache (``mnist-handwriting data download-mnist``), thinned by our own
preprocessing, for machines without the shared data. :data:`INPUT_MODES` says how an images
file of the user's is made into model inputs (:func:`mnist_handwriting.convert.prepare_inputs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UserError

if TYPE_CHECKING:
    import numpy as np

THINNED_SPLITS = {"mnist-train": ("train",), "mnist-test": ("test",), "mnist-all": ("train", "test")}
DATASETS = (*THINNED_SPLITS, *(f"raw-{name}" for name in THINNED_SPLITS))
"""Names of the built-in datasets."""
INPUT_MODES = ("thinned", "raw", "auto")
"""``thinned``: images are model inputs as they are; ``raw``: thin every image; ``auto``: thin those that are not skeletons."""


def dataset_images(name: str, data_dir=None, cache_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """A built-in dataset (see :data:`DATASETS`) as thinned ``images: (N, 28, 28) uint8, labels: (N,)``."""
    if name not in DATASETS:
        raise UserError(f"unknown dataset {name!r}", f"use one of {', '.join(DATASETS)}")
    import numpy as np

    if name.startswith("raw-"):
        from .idx import load_mnist
        from .preprocess import thin

        parts = [load_mnist(split, cache_dir) for split in THINNED_SPLITS[name.removeprefix("raw-")]]
        return thin(np.concatenate([images for images, _ in parts])), np.concatenate([labels for _, labels in parts])
    from .stroke_sequences import load_thinned_mnist

    try:
        splits = [load_thinned_mnist(split, data_dir, cache_dir) for split in THINNED_SPLITS[name]]
    except UserError as error:
        raise UserError(error.problem, f"{error.fix}; or choose 'dataset' raw-{name} after "
                                       "`mnist-handwriting data download-mnist`", ("data_dir", "dataset")) from None
    return np.concatenate([s.images for s in splits]), np.concatenate([s.labels for s in splits])
