"""A PNG-ready grid of trajectories: strokes coloured by drawing order, the start point marked.

Each cell shows one digit in the unit square (``1.0`` = the cell side):

- pen-down segments coloured from dark purple (first) through teal to yellow (last), a
  viridis-like ramp, so the drawing order reads at a glance; a one-point stroke is a dot;
- pen-up jumps as thin light-grey dashed lines, so the order between strokes stays visible
  without looking like ink;
- the start point as a black ring;
- optionally the 28x28 input image underneath in light grey, and the label in the top-left
  corner (with a predicted label, ``7/1`` - label/prediction - in red when they differ).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..errors import UserError
from ..formats import check_images, check_labels, check_points

RAMP = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], np.float64)
"""Anchors of the early-to-late colour ramp (the viridis colour map at 0, 1/4, ..., 1)."""
SUPERSAMPLE = 3
"""Draw this much larger and shrink, because ImageDraw lines are not anti-aliased."""
JUMP = (190, 190, 190)
GRID_LINE = (225, 225, 225)
UNDER_GREY = 205
"""Grey level (0 black .. 255 white) of a fully inked pixel of the image drawn underneath."""


def order_colour(t: float) -> tuple[int, int, int]:
    """Colour at ``t`` in [0, 1] on the early (0) to late (1) ramp."""
    position = float(np.clip(t, 0, 1)) * (len(RAMP) - 1)
    low = min(int(position), len(RAMP) - 2)
    mix = RAMP[low] + (RAMP[low + 1] - RAMP[low]) * (position - low)
    return tuple(int(round(c)) for c in mix)


def label_font(size: int) -> ImageFont.ImageFont:
    """Pillow's built-in font at ``size`` px where supported."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has only the fixed bitmap font
        return ImageFont.load_default()


def _dashed(draw: ImageDraw.ImageDraw, start: np.ndarray, end: np.ndarray, dash: float, width: int) -> None:
    length = float(np.linalg.norm(end - start))
    pieces = max(1, int(length / dash))
    for k in range(0, pieces, 2):
        a = start + (end - start) * (k / pieces)
        b = start + (end - start) * (min(k + 1, pieces) / pieces)
        draw.line([tuple(a), tuple(b)], fill=JUMP, width=width)


def draw_cell(draw: ImageDraw.ImageDraw, points: np.ndarray, origin: tuple[int, int], side: int,
              colour_steps: int | None = None, pen: bool = False) -> None:
    """Draw ``points: (T, 3)`` into the square at ``origin`` of ``side`` pixels.

    Colours run over ``colour_steps`` segments (default ``T - 1``), so a partly drawn digit
    (an animation frame) keeps the colours of the whole one. ``pen`` marks the last point.
    """
    if len(points) == 0:
        return
    xy = points[:, :2].astype(np.float64) * side + np.array(origin)
    steps = max((colour_steps or len(points) - 1), 1)
    width = max(1, round(side / 28 * 1.3))
    for i in range(len(points) - 1):
        if points[i, 2] > 0.5:
            _dashed(draw, xy[i], xy[i + 1], dash=side / 40, width=max(1, width // 3))
    for i in range(len(points)):
        colour = order_colour(i / steps)
        lifted_before = i == 0 or points[i - 1, 2] > 0.5
        if i + 1 < len(points) and points[i, 2] <= 0.5:
            draw.line([tuple(xy[i]), tuple(xy[i + 1])], fill=colour, width=width)
            r = width / 2  # round joints: ImageDraw's wide lines have square ends
            draw.ellipse([xy[i + 1, 0] - r, xy[i + 1, 1] - r, xy[i + 1, 0] + r, xy[i + 1, 1] + r], fill=colour)
        elif lifted_before:
            r = width * 0.8  # a one-point stroke: a dot
            draw.ellipse([xy[i, 0] - r, xy[i, 1] - r, xy[i, 0] + r, xy[i, 1] + r], fill=colour)
    ring = width * 1.6
    x, y = xy[0]
    draw.ellipse([x - ring, y - ring, x + ring, y + ring], outline=(0, 0, 0), width=max(1, width // 2))
    if pen:
        x, y = xy[-1]
        dot = ring * 0.7
        draw.ellipse([x - dot, y - dot, x + dot, y + dot], fill=(220, 30, 30))


def image_under(image: np.ndarray, side: int) -> Image.Image:
    """A 28x28 uint8 image (ink bright) as a light-grey ``side`` x ``side`` RGB tile."""
    ink = np.asarray(image, np.float64) / 255
    grey = np.round(255 - ink * (255 - UNDER_GREY)).astype(np.uint8)
    return Image.fromarray(grey, "L").resize((side, side), Image.NEAREST).convert("RGB")


def render_grid(points: np.ndarray, labels=None, images=None, columns: int = 10, cell: int = 84,
                predicted_labels=None, colour_steps: int | None = None, pen: bool = False,
                captions: list[str] | None = None) -> Image.Image:
    """The grid of :func:`trajectory_grid`, with the animation options of :func:`draw_cell`; ``captions``: one text
    per cell written in its corner instead of the label."""
    count = len(points)
    columns = max(1, min(columns, count))
    rows = max(1, -(-count // columns))
    big = cell * SUPERSAMPLE
    canvas = Image.new("RGB", (columns * big, rows * big), "white")
    if images is not None:
        for n in range(count):
            canvas.paste(image_under(images[n], big), ((n % columns) * big, (n // columns) * big))
    draw = ImageDraw.Draw(canvas)
    for n in range(1, columns):
        draw.line([(n * big, 0), (n * big, rows * big)], fill=GRID_LINE, width=SUPERSAMPLE)
    for n in range(1, rows):
        draw.line([(0, n * big), (columns * big, n * big)], fill=GRID_LINE, width=SUPERSAMPLE)
    for n in range(count):
        draw_cell(draw, points[n], ((n % columns) * big, (n // columns) * big), big, colour_steps, pen)
    canvas = canvas.resize((columns * cell, rows * cell), Image.LANCZOS)
    if labels is not None or captions is not None:
        draw = ImageDraw.Draw(canvas)
        font = label_font(max(10, cell // 6))
        for n in range(count):
            text, colour = captions[n] if captions is not None else str(int(labels[n])), (0, 0, 0)
            if captions is None and predicted_labels is not None and int(predicted_labels[n]) != int(labels[n]):
                text, colour = f"{int(labels[n])}/{int(predicted_labels[n])}", (200, 0, 0)
            draw.text(((n % columns) * cell + 3, (n // columns) * cell + 1), text, fill=colour, font=font)
    return canvas


def trajectory_grid(points: np.ndarray, labels=None, images=None, columns: int = 10, cell: int = 84,
                    predicted_labels=None, captions: list[str] | None = None) -> Image.Image:
    """Draw ``points: (N, T, 3)`` as a grid of ``columns`` cells of ``cell`` pixels (see the module docstring).

    ``labels``/``predicted_labels``: ``(N,)`` digits; ``images``: ``(N, 28, 28)`` uint8 drawn underneath;
    ``captions``: N texts written instead of the labels.
    """
    points = check_points(points, "trajectory grid")
    if len(points) == 0:
        raise UserError("no trajectories to draw", "give at least one digit")
    if columns < 1 or cell < 8:
        raise UserError(f"grid of {columns} columns of {cell} px is too small", "use columns >= 1 and cell >= 8")
    if labels is not None:
        labels = check_labels(labels, len(points), "trajectory grid labels")
    if predicted_labels is not None:
        predicted_labels = check_labels(predicted_labels, len(points), "trajectory grid predicted labels")
    if images is not None:
        images = check_images(images, "trajectory grid images")
        if len(images) != len(points):
            raise UserError(f"{len(images)} images for {len(points)} trajectories", "give one image per digit")
    if captions is not None and len(captions) != len(points):
        raise UserError(f"{len(captions)} captions for {len(points)} trajectories", "give one caption per digit")
    return render_grid(points, labels, images, columns, cell, predicted_labels, captions=captions)


def proposal_captions(labels: np.ndarray, probabilities: np.ndarray) -> list[str]:
    """``"5 62%"`` for each proposal of ``probabilities: (N, K)``, row by row (the cells of a proposals grid)."""
    return [f"{int(label)} {p:.0%}" for label, row in zip(labels, probabilities) for p in row]


def pick(total: int, count: int, seed: int | None = None) -> np.ndarray:
    """Indices of ``count`` of ``total`` digits: the first ones, or a sorted random sample for a ``seed``."""
    count = min(count, total)
    if seed is None:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(total, size=count, replace=False))
