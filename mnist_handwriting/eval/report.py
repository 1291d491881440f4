"""Evaluate a converter: reconstruction, human-likeness, legibility and speed (issue 6).

A *converter* has ``name`` and ``convert(images: (B, 28, 28) uint8, labels: (B,) int64)
-> points: (B, T, 3)`` (see :mod:`mnist_handwriting.convert`). :func:`evaluate` returns

- ``overall``: one flat row of metrics (names in :data:`COLUMNS`), every digit weighted once;
- ``per_class``: the same row for each digit class ``"0"`` .. ``"9"``;
- ``per_writer``: the human-likeness metrics for each development writer (``"25"`` .. ``"30"``), and
  ``direction_by_writer``: writer -> digit -> direction agreement (where writers part from the majority);
- ``counts``: how many digits each part used, and ``name``.

A proposals model (issue 16) is measured by its most probable proposal, as every converter, and on the
development writers also by all K (:func:`.proposals.proposal_scores`): best-of-K LDTW and direction,
how often the most probable proposal is the closest one, and the odds' calibration error.

Reconstruction and legibility use the thinned MNIST test digits; human-likeness uses the
pendigits development writers (never trained on) and, as ``samples_*``, the 32 human samples.
"""

from __future__ import annotations

import time

import numpy as np
from tqdm import tqdm

from ..errors import UserError
from ..render.exact import draw_batch
from . import metrics

COLUMNS = {
    "f1": ("F1@1px", "{:.3f}"),
    "chamfer": ("Chamfer px", "{:.2f}"),
    "mse": ("MSE", "{:.4f}"),
    "ldtw": ("LDTW px", "{:.2f}"),
    "start_error": ("start px", "{:.2f}"),
    "direction_agreement": ("direction", "{:.1%}"),
    "stroke_count_error": ("stroke-count err", "{:.3f}"),
    "samples_ldtw": ("LDTW px (32 samples)", "{:.2f}"),
    "legibility": ("legibility", "{:.1%}"),
    "overdraw": ("overdraw", "{:.3f}"),
    "axis_aligned": ("axis-aligned", "{:.1%}"),
    "best_ldtw": ("best-of-K LDTW px", "{:.2f}"),
    "best_direction_agreement": ("best-of-K direction", "{:.1%}"),
    "top1_closest": ("top = closest", "{:.1%}"),
    "odds_calibration_error": ("odds calibration err", "{:.3f}"),
    "digits_per_second": ("digits/s", "{:,.0f}"),
}
"""Metric key -> (table header, format) for :func:`markdown_table`, in column order."""


def _convert(converter, images: np.ndarray, labels: np.ndarray, batch_size: int, progress: bool,
             what: str) -> tuple[np.ndarray, float]:
    """All ``images`` converted in batches; returns points ``(N, T, 3)`` and the seconds spent converting."""
    parts, seconds = [], 0.0
    for start in tqdm(range(0, len(images), batch_size), desc=f"{converter.name}: {what}",
                      disable=None if progress else True):
        began = time.perf_counter()
        points = np.asarray(converter.convert(images[start:start + batch_size], labels[start:start + batch_size]),
                            np.float32)
        seconds += time.perf_counter() - began
        count = len(images[start:start + batch_size])
        if points.ndim != 3 or points.shape[0] != count or points.shape[2] != 3 or not np.isfinite(points).all():
            raise UserError(f"{converter.name} returned points of shape {points.shape} (or non-finite values) "
                            f"for {count} digits", "a converter must return finite points (B, T, 3)")
        parts.append(points)
    return np.concatenate(parts), seconds


def reconstruction_scores(points: np.ndarray, images: np.ndarray) -> dict[str, np.ndarray]:
    """Per-digit reconstruction metrics of ``points: (N, T, 3)`` against thinned ``images: (N, 28, 28)`` uint8."""
    drawn = draw_batch(points)
    target = images.astype(np.float32) / 255.0
    precision, recall, f1 = metrics.pixel_scores(drawn > 0, images > 0)
    return {"precision": precision, "recall": recall, "f1": f1,
            "chamfer": metrics.chamfer_distance(drawn > 0, images > 0),
            "mse": ((drawn - target) ** 2).mean(axis=(1, 2)),
            "overdraw": np.array([metrics.overdraw(p) for p in points]),
            "axis_aligned": np.array([metrics.axis_aligned_share(p) for p in points])}


def human_scores(points: np.ndarray, human: list[np.ndarray], count: int = 32) -> dict[str, np.ndarray]:
    """Per-digit human-likeness of ``points: (N, T, 3)`` against human trajectories ``(T_i, 3)``."""
    forwards = metrics.ldtw_batch(points, human, count)
    backwards = metrics.ldtw_batch([metrics.reverse(p) for p in points], human, count)
    return {"ldtw": forwards,
            "start_error": np.array([metrics.start_error(p, h) for p, h in zip(points, human)]),
            "direction_agreement": (forwards < backwards).astype(np.float64),
            "stroke_count_error": np.array([metrics.stroke_count_error(p, h) for p, h in zip(points, human)],
                                           np.float64)}


def _summarise(scores: dict[str, np.ndarray], labels: np.ndarray, prefix: str, overall: dict, per_class: dict) -> None:
    """Add the mean of every score, overall and per class, under ``prefix + name``."""
    for name, values in scores.items():
        overall[prefix + name] = float(np.mean(values))
        for digit in range(10):
            chosen = values[labels == digit]
            if len(chosen):
                per_class[str(digit)][prefix + name] = float(np.mean(chosen))


def _first(digits, subset: int | None):
    return digits if subset is None or subset >= len(digits) else digits.subset(slice(0, subset))


def evaluate(converter, *, locations=None, subset: int | None = None, batch_size: int = 256,
             progress: bool = True, classifier=None, dev_pen_width: float | None = None) -> dict:
    """All metrics of ``converter``, overall and per class (see the module docstring).

    ``locations``: where the data and the cache are (a :class:`mnist_handwriting.data.datasets.Locations`;
    default: the usual folders).
    ``subset`` keeps the first N test digits and the first N pendigits development digits
    (the 32 human samples are always used). ``classifier`` defaults to the shipped one
    (:func:`mnist_handwriting.models.classifier.load_classifier`). ``dev_pen_width`` replaces
    the development writers' thin renders by thick, raw-MNIST-like ones (that many pixels
    wide) thinned by our own preprocessing, to check that style does not matter.
    """
    from ..data.datasets import load
    from ..data.human import split_by_writer
    from ..models.classifier import load_classifier, predict

    if subset is not None and subset < 1:
        raise ValueError("subset must be a positive number of digits")
    classifier = classifier if classifier is not None else load_classifier()
    overall: dict[str, float] = {}
    per_class: dict[str, dict[str, float]] = {str(d): {} for d in range(10)}

    test = _first(load("mnist-test", locations), subset)
    points, seconds = _convert(converter, test.images, test.labels, batch_size, progress, "test digits")
    _summarise(reconstruction_scores(points, test.images), test.labels, "", overall, per_class)
    readable = predict(classifier, draw_batch(points))[0] == test.labels
    baseline = predict(classifier, test.images)[0] == test.labels
    _summarise({"legibility": readable.astype(np.float64), "legibility_thinned": baseline.astype(np.float64)},
               test.labels, "", overall, per_class)

    dev = _first(split_by_writer(load("pendigits", locations))[1], subset)
    if dev_pen_width:
        from ..data.human import thick_variant

        dev = thick_variant(dev, dev_pen_width)
    human_points, _ = _convert(converter, dev.images, dev.labels, batch_size, progress, "pendigits dev")
    dev_scores = human_scores(human_points, [dev.trajectory(i) for i in range(len(dev))])
    _summarise(dev_scores, dev.labels, "", overall, per_class)
    if getattr(converter, "proposals", 1) > 1:   # a proposals model: every drawing order too
        from .proposals import calibration_error, proposal_scores

        parts = [converter.propose(dev.images[start:start + batch_size], dev.labels[start:start + batch_size])
                 for start in range(0, len(dev), batch_size)]
        proposed, odds = (np.concatenate(arrays) for arrays in zip(*parts))
        scores = proposal_scores(proposed, odds, [dev.trajectory(i) for i in range(len(dev))])
        overall["odds_calibration_error"] = calibration_error(odds.max(axis=1), scores["top1_closest"])
        scores.pop("closest_probability")
        _summarise(scores, dev.labels, "", overall, per_class)
        dev_scores = {**dev_scores, **scores}
    per_writer = {str(writer): {name: float(np.mean(values[dev.writers == writer]))
                                for name, values in dev_scores.items()}
                  for writer in np.unique(dev.writers)}
    direction_by_writer = {str(writer): {str(digit): float(np.mean(dev_scores["direction_agreement"][chosen]))
                                         for digit in range(10)
                                         if (chosen := (dev.writers == writer) & (dev.labels == digit)).any()}
                           for writer in np.unique(dev.writers)}

    samples = load("human-samples", locations)
    sample_points, _ = _convert(converter, samples.images, samples.labels, batch_size, False, "samples")
    _summarise(human_scores(sample_points, [samples.trajectory(i) for i in range(len(samples))]), samples.labels,
               "samples_", overall, per_class)

    overall["digits_per_second"] = len(test) / max(seconds, 1e-9)
    return {"name": converter.name, "overall": overall, "per_class": per_class, "per_writer": per_writer,
            "direction_by_writer": direction_by_writer,
            "counts": {"test": len(test), "pendigits_dev": len(dev), "samples": len(samples)}}


def markdown_table(rows: dict[str, dict], first: str = "method") -> str:
    """A markdown table: one row per name (its dict of metrics; ``first`` heads the names), columns from :data:`COLUMNS`.

    Columns no row has are left out; a value a row lacks shows as ``-``.
    """
    keys = [key for key in COLUMNS if any(key in row for row in rows.values())]
    lines = [f"| {first} | " + " | ".join(COLUMNS[key][0] for key in keys) + " |",
             "| --- | " + " | ".join("---:" for _ in keys) + " |"]
    for name, row in rows.items():
        cells = [COLUMNS[key][1].format(row[key]) if key in row else "-" for key in keys]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def direction_table(direction_by_writer: dict[str, dict[str, float]]) -> str:
    """A markdown table of direction agreement, one row per writer, one column per digit."""
    lines = ["| writer | " + " | ".join(str(digit) for digit in range(10)) + " |",
             "| --- | " + " | ".join("---:" for _ in range(10)) + " |"]
    for writer, row in direction_by_writer.items():
        lines.append(f"| {writer} | " + " | ".join(f"{row[str(d)]:.0%}" if str(d) in row else "-" for d in range(10))
                     + " |")
    return "\n".join(lines) + "\n"
