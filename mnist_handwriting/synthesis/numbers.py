"""Training data for handwriting synthesis and for the reader: random numbers written by real hands (issue 17).

A *number* is a text of 1 to :data:`MAX_CHARACTERS` characters over :data:`ALPHABET` (digits,
the space and ``. , - + / :``) written as one pen trajectory ``points: (T, 3)`` in the writing
frame of :mod:`mnist_handwriting.write` (x right, y down, ``1.0 = 28 px`` = one digit cell,
y in [0, 1], x in [0, width]; ``pen_up = 1`` lifts the pen after the point).

Construction of one number (:func:`build_numbers`, reproducible for a ``seed``):

1. **Text.** :func:`mnist_handwriting.write.random_texts` draws 1 to 10 digits (no leading zero)
   and, twice with probability 1/2 each, a separator from ``" .,-+/:"`` between two digits, so
   a number has 1 to 12 characters.
2. **Hand.** ``source="mnist"``: every digit is a random handwritten-MNIST digit of its class
   (:func:`mnist_handwriting.datasets.shipped.load`; the ``train`` split, MNIST training digits
   0..54,999, by default; the test digits only with ``evaluation=True``). ``source="pendigits"``:
   one writer is drawn from ``writers`` for the whole number and every digit is a random
   pendigits digit of its class *by that writer* (:func:`mnist_handwriting.data.human.load_pendigits`,
   in the MNIST frame), one consistent hand per number. Writers 1-20 are pendigits' training
   writers and 21-24 its validation writers (the default is 1-24); the development writers 25-30
   (:data:`mnist_handwriting.data.human.DEV_WRITERS`) are refused unless ``evaluation=True``, so
   they stay unseen by training. ``source="both"``: each number is one or the other with equal
   probability. A pendigits digit (40 points on average, tablet-timed) is resampled by arc length
   to :data:`POINTS_PER_DIGIT` = 20 points, the count of every handwritten-MNIST digit, so that
   point spacing does not tell the two sources apart.
3. **Layout.** :func:`mnist_handwriting.write.place` sets the digits on one baseline with slight
   random scale, gap and rise; punctuation is drawn procedurally; a space moves the pen on.

Model offsets. Sequence models read a number as normalised offsets ``(T, 3)``: ``dx, dy,
end_of_stroke`` (:func:`to_model_offsets`). As in the synthesis literature (Graves 2013, section
4.1; sketch-rnn's ``calculate_normalizing_scale_factor``), offsets are divided by one stored
standard deviation :data:`OFFSET_STD`, that of all ``dx`` and ``dy`` of training numbers (mean
not removed, one factor for both axes so shapes keep their aspect); the first row is the move
from the frame's origin (:func:`mnist_handwriting.strokes.to_offsets`) and ``end_of_stroke`` is
``pen_up``. :func:`from_model_offsets` is the inverse.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from ..strokes import from_offsets, resample, to_offsets
from ..write import DIGITS, PUNCTUATION, Writing, place, random_texts

ALPHABET = DIGITS + " " + PUNCTUATION
"""The 17 characters a number may hold, in index order: ``0123456789 .,-+/:``."""
MAX_CHARACTERS = 12
"""Longest number built: 10 digits and 2 separators."""


def encode(text: str, alphabet: str = ALPHABET, action: str = "write") -> list[int]:
    """``text`` as indices into ``alphabet``; a character outside it is a ``UserError`` ("cannot ``action`` ...")."""
    bad = sorted({char for char in text if char not in alphabet})
    if bad:
        raise UserError(f"cannot {action} {''.join(bad)!r}: the alphabet is {alphabet!r}",
                        "remove the other characters", "text")
    return [alphabet.index(char) for char in text]


MAX_DIGITS = 10
SEPARATORS = " .,-+/:"
"""What may stand between two digits."""
SOURCES = ("mnist", "pendigits", "both")
DEFAULT_WRITERS = tuple(range(1, 25))
"""Pendigits' training (1-20) and validation (21-24) writers."""
TRAIN_WRITERS = tuple(range(1, 21))
"""The writers whose numbers the reader and the synthesis network train on."""
VALID_WRITERS = tuple(range(21, 25))
"""The writers that validate them (settings are chosen on these)."""
CHUNK = 50
"""Batches whose numbers :func:`length_batches` sorts by length together."""
POINTS_PER_DIGIT = 20
"""Points of a handwritten-MNIST digit, and of a pendigits digit once resampled."""
OFFSET_STD = 0.1185
"""Standard deviation of all dx and dy (cells) of training numbers: ``offset_std(build_numbers(20000, seed=0))`` on the
handwritten MNIST the shipped synthesis network and reader trained on (converted by the routed human-best, before
issue 12 rebuilt it with the masked one, whose numbers give 0.125); kept, as those networks were trained with it."""
TEST_OFFSET = 60_000
"""MNIST test digit ``i`` is digit ``TEST_OFFSET + i`` in MNIST order (after the 60,000 training digits)."""


@dataclass(frozen=True)
class NumberSample:
    """One written number.

    ``points: (T, 3)`` in the writing frame; ``spans[i] = (start, stop)``: the rows of
    ``text[i]`` (empty for a space); ``writer``: the pendigits writer, None for MNIST digits;
    ``digits``: where each digit of the text came from, in order: its position in MNIST order
    (0..59,999 training, 60,000.. test) or its row in :func:`mnist_handwriting.data.human.load_pendigits`.
    """

    text: str
    points: np.ndarray
    width: float
    spans: list[tuple[int, int]]
    writer: int | None
    digits: tuple[int, ...]

    def writing(self) -> Writing:
        """As a :class:`mnist_handwriting.write.Writing`, for the files of :mod:`mnist_handwriting.export.numbers`."""
        return Writing(self.text, self.points, self.width, list(self.spans))


class TrajectoryPool:
    """Digit trajectories to draw numbers from: ``points: (N, 20, 3)``, ``labels``, ``ids`` (see ``NumberSample.digits``), ``writers``."""

    def __init__(self, points: np.ndarray, labels: np.ndarray, ids: np.ndarray, writers: np.ndarray | None = None):
        self.points, self.ids = points, ids
        keys = labels if writers is None else writers * 10 + labels
        order = np.argsort(keys, kind="stable")
        values, starts = np.unique(keys[order], return_index=True)
        self._members = dict(zip(values.tolist(), np.split(order, starts[1:])))
        self._row_of = {int(i): row for row, i in enumerate(ids)}

    def members(self, digit: int, writer: int | None = None) -> np.ndarray:
        """Rows of ``digit`` (by ``writer``, for a pool with writers), in row order."""
        return self._members[digit if writer is None else writer * 10 + digit]

    def groups(self) -> list[np.ndarray]:
        """The rows of each class (of each writer and class, for a pool with writers)."""
        return list(self._members.values())

    def rows(self, ids) -> np.ndarray:
        """The rows holding digits ``ids`` (values of ``ids``, e.g. a :class:`NumberSample`'s ``digits``)."""
        return np.array([self._row_of[int(i)] for i in ids], np.int64)


@functools.lru_cache(maxsize=4)
def mnist_pool(split: str, evaluation: bool = False) -> TrajectoryPool:
    """The handwritten-MNIST digits of ``split`` (``train``, ``valid``; ``test`` only with ``evaluation``), ids
    their position in MNIST order; kept for the next call (read it, never change it)."""
    from ..datasets import shipped

    if split not in ("train", "valid", "test"):
        raise UserError(f"unknown MNIST split {split!r}", "use a 'split' of train, valid or test", "split")
    if split == "test" and not evaluation:
        raise UserError("the MNIST test digits are kept out of training data",
                        "use the train or valid split, or pass 'evaluation' to measure on test digits", "split")
    digits = shipped.load(split)
    ids = digits.mnist_index + (TEST_OFFSET if split == "test" else 0)
    return TrajectoryPool(digits.points, digits.labels, ids)


def check_writers(writers, evaluation: bool = False) -> tuple[int, ...]:
    """``writers`` as sorted pendigits writer ids 1..30; the development writers 25-30 only with ``evaluation``."""
    from ..data.human import DEV_WRITERS

    chosen = tuple(sorted({int(w) for w in writers}))
    if not chosen or chosen[0] < 1 or chosen[-1] > 30:
        raise UserError(f"writers {list(chosen)} are not pendigits writers", "choose writer ids among 1..30",
                        "writers")
    unseen = [w for w in chosen if w in DEV_WRITERS]
    if unseen and not evaluation:
        raise UserError(f"writers {unseen} are the development writers 25-30, kept unseen by training",
                        "choose writers among 1..24, or pass 'evaluation' to measure on them", "writers")
    return chosen


def pendigits_pool(writers: tuple[int, ...], data_dir=None, cache_dir=None, half: int | None = None) -> TrajectoryPool:
    """The pendigits digits of ``writers`` (ids as given, unchecked), resampled to :data:`POINTS_PER_DIGIT`
    points; ``half`` 0 or 1: only their even or odd rows (two disjoint sets of digits)."""
    from ..data.human import load_pendigits

    digits = load_pendigits(data_dir, cache_dir)
    rows = np.flatnonzero(np.isin(digits.writers, writers))
    if half is not None:
        rows = rows[rows % 2 == half]
    points = np.stack([resample(digits.trajectory(i), POINTS_PER_DIGIT) for i in rows]).astype(np.float32)
    return TrajectoryPool(points, digits.labels[rows], rows, digits.writers[rows])


def random_number_texts(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` random texts as the numbers are built (module docstring, step 1)."""
    return random_texts(count, rng, 1, MAX_DIGITS, punctuation=0.5, separators=SEPARATORS, max_separators=2)


def build_numbers(count: int, source: str = "both", *, writers=None, split: str = "train", seed: int = 0,
                  evaluation: bool = False, joined: float = 0.0, data_dir: str | os.PathLike | None = None,
                  cache_dir: str | os.PathLike | None = None) -> list[NumberSample]:
    """``count`` random numbers written from real digits (module docstring), the same for the same arguments.

    ``source``: ``mnist``, ``pendigits`` or ``both``; ``writers``: pendigits writer ids (default
    1-24; 25-30 need ``evaluation``); ``split``: the handwritten-MNIST split (``train``, ``valid``;
    ``test`` needs ``evaluation``). ``joined``: the probability that a number is two random numbers
    joined by a space and written in one hand (up to 25 characters), as a primed writing is: a
    prime, a space, the text. ``data_dir`` / ``cache_dir``: where pendigits is read and cached.
    """
    if source not in SOURCES:
        raise UserError(f"unknown source {source!r}", f"use a 'source' of {', '.join(SOURCES)}", "source")
    if not 0.0 <= joined <= 1.0:
        raise UserError(f"a 'joined' probability of {joined} is outside [0, 1]", "use a value between 0 and 1",
                        "joined")
    if source == "mnist" and writers is not None:
        raise UserError("writers were given for MNIST numbers, which have no writers",
                        "drop 'writers', or use the source pendigits or both", "writers")
    rng = np.random.default_rng(seed)
    texts = random_number_texts(count, rng)
    if joined:   # drawn after the texts, so that joined=0 gives the numbers it always gave
        seconds, join = random_number_texts(count, rng), rng.random(count) < joined
        texts = [f"{text} {second}" if both else text for text, second, both in zip(texts, seconds, join)]
    mnist = mnist_pool(split, evaluation) if source != "pendigits" else None
    chosen = check_writers(DEFAULT_WRITERS if writers is None else writers, evaluation)
    pendigits = cached_pendigits_pool(chosen, data_dir, cache_dir) if source != "mnist" else None
    samples = []
    for text in texts:
        human = source == "pendigits" or (source == "both" and rng.random() < 0.5)
        pool = pendigits if human else mnist
        samples.append(written_number(text, pool, int(rng.choice(chosen)) if human else None, rng))
    return samples


def written_number(text: str, pool: TrajectoryPool, writer: int | None, rng: np.random.Generator) -> NumberSample:
    """``text`` (valid characters assumed) written with random digits of ``pool`` (by ``writer``, for pendigits) and laid out by ``place``."""
    rows = [int(rng.choice(pool.members(int(c), writer))) for c in text if c in DIGITS]
    writing = place(text, list(pool.points[rows]), rng)
    return NumberSample(text, writing.points, writing.width, writing.spans, writer, tuple(int(pool.ids[r]) for r in rows))


def number_by_writer(text: str, writer: int, seed: int = 0, data_dir: str | os.PathLike | None = None,
                     cache_dir: str | os.PathLike | None = None) -> NumberSample:
    """``text`` written with random digits of pendigits writer ``writer`` (1-30, the development writers
    too: this writes, it does not train), reproducibly for a ``seed``; for priming a hand."""
    encode(text, ALPHABET)
    pool = cached_pendigits_pool(check_writers([writer], evaluation=True), data_dir, cache_dir)
    return written_number(text, pool, int(writer), np.random.default_rng(seed))


@functools.lru_cache(maxsize=32)
def cached_pendigits_pool(writers: tuple[int, ...], data_dir=None, cache_dir=None) -> TrajectoryPool:
    """:func:`pendigits_pool` kept for the next call with the same writers (a server primes per request; the
    synthesis data draws its hands from the pool its numbers were written from). Read it, never change it."""
    return pendigits_pool(writers, data_dir, cache_dir)


def length_batches(lengths: np.ndarray, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """One epoch's batches of sample indices, ``ceil(len(lengths) / batch_size)`` of them: the samples
    shuffled, sorted by ``lengths`` within chunks of :data:`CHUNK` batches (less padding, still
    mixed), the batch order shuffled. A pure function of its arguments, so a resumed run sees the
    same batches."""
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    batches = []
    for start in range(0, len(order), batch_size * CHUNK):
        chunk = order[start:start + batch_size * CHUNK]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def offset_std(samples: list[NumberSample]) -> float:
    """Standard deviation of every ``dx`` and ``dy`` (after the first row) of ``samples``: how :data:`OFFSET_STD` is measured."""
    moves = np.concatenate([to_offsets(s.points)[1:, :2].ravel() for s in samples])
    return float(moves.std())


def to_model_offsets(points: np.ndarray, scale: float = OFFSET_STD) -> np.ndarray:
    """``points: (T, 3)`` in the writing frame -> normalised offsets ``(T, 3)`` float32: dx / scale, dy / scale, end_of_stroke."""
    points = np.asarray(points, dtype=np.float32)
    if points.ndim != 2 or points.shape[1] != 3 or len(points) == 0:
        raise UserError(f"a trajectory has shape {points.shape}, expected (T >= 1, 3)",
                        "give points as rows x, y, pen_up", "points")
    offsets = to_offsets(points)
    offsets[:, :2] /= scale
    return offsets


def from_model_offsets(offsets: np.ndarray, scale: float = OFFSET_STD) -> np.ndarray:
    """Inverse of :func:`to_model_offsets`; ``end_of_stroke`` above 0.5 lifts the pen, and always after the last point."""
    offsets = np.asarray(offsets, dtype=np.float32).copy()
    if offsets.ndim != 2 or offsets.shape[1] != 3 or len(offsets) == 0:
        raise UserError(f"offsets have shape {offsets.shape}, expected (T >= 1, 3)",
                        "give offsets as rows dx, dy, end_of_stroke", "offsets")
    offsets[:, :2] *= scale
    offsets[:, 2] = offsets[:, 2] > 0.5
    offsets[-1, 2] = 1.0
    return from_offsets(offsets)
