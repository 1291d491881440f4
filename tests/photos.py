"""Test helper: a digit as a phone photo of paper, for the preprocessing's robustness tests."""

import numpy as np
from skimage.transform import resize


def photographed(ink: np.ndarray, rng: np.random.Generator, side: int = 112) -> np.ndarray:
    """Ink levels ``(H, W)`` in [0, 1] as a ``side`` x ``side`` photo in [0, 1]: grey pencil on paper
    lit unevenly (darker towards one corner), sensor noise and a speck of dirt near the border."""
    ink = np.clip(resize(np.asarray(ink, np.float32), (side, side), order=3), 0, 1)
    rows, cols = np.indices(ink.shape) / side
    paper = 0.6 + 0.3 * (rows + cols) / 2
    photo = paper * (1 - 0.8 * ink) + rng.normal(0, 0.04, ink.shape)
    photo[4:7, side - 12:side - 9] = 0.1
    return np.clip(photo, 0, 1)
