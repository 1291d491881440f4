"""A hand as the synthesis network reads it: one reference digit per class (issue 17, style).

Graves' priming (section 5.5) hopes that the LSTM carries a hand from the prime's strokes into the
text. For digits it does not (docs/RESULTS.md: primed digits were attributed to the priming
writer at chance): a writer's 5 differs from another writer's 5 in its shape and drawing order,
which the prime shows only in the prime's own 5. So the network is also given the hand
explicitly, as a :class:`Hand`: for each digit class, one digit of that hand (or none), each
moved into the unit box (:func:`unit_box`) and resampled by arc length to
:data:`REFERENCE_POINTS` points. The network encodes every reference digit and reads, through
its attention window, the encoding of the class it is writing
(:class:`mnist_handwriting.synthesis.model.SynthesisNetwork`).

Training hands (:func:`training_hands`), so that the network learns to write *like* a reference
and not only to copy it:

- a pendigits number by writer W gets, per class, another digit of W's than those the number
  writes (each class kept with probability :data:`KEEP_CLASS`; the whole hand with
  :data:`PENDIGITS_HAND`);
- a handwritten-MNIST number has no writer (every digit is by someone else), so with probability
  :data:`MNIST_HAND` it gets its own digits as references, each slightly and randomly deformed
  (:func:`jittered`): the network learns to draw a given shape, the pendigits hands teach it what
  one writer's other digits look like;
- the rest get no hand, so the network also writes without one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..strokes import resample
from ..write import DIGITS, Writing

REFERENCE_POINTS = 20
"""Points of every reference digit."""
KEEP_CLASS = 0.75
"""Probability that a training hand holds a reference for a given class."""
PENDIGITS_HAND = 0.85
"""Probability that a pendigits training number comes with a hand of its writer."""
MNIST_HAND = 0.5
"""Probability that a handwritten-MNIST training number comes with its own digits, jittered, as a hand."""


@dataclass(frozen=True)
class Hand:
    """``references: (10, REFERENCE_POINTS, 3)`` float32, digit class ``d``'s reference in row ``d`` (unit box,
    rows x, y, pen_up; zeros where absent), ``present: (10,)`` bool."""

    references: np.ndarray
    present: np.ndarray

    @property
    def classes(self) -> list[int]:
        """The digit classes the hand shows."""
        return np.flatnonzero(self.present).tolist()


def unit_box(points: np.ndarray) -> np.ndarray:
    """``points: (T, 3)`` moved and scaled so that the bounding box's longer side spans [0, 1], centred."""
    points = np.asarray(points, np.float32).copy()
    low, high = points[:, :2].min(0), points[:, :2].max(0)
    points[:, :2] = (points[:, :2] - (low + high) / 2) / max(float((high - low).max()), 1e-6) + 0.5
    return points


def reference_shape(points: np.ndarray) -> np.ndarray:
    """A digit ``points: (T, 3)`` (any frame) as a reference: the unit box, :data:`REFERENCE_POINTS` points."""
    return resample(unit_box(points), REFERENCE_POINTS).astype(np.float32)


def written_digits(writing: Writing) -> list[tuple[int, np.ndarray]]:
    """The digits of ``writing`` by its spans: ``(label, points (n, 3))``, the pen lifted after the last point."""
    digits = []
    for char, (start, stop) in zip(writing.text, writing.spans):
        if char in DIGITS and stop - start >= 2:
            points = writing.points[start:stop].copy()
            points[-1, 2] = 1.0
            digits.append((int(char), points))
    return digits


def hand_from_digits(digits: list[tuple[int, np.ndarray]]) -> Hand:
    """A :class:`Hand` of ``(label, points (T, 3))`` digits: the first digit of each class."""
    references = np.zeros((10, REFERENCE_POINTS, 3), np.float32)
    present = np.zeros(10, bool)
    for label, points in digits:
        if not present[label]:
            references[label], present[label] = reference_shape(points), True
    return Hand(references, present)


def hand_from_writing(writing: Writing) -> Hand | None:
    """The hand of a written number (its digits cut out by ``spans``), or None when it has no spans or digits."""
    digits = written_digits(writing)
    return hand_from_digits(digits) if digits else None


def jittered(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``points: (T, 3)`` under a small random affine map (rotation, shear, stretch) plus point noise."""
    angle, shear, stretch = rng.normal(0, 0.1), rng.normal(0, 0.1), np.exp(rng.normal(0, 0.1))
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = rotate @ np.array([[stretch, shear], [0.0, 1 / stretch]])
    moved = np.asarray(points, np.float32).copy()
    moved[:, :2] = moved[:, :2] @ matrix.T.astype(np.float32) + rng.normal(0, 0.01, moved[:, :2].shape)
    return moved


def training_hands(numbers, pendigits, rng: np.random.Generator) -> list[Hand | None]:
    """One hand or None per training number (module docstring); ``numbers``: :class:`.numbers.NumberSample` s,
    ``pendigits``: the :class:`.numbers.TrajectoryPool` their pendigits digits came from (rows = ids)."""
    hands = []
    for number in numbers:
        if number.writer is None:
            digits = written_digits(number.writing()) if rng.random() < MNIST_HAND else []
            hands.append(hand_from_digits([(label, jittered(unit_box(points), rng)) for label, points in digits])
                         if digits else None)
            continue
        if rng.random() >= PENDIGITS_HAND:
            hands.append(None)
            continue
        used = set(number.digits)
        chosen = []
        for label in range(10):
            rows = [row for row in pendigits.members(label, number.writer) if int(pendigits.ids[row]) not in used]
            if rows and rng.random() < KEEP_CLASS:
                chosen.append((label, pendigits.points[int(rng.choice(rows))]))
        hands.append(hand_from_digits(chosen) if chosen else None)
    return hands


__all__ = ["Hand", "unit_box", "reference_shape", "written_digits", "hand_from_digits", "hand_from_writing",
           "jittered", "training_hands", "REFERENCE_POINTS", "KEEP_CLASS", "PENDIGITS_HAND", "MNIST_HAND"]
