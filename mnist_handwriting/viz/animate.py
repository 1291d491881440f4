"""GIF animations: digits drawn point by point, and the founding note's three-row figure.

Frame ``k`` shows the first ``k`` points of every trajectory (colours and markers as in
:mod:`.grid`, the pen's current point in red), then the finished drawing is held for a
second. GIFs store frame durations in hundredths of a second and browsers slow frames
under 20 ms down, so :func:`save_gif` allows 1..50 frames per second.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageDraw

from ..errors import UserError
from ..formats import check_images, check_labels, check_points
from ..paths import atomic_write
from .grid import SUPERSAMPLE, draw_cell, label_font, render_grid

MAX_FPS = 50
"""20 ms per frame, the shortest GIF frame browsers honour."""


def _as_batch(points: np.ndarray) -> np.ndarray:
    points = np.asarray(points)
    return check_points(points[None] if points.ndim == 2 else points, "animation")


def _hold_frames(fps: int) -> int:
    """Copies of the last frame that hold it for about a second."""
    return max(1, int(fps))


def drawing_frames(points: np.ndarray, size: int = 112, labels=None, columns: int = 10,
                   fps: int = 10, captions: list[str] | None = None) -> list[Image.Image]:
    """Frames of ``points: (T, 3)`` (or a grid of ``(N, T, 3)``) being drawn point by point, ``size`` px a cell;
    ``captions``: one text per cell instead of its label."""
    points = _as_batch(points)
    if labels is not None:
        labels = check_labels(labels, len(points), "animation labels")
    steps = points.shape[1]
    frames = [render_grid(points[:, :k], labels, None, columns, size, colour_steps=steps - 1, pen=k < steps,
                          captions=captions)
              for k in range(1, steps + 1)]
    return frames + [frames[-1]] * _hold_frames(fps)


def _tile(image: np.ndarray, side: int) -> Image.Image:
    """An ``(S, S)`` image (uint8, or floats in [0, 1]), ink bright, as a black-on-white ``side`` tile."""
    image = np.asarray(image)
    ink = image.astype(np.float64) / 255 if image.dtype == np.uint8 else np.clip(image.astype(np.float64), 0, 1)
    grey = np.round(255 * (1 - ink)).astype(np.uint8)
    return Image.fromarray(grey, "L").resize((side, side), Image.NEAREST).convert("RGB")


def note_animation(images: np.ndarray, points: np.ndarray, reconstructions: np.ndarray, fps: int = 10,
                   cell: int = 84) -> list[Image.Image]:
    """The note's figure: rows input image / drawing point by point / reconstruction, a column per digit.

    ``images: (N, 28, 28)`` uint8, ``points: (N, T, 3)``, ``reconstructions: (N, S, S)`` floats
    in [0, 1] (e.g. the rasteriser's output) or uint8. Returns the frames for :func:`save_gif`.
    """
    points = _as_batch(points)
    images = check_images(images, "animation images")
    reconstructions = np.asarray(reconstructions)
    count = len(points)
    if len(images) != count or len(reconstructions) != count or reconstructions.ndim != 3:
        raise UserError(f"animation needs one image, trajectory and reconstruction per digit, got "
                        f"{len(images)}, {count}, {reconstructions.shape}", "give (N, 28, 28), (N, T, 3), (N, S, S)")
    margin = cell
    base = Image.new("RGB", (margin + count * cell, 3 * cell), "white")
    draw = ImageDraw.Draw(base)
    font = label_font(max(10, cell // 7))
    for row, title in enumerate(("input", "drawing", "output")):
        draw.text((4, row * cell + cell // 2 - 6), title, fill=(0, 0, 0), font=font)
    for n in range(count):
        base.paste(_tile(images[n], cell), (margin + n * cell, 0))
        base.paste(_tile(reconstructions[n], cell), (margin + n * cell, 2 * cell))
    frames = []
    for drawing in drawing_frames(points, size=cell, columns=count, fps=fps):
        frame = base.copy()
        frame.paste(drawing, (margin, cell))
        frames.append(frame)
    return frames


def check_fps(fps: int) -> int:
    """Validate a GIF frame rate (1..50 frames per second)."""
    if not 1 <= fps <= MAX_FPS:
        raise UserError(f"frame rate {fps} is outside 1..{MAX_FPS} frames per second",
                        "GIF frames last at least 20 ms; choose 'fps' between 1 and 50", "fps")
    return fps


def save_gif(frames: list[Image.Image], path: str | os.PathLike, fps: int = 10) -> None:
    """Write ``frames`` as a looping GIF at ``fps`` frames per second (1..50), atomically."""
    check_fps(fps)
    if not frames:
        raise UserError("no frames to save", "give at least one frame")
    duration = max(20, int(round(100 / fps)) * 10)  # GIF counts in 10 ms units
    with atomic_write(path, suffix=".gif") as temp:
        frames[0].save(temp, format="GIF", save_all=True, append_images=frames[1:], duration=duration, loop=0,
                       optimize=True)


def writing_frames(writing, cell: int = 112, fps: int = 10, max_frames: int = 45) -> list:
    """GIF frames of a :class:`mnist_handwriting.write.Writing` being drawn (colours as :mod:`.grid`), ``cell`` px
    a digit cell, the end held a second.

    Long writings add several points a frame, so a GIF has at most ``max_frames`` drawing frames.
    """
    big = cell * SUPERSAMPLE
    size = (max(1, round(writing.width * cell)), cell)
    steps = len(writing.points)
    frames = []
    for k in np.unique(np.linspace(1, steps, min(steps, max_frames)).round().astype(int)):
        canvas = Image.new("RGB", (round(writing.width * big), big), "white")
        draw_cell(ImageDraw.Draw(canvas), writing.points[:k], (0, 0), big, steps - 1, pen=k < steps)
        frames.append(canvas.resize(size, Image.LANCZOS))
    return frames + [frames[-1]] * _hold_frames(fps)
