"""Image files of digits (any size, any polarity, photos of paper included) to strokes.

:func:`read_digit_images` prepares each file the MNIST way (:mod:`.data.preprocess`);
:func:`choose_labels` takes the given labels or asks the shipped classifier;
:func:`save_drawing` writes the result in the format its suffix names
(:func:`mnist_handwriting.export.outputs.save_output`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UserError
from .export.outputs import json_text, points_list, save_output
from .export.svg import to_svg
from .formats import check_labels, save_handwriting_file, save_proposals_file


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


def choose_labels(images: np.ndarray, given: list[int] | None, device="cpu", classifier=None) -> Labels:
    """One label per image: ``given`` (one for all, or one each) or the classifier's prediction.

    ``classifier``: a loaded one (:func:`mnist_handwriting.models.classifier.load_classifier`);
    default: the shipped one, loaded on ``device``.
    """
    if given:
        if len(given) not in (1, len(images)):
            raise UserError(f"{len(given)} labels for {len(images)} images", "give one of the 'labels' for all, or one per image",
                            "labels")
        values = check_labels(np.resize(np.asarray(given), len(images)), len(images), "labels")
        return Labels(values, False, np.ones(len(images), np.float32))
    from .models.classifier import load_classifier, predict

    values, probabilities = predict(classifier or load_classifier(device), images)
    return Labels(values, True, probabilities[np.arange(len(values)), values])


def drawing_json(points: np.ndarray, labels: Labels, sources: list[str], probabilities: np.ndarray | None = None) -> str:
    """The drawn digits as JSON: one object per image with its label, label source and points; with
    ``probabilities: (N, K)`` (``points: (N, K, T, 3)``) its proposals too, most probable first (``points`` is the first)."""
    digits = []
    for n, (source, label, confidence) in enumerate(zip(sources, labels.values, labels.confidence)):
        digit = {"source": source, "label": int(label), "label_predicted": labels.predicted,
                 "label_confidence": round(float(confidence), 4)}
        if probabilities is None:
            digit["points"] = points_list(points[n])
        else:
            digit["points"] = points_list(points[n, 0])
            digit["proposals"] = [{"probability": round(float(p), 4), "points": points_list(proposal)}
                                  for p, proposal in zip(probabilities[n], points[n])]
        digits.append(digit)
    return json_text(digits=digits)


def proposals_svg(points: np.ndarray, probabilities: np.ndarray, label: int) -> str:
    """``points: (K, T, 3)``, one digit's proposals, side by side in one SVG, each captioned with its probability."""
    side_by_side = np.concatenate([proposal + np.array([k, 0, 0], np.float32) for k, proposal in enumerate(points)])
    captions = "\n  ".join(f'<text x="{k + 0.03}" y="0.09" font-size="0.08" font-family="sans-serif">{p:.0%}</text>'
                           for k, p in enumerate(probabilities))
    return to_svg(side_by_side, label, width=len(points)).replace("</svg>", f"  {captions}\n</svg>")


def save_drawing(path: str | os.PathLike, points: np.ndarray, labels: Labels, sources: list[str], fps: int = 10,
                 probabilities: np.ndarray | None = None) -> Path:
    """Write ``points: (N, T, 3)`` to ``path`` as SVG (one digit), JSON, an animated GIF or a handwriting .npz;
    with ``probabilities: (N, K)``, ``points: (N, K, T, 3)`` are each digit's proposals, drawn side by side."""
    from .viz.animate import drawing_frames
    from .viz.grid import proposal_captions

    if probabilities is None:
        svg = lambda: to_svg(points[0], labels.values[0])
        gif = lambda: drawing_frames(points, labels=labels.values, fps=fps)
        npz = lambda out: save_handwriting_file(out, points, labels.values)
    else:
        count = points.shape[1]
        svg = lambda: proposals_svg(points[0], probabilities[0], labels.values[0])
        gif = lambda: drawing_frames(points.reshape(-1, *points.shape[2:]), labels=labels.values.repeat(count),
                                     columns=count, fps=fps, captions=proposal_captions(labels.values, probabilities))
        npz = lambda out: save_proposals_file(out, points, probabilities, labels.values)
    return save_output(
        path, len(points), svg=svg, json=lambda: drawing_json(points, labels, sources, probabilities), gif=gif,
        npz=npz, single=(".svg",), fps=fps,
        too_many=(f"an SVG file holds one digit, but {len(points)} images were given",
                  "draw one image per SVG, or write .json / .npz / .gif for several"))
