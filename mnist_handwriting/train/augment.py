"""Augmentation of the paired human digits (issue 7): the input image changes style, the target
trajectory moves with it.

- affine jitter: a small random linear map about the centre plus a shift, applied to the
  trajectory, so image and target stay paired;
- stroke width: the trajectory drawn with a thick pen and thinned by our own MNIST thinning
  (:func:`mnist_handwriting.data.preprocess.thin`), the way thinned MNIST and thinned photos
  are made (skeleton spurs, merged loops, shortened ends);
- skeleton noise: a fraction of the ink pixels dropped and as many added next to the ink.
"""

from __future__ import annotations

import numpy as np

from ..data.human import thick_thin, thin_render

CENTRE = 0.5
"""The affine jitter is applied about the image centre (the digits' centre of mass)."""
MIN_WIDTH = 1.5
"""Thinnest pen (px) of the stroke-width augmentation: the width is uniform in [MIN_WIDTH, augment.width]."""


def affine_jitter(points: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """``points: (T, 3)`` moved by ``x -> (I + E)(x - c) + c + s``; E, s uniform in ±``amount``; clipped to [0, 1]."""
    matrix = np.eye(2) + rng.uniform(-amount, amount, (2, 2))
    shift = rng.uniform(-amount, amount, 2)
    out = np.array(points, np.float32)
    out[:, :2] = np.clip((out[:, :2] - CENTRE) @ matrix.T + CENTRE + shift, 0.0, 1.0)
    return out


def skeleton_noise(image: np.ndarray, rng: np.random.Generator, rate: float) -> np.ndarray:
    """Drop ``round(rate * ink)`` ink pixels of ``image: (28, 28)`` uint8 and add as many among their 8-neighbours."""
    ink = image > 0
    count = int(round(rate * ink.sum()))
    if count == 0:
        return image.copy()
    padded = np.pad(ink, 1)
    near = np.zeros_like(ink)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            near |= padded[1 + dy:29 + dy, 1 + dx:29 + dx]
    out = ink.copy()
    on, free = np.flatnonzero(ink), np.flatnonzero(near & ~ink)
    out.flat[rng.choice(on, min(count, len(on) - 1), replace=False)] = False   # keep at least one pixel
    if len(free):
        out.flat[rng.choice(free, min(count, len(free)), replace=False)] = True
    return out.astype(np.uint8) * 255


def augment(points: np.ndarray, rng: np.random.Generator, affine: float = 0.0, width: float = 0.0,
            noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """One augmented copy of a human digit ``points: (T, 3)``: (moved trajectory, input image ``(28, 28)`` uint8)."""
    if affine:
        points = affine_jitter(points, rng, affine)
    image = thick_thin(points, rng.uniform(MIN_WIDTH, max(width, MIN_WIDTH))) if width else thin_render(points)
    if noise:
        image = skeleton_noise(image, rng, noise)
    return points, image
