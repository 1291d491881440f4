"""A hand as the synthesis network is conditioned on it: how one writer draws each digit (issue 17, style).

Graves' priming (section 5.5: read a sample of the hand, then write on) alone did not carry a
hand here: primed with a writer's digits, the network's digits were attributed to the priming
writer at chance (docs/RESULTS.md). So the network is also told, for every character it writes,
how this hand draws it: a :class:`Hand` holds one example trajectory of each digit class,
``shapes: (10, P, 3)`` (x, y in the digit's unit box, :func:`unit_box`, resampled to P points by
arc length; pen_up), and ``present: (10,)``, which classes the hand showed. :func:`character_features`
turns it into one row per character of a text, ``(U, F)`` with ``F = 3 P + 1``: the shape of that
character's class (x, y centred on 0, pen_up) and a 1, or zeros for a separator or a class the
hand did not show. The network's attention window reads these rows with the one-hot characters,
so while it writes a character it sees how the hand drew it (:mod:`.model`).

Where a hand comes from:

- in training, for each class of the number, another digit (never one written in the number),
  each class kept with probability :data:`KEEP`, so that the network learns to follow a hand's
  shapes, not to copy the digit it writes, and to write classes the hand did not show. Which
  other digit, by :data:`HAND_SOURCES`: ``resembling`` (the default, :func:`resembling_hand`), one
  of the :data:`RESEMBLING` digits whose shapes are nearest to the number's own digit of that
  class, among the same pendigits writer's digits or, for a handwritten-MNIST number, among all
  MNIST training digits, so that every number teaches the network to write *like the example*;
  ``writer`` (:func:`training_hand`, the network shipped on 2026-12-04 morning), a random other
  digit of the same pendigits writer, and no hand for a handwritten-MNIST number (a mix of hands);
- when writing (:func:`hand_from_writing`), the digits of a prime, cut out by its spans (a
  drawing without spans is split where its strokes' columns part, :func:`spans_by_columns`): the
  first of each class; unprimed, a random handwritten-MNIST hand for each text (:func:`random_hand`),
  so that the network writes as it learned to with its MNIST numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..strokes import resample, stroke_bounds
from ..write import DIGITS, Writing

HAND_POINTS = 12
"""P, points of each class's shape (the shipped network's; stored in its config)."""
KEEP = 0.8
"""Probability that a training hand shows a class (the network learns to write the others unaided)."""
RESEMBLING = 3
"""A resembling training hand's example of a class is one of this many digits nearest to the number's own."""
HAND_SOURCES = ("resembling", "writer")
"""How training hands are drawn (the module docstring); the first is the default."""


def unit_box(points: np.ndarray) -> np.ndarray:
    """``points: (..., T, 3)`` moved and scaled so that each trajectory's bounding box's longer side spans
    [0, 1], centred on 0.5."""
    points = np.asarray(points, np.float32).copy()
    low, high = points[..., :2].min(-2, keepdims=True), points[..., :2].max(-2, keepdims=True)
    side = np.maximum((high - low).max(-1, keepdims=True), 1e-6)
    points[..., :2] = (points[..., :2] - (low + high) / 2) / side + 0.5
    return points


def written_digits(writing: Writing) -> list[tuple[int, np.ndarray]]:
    """The digits of ``writing`` by its spans: ``(label, points (n, 3))``, the pen lifted after the last point."""
    digits = []
    for char, (start, stop) in zip(writing.text, writing.spans):
        if char in DIGITS and stop - start >= 2:
            points = writing.points[start:stop].copy()
            points[-1, 2] = 1.0
            digits.append((int(char), points))
    return digits


def spans_by_columns(text: str, points: np.ndarray) -> list[tuple[int, int]]:
    """Spans for a drawing of ``text`` that has none (e.g. digits drawn on a page): its strokes, in
    drawing order, grouped into characters where their x ranges overlap; ``[]`` unless there is one
    group per character that is not a space and each group's strokes were drawn one after another.
    ``points: (T, 3)`` x, y, pen_up."""
    groups: list[list] = []                        # [first row, stop row, x low, x high] of each character
    for start, stop in stroke_bounds(points):
        low, high = float(points[start:stop, 0].min()), float(points[start:stop, 0].max())
        overlapping = [g for g in groups if low <= g[3] and high >= g[2]]
        if len(overlapping) == 1 and overlapping[0] is groups[-1]:
            groups[-1][1:] = [stop, min(groups[-1][2], low), max(groups[-1][3], high)]
        elif overlapping:
            return []                              # a stroke added to an earlier character, or bridging two
        else:
            groups.append([start, stop, low, high])
    shown = [i for i, char in enumerate(text) if char != " "]
    if len(groups) != len(shown):
        return []
    spans, rows = [], iter(groups)
    for index, char in enumerate(text):
        at = spans[-1][1] if spans else 0
        spans.append((at, at) if char == " " else tuple(next(rows)[:2]))
    return spans


@dataclass(frozen=True)
class Hand:
    """One example of each digit as a writer draws it: ``shapes: (10, P, 3)`` float32 in the unit box,
    ``present: (10,)`` bool (the module docstring)."""

    shapes: np.ndarray
    present: np.ndarray

    @property
    def points(self) -> int:
        return self.shapes.shape[1]


def digit_shape(points: np.ndarray, count: int = HAND_POINTS) -> np.ndarray:
    """One digit's trajectory ``(n, 3)`` as its shape ``(count, 3)``: unit box, resampled by arc length."""
    return resample(unit_box(points), count).astype(np.float32)


def hand_from_digits(digits: list[tuple[int, np.ndarray]], count: int = HAND_POINTS) -> Hand:
    """A :class:`Hand` from ``(label, points (n, 3))`` pairs: the first digit of each class."""
    shapes = np.zeros((10, count, 3), np.float32)
    present = np.zeros(10, bool)
    for label, points in digits:
        if not present[label] and len(points) >= 2:
            shapes[label], present[label] = digit_shape(points, count), True
    return Hand(shapes, present)


def hand_from_writing(writing: Writing, count: int = HAND_POINTS) -> Hand | None:
    """The hand of a written number (its digits cut out by its spans), or None when it shows no digit."""
    hand = hand_from_digits(written_digits(writing), count)
    return hand if hand.present.any() else None


def training_hand(pool, writer: int, used: tuple[int, ...], rng: np.random.Generator,
                  count: int = HAND_POINTS) -> Hand:
    """A hand for a training number by ``writer``: per class, another of their digits in ``pool`` (a
    :class:`.numbers.TrajectoryPool` with writers; ``used``: the pool ids the number is written with,
    never chosen), each class kept with probability :data:`KEEP`."""
    digits = []
    for label in range(10):
        rows = [row for row in pool.members(label, writer) if int(pool.ids[row]) not in used]
        if rows and rng.random() < KEEP:
            digits.append((label, pool.points[int(rng.choice(rows))]))
    return hand_from_digits(digits, count)


def resembling_rows(pool, count: int = RESEMBLING) -> np.ndarray:
    """``(N, count)`` int64: for each row of ``pool`` (a :class:`.numbers.TrajectoryPool`, digits of
    :data:`~.numbers.POINTS_PER_DIGIT` points), the rows of the same class (and writer, for a pool with
    writers) whose shapes are nearest, nearest first; -1 where its group has fewer other digits.
    Shapes: the points in their unit box (:func:`unit_box`), compared point by point (Euclidean)."""
    shapes = unit_box(pool.points)[..., :2].reshape(len(pool.points), -1)
    nearest = np.full((len(shapes), count), -1, np.int64)
    for rows in pool.groups():
        group = shapes[rows]
        squared = (group ** 2).sum(1)
        distances = squared[:, None] + squared[None, :] - 2 * group @ group.T
        np.fill_diagonal(distances, np.inf)
        take = min(count, len(rows) - 1)
        if take:
            closest = np.argpartition(distances, take - 1, axis=1)[:, :take]
            closest = np.take_along_axis(closest, np.argsort(np.take_along_axis(distances, closest, 1), 1), 1)
            nearest[rows, :take] = rows[closest]
    return nearest


def resembling_hand(pool, nearest: np.ndarray, text: str, ids: tuple[int, ...], rng: np.random.Generator,
                    count: int = HAND_POINTS) -> Hand:
    """A hand for a training number ``text`` written with the digits ``ids`` of ``pool`` (in order): per
    class of the text, one of ``nearest`` (:func:`resembling_rows`) of its first digit of that class that
    the number is not written with, each class kept with probability :data:`KEEP`."""
    rows = pool.rows(ids)
    used, digits = set(rows.tolist()), []
    for label in sorted({int(char) for char in text if char in DIGITS}):
        first = rows[[int(char) for char in text if char in DIGITS].index(label)]
        candidates = [int(row) for row in nearest[first] if row >= 0 and int(row) not in used]
        if candidates and rng.random() < KEEP:
            digits.append((label, pool.points[int(rng.choice(candidates))]))
    return hand_from_digits(digits, count)


def random_hand(pool, text: str, rng: np.random.Generator, count: int = HAND_POINTS) -> Hand:
    """A hand for writing ``text`` unprimed: per digit class of the text, one random digit of ``pool`` (a
    :class:`.numbers.TrajectoryPool`; :func:`.writing.synthesize` gives the handwritten-MNIST training
    digits), the kind of hand a resembling-trained network saw with its MNIST numbers."""
    labels = sorted({int(char) for char in text if char in DIGITS})
    return hand_from_digits([(label, pool.points[int(rng.choice(pool.members(label)))]) for label in labels], count)


def feature_size(count: int) -> int:
    """F, the width of a character's row for shapes of ``count`` points (0: no hand at all)."""
    return 3 * count + 1 if count else 0


def character_features(text: str, hand: Hand | None, count: int = HAND_POINTS) -> np.ndarray:
    """``(len(text), F)`` float32: per character, its class's shape in ``hand`` (x, y centred on 0, pen_up)
    and a 1; zeros for a separator, a class the hand lacks, or no hand."""
    features = np.zeros((len(text), feature_size(count)), np.float32)
    if hand is None:
        return features
    if hand.points != count:
        raise ValueError(f"the hand has shapes of {hand.points} points, the network reads {count}")
    for index, char in enumerate(text):
        if char in DIGITS and hand.present[int(char)]:
            shape = hand.shapes[int(char)] - np.array([0.5, 0.5, 0.0], np.float32)
            features[index, :-1], features[index, -1] = shape.ravel(), 1.0
    return features


__all__ = ["Hand", "HAND_POINTS", "KEEP", "RESEMBLING", "HAND_SOURCES", "resembling_rows", "resembling_hand", "unit_box", "written_digits", "spans_by_columns", "digit_shape",
           "hand_from_digits", "hand_from_writing", "training_hand", "feature_size", "character_features"]
