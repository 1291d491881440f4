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


def rasteriser_figure(points: np.ndarray, softness: tuple[float, ...] = (2.0, 5.0, 20.0), scale: int = 3):
    """Every rasteriser drawing the same ``points: (N, T, 3)`` (strokes convention), one row each.

    Rows: exact 1-pixel lines, exact anti-aliased 1-pixel pen, soft-line at each ``softness``
    (in units of ``size``: s = k * 28; pen-up segments get softness 0, as the note's model
    "lifts the pen"), learned-line (if its weights are shipped), distance-field. Soft images
    are composited by sum (the note's) and clipped to [0, 1] for display.
    """
    import torch

    from ..errors import UserError
    from . import make_rasteriser
    from ..strokes import PIXELS
    from .exact import draw_batch

    size = PIXELS
    points = np.asarray(points, dtype=np.float32)
    tensor = torch.from_numpy(points)
    pen_up = tensor[..., 2:]
    rows = [draw_batch(points, size), draw_batch(points, size, pen_width=1.0)]
    labels = ["exact", "exact, pen 1 px"]
    with torch.no_grad():
        for k in softness:
            soft = torch.cat([tensor[..., :2], k * size * (1 - pen_up)], dim=-1)
            rows.append(make_rasteriser("soft-line", size)(soft).numpy())
            labels.append(f"soft-line s={k:g}x28")
        try:
            rows.append(make_rasteriser("learned-line", size)(tensor).numpy())
            labels.append("learned-line")
        except UserError:
            pass
        rows.append(make_rasteriser("distance-field", size)(tensor).numpy())
        labels.append("distance-field")
    return image_grid(rows, labels, scale=scale)
