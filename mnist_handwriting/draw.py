"""Image files of digits (any size, any polarity, photos of paper included) to strokes.

:func:`read_digit_images` prepares each file the MNIST way (:mod:`.data.preprocess`);
:func:`choose_labels` takes the given labels or asks the shipped classifier;
:func:`save_drawing` writes the result in the format its suffix names.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UserError
from .formats import check_labels, output_suffix, save_handwriting_file
from .paths import atomic_write

OUTPUT_SUFFIXES = (".svg", ".json", ".gif", ".npz")


@dataclass
class Labels:
    """Labels of the drawn digits, whether they were predicted, and the classifier's confidence."""

    values: np.ndarray          # (N,) int64
    predicted: bool
    confidence: np.ndarray      # (N,) float32; 1 for given labels


def read_digit_images(paths: list[str | os.PathLike]) -> np.ndarray:
    """Image files -> thinned model inputs ``(N, 28, 28)`` uint8."""
    from .data.preprocess import load_image, prepare

    return np.stack([prepare(load_image(path)) for path in paths])


def choose_labels(images: np.ndarray, given: list[int] | None, device="cpu") -> Labels:
    """One label per image: ``given`` (one for all, or one each) or the shipped classifier's prediction."""
    if given:
        if len(given) not in (1, len(images)):
            raise UserError(f"{len(given)} labels for {len(images)} images", "give one --label for all, or one per image")
        values = check_labels(np.resize(np.asarray(given), len(images)), len(images), "--label")
        return Labels(values, False, np.ones(len(images), np.float32))
    from .models.classifier import load_classifier, predict

    values, probabilities = predict(load_classifier(device), images)
    return Labels(values, True, probabilities[np.arange(len(values)), values])


def drawing_json(points: np.ndarray, labels: Labels, sources: list[str]) -> str:
    """The drawn digits as JSON: one object per image with its label, label source and points."""
    digits = [{"source": source, "label": int(label), "label_predicted": labels.predicted,
               "label_confidence": round(float(confidence), 4),
               "points": [[round(float(x), 5), round(float(y), 5), int(pen)] for x, y, pen in trajectory]}
              for source, label, confidence, trajectory in zip(sources, labels.values, labels.confidence, points)]
    return json.dumps({"convention": "x right, y down, 1.0 = 28 px; pen_up = 1: pen lifted after the point",
                       "digits": digits}, indent=1)


def save_drawing(path: str | os.PathLike, points: np.ndarray, labels: Labels, sources: list[str], fps: int = 10) -> Path:
    """Write ``points: (N, T, 3)`` to ``path`` as SVG (one digit), JSON, an animated GIF or a handwriting .npz."""
    path = Path(path)
    suffix = output_suffix(path, OUTPUT_SUFFIXES)
    if suffix == ".npz":
        save_handwriting_file(path, points, labels.values)
    elif suffix == ".gif":
        from .viz.animate import drawing_frames, save_gif

        save_gif(drawing_frames(points, labels=labels.values, fps=fps), path, fps)
    elif suffix == ".svg":
        if len(points) != 1:
            raise UserError(f"an SVG file holds one digit, but {len(points)} images were given",
                            "draw one image per SVG, or write .json / .npz / .gif for several")
        from .export.svg import to_svg

        with atomic_write(path) as temp:
            temp.write_text(to_svg(points[0], labels.values[0]), encoding="utf-8")
    else:
        with atomic_write(path) as temp:
            temp.write_text(drawing_json(points, labels, sources), encoding="utf-8")
    return path
