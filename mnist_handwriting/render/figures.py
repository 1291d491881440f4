"""Labelled image grids for comparing rasterisers (white ink on black, like MNIST)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw


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
