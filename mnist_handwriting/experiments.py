"""Experiments from the founding note that probe what a model has learned."""

from __future__ import annotations

import numpy as np

CONSTANT_VALUES = (0, 255)
"""The note's constant inputs: an all-black and an all-white image."""


def constant_input(converter) -> tuple[np.ndarray, np.ndarray]:
    """Draw every label from constant images (the note's "interesting things" section).

    Returns ``points: (20, T, 3)`` and ``labels: (20,)``: first the ten digits drawn from an
    all-zero image, then the ten drawn from an all-255 image. With no image to follow,
    the model shows its idea of an average digit of each class.
    """
    labels = np.tile(np.arange(10, dtype=np.int64), len(CONSTANT_VALUES))
    images = np.repeat(np.array(CONSTANT_VALUES, np.uint8), 10)[:, None, None] * np.ones((1, 28, 28), np.uint8)
    return converter.convert(images, labels), labels
