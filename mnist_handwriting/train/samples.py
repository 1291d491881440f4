"""A small PNG of sample reconstructions written at the end of a run (Pillow only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..paths import atomic_write

SCALE = 3
"""Each 28x28 digit is shown at 84x84 pixels."""


def reconstruction_grid(inputs: torch.Tensor, rendered: torch.Tensor) -> np.ndarray:
    """``inputs, rendered: (K, 28, 28)`` in [0, 1] -> uint8 ``(2 * 28 * SCALE, K * 28 * SCALE)``: inputs above, renders below."""
    rows = [torch.cat(list(images.detach().float().cpu().clamp(0, 1)), dim=1) for images in (inputs, rendered)]
    grid = (torch.cat(rows, dim=0).numpy() * 255).round().astype(np.uint8)
    return np.kron(grid, np.ones((SCALE, SCALE), np.uint8))


def save_reconstructions(path: Path, inputs: torch.Tensor, rendered: torch.Tensor) -> Path:
    """Write :func:`reconstruction_grid` as a greyscale PNG at ``path``."""
    with atomic_write(path) as temp:
        Image.fromarray(reconstruction_grid(inputs, rendered), mode="L").save(temp, format="PNG")
    return path
