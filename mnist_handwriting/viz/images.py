"""Rows of 28x28 images as pictures (Pillow only): a run's sample reconstructions, labelled comparisons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

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


def image_grid(rows: list[np.ndarray], labels: list[str], scale: int = 3, gap: int = 2,
               label_width: int = 110) -> Image.Image:
    """One row per ``rows[i]: (N, H, W)`` (values clipped to [0, 1]) with ``labels[i]`` on its left."""
    height, width = rows[0].shape[1:]
    count = max(len(row) for row in rows)
    cell_h, cell_w = height * scale + gap, width * scale + gap
    canvas = Image.new("L", (label_width + count * cell_w, len(rows) * cell_h), 40)
    draw = ImageDraw.Draw(canvas)
    for r, (row, label) in enumerate(zip(rows, labels)):
        draw.text((4, r * cell_h + cell_h // 2 - 6), label, fill=255)
        for c, image in enumerate(row):
            pixels = (np.clip(image, 0, 1) * 255).astype(np.uint8)
            tile = Image.fromarray(pixels).resize((width * scale, height * scale), Image.NEAREST)
            canvas.paste(tile, (label_width + c * cell_w, r * cell_h))
    return canvas
