"""Whole numbers in handwriting: real MNIST digits, converted and set on one baseline (issue 8).

The *writing frame* extends the :mod:`mnist_handwriting.strokes` convention sideways:
``points: (T, 3)`` rows ``x, y, pen_up`` with ``1.0 = 28 px`` on both axes, x right, y
down, ``y`` in [0, 1] (one digit cell high) and ``x`` in [0, width] (width in digit cells).
A digit keeps the size it has in MNIST (its longer side is about 20 px), so a one-digit
writing is just a converted digit moved sideways; the pen is lifted between characters.

Each digit is a real thinned MNIST image of its class (``style=None``: a random one;
``style=N``: the N-th image of each class, a consistent "writer"), converted by any
converter (:func:`mnist_handwriting.convert.load_converter`), cropped to its ink, given a
slight random scale and vertical wobble, and set on a shared baseline with a gap that
varies a little. ``. , - + / :`` are drawn procedurally and a space moves the pen on.

The files of written numbers (numbers ``.npz``, stroke-3, SVG, JSON, GIF) are
:mod:`mnist_handwriting.export.numbers`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import UserError
from .strokes import PIXELS, join_strokes, split_strokes

DIGITS = "0123456789"
PUNCTUATION = ".,-+/:"
ALLOWED = DIGITS + PUNCTUATION + " "
MAX_CHARACTERS = 200
"""Longest text written at once (one batch of digits through the converter)."""

BASELINE = 24 / PIXELS
"""Where the bottom of the digits sits: MNIST's 20-px box centred in 28 px ends near 24 px."""
DIGIT_HEIGHT = 20 / PIXELS
"""Height of a digit (MNIST's box); punctuation is sized from it."""
MARGIN = 2 / PIXELS
"""Empty space before the first and after the last character."""
GAP = 3 / PIXELS
"""Mean space between two characters' ink."""
SPACE = 10 / PIXELS
"""Advance of a space character (on top of the gaps around it)."""


@dataclass
class Jitter:
    """How much each character varies (uniform in +-value); 0 everywhere gives a regular layout."""

    scale: float = 0.05          # relative size change of a digit
    gap: float = 1 / PIXELS      # change of the space before a character, cells
    rise: float = 0.6 / PIXELS   # vertical shift off the baseline, cells


@dataclass
class Writing:
    """A written text: ``points: (T, 3)`` in the writing frame, its ``width`` and character spans.

    ``spans[i] = (start, stop)`` indexes the rows of character ``text[i]`` (empty for a space).
    """

    text: str
    points: np.ndarray
    width: float
    spans: list[tuple[int, int]]


@dataclass
class DigitPool:
    """Thinned digit images to draw from: ``images: (N, 28, 28)`` uint8, ``labels: (N,)`` int64."""

    images: np.ndarray
    labels: np.ndarray

    def __post_init__(self):
        from .formats import check_images, check_labels

        self.images = check_images(self.images, "digit pool")
        self.labels = check_labels(self.labels, len(self.images), "digit pool")
        self._by_class = [np.flatnonzero(self.labels == d) for d in range(10)]

    @classmethod
    def from_dataset(cls, name: str = "mnist-test", locations=None) -> "DigitPool":
        """The thinned MNIST split ``name`` (see :func:`mnist_handwriting.data.datasets.dataset_images`)."""
        from .data.datasets import dataset_images

        return cls(*dataset_images(name, locations))

    def pick(self, digit: int, rng: np.random.Generator, style: int | None) -> int:
        """Index of an image of ``digit``: random, or the ``style``-th of its class (wrapping around)."""
        members = self._by_class[digit]
        if len(members) == 0:
            raise UserError(f"the digit pool has no image of a {digit}", "use a pool with every digit 0..9")
        return int(members[style % len(members)] if style is not None else rng.choice(members))


def check_text(text: str) -> str:
    """Validate a text to write: 1..200 characters from ``0-9 . , - + / :`` and spaces."""
    if not isinstance(text, str) or not text.strip():
        raise UserError("nothing to write: the text is empty", "give a number such as 2026 or 3.14")
    if len(text) > MAX_CHARACTERS:
        raise UserError(f"the text has {len(text)} characters, more than {MAX_CHARACTERS}",
                        "write a shorter number, or several")
    bad = sorted({c for c in text if c not in ALLOWED})
    if bad:
        raise UserError(f"cannot write {''.join(bad)!r}: only digits, spaces and {PUNCTUATION} are drawn",
                        "remove the other characters")
    return text


def _glyph(char: str) -> list[np.ndarray]:
    """Strokes ``(k, 2)`` of a punctuation mark, x from 0, y down with the baseline at 0."""
    h = DIGIT_HEIGHT
    return {
        ".": [np.array([[0.0, -0.02]])],
        ",": [np.array([[0.03, -0.02], [0.0, 0.07]])],
        "-": [np.array([[0.0, -0.35 * h], [0.3 * h, -0.36 * h]])],
        "+": [np.array([[0.0, -0.4 * h], [0.5 * h, -0.41 * h]]),
              np.array([[0.25 * h, -0.65 * h], [0.25 * h, -0.15 * h]])],
        "/": [np.array([[0.0, 0.0], [0.45 * h, -h]])],
        ":": [np.array([[0.0, -0.55 * h]]), np.array([[0.0, -0.02]])],
    }[char]


def _digit_strokes(points: np.ndarray, scale: float) -> list[np.ndarray]:
    """A converted digit's strokes, scaled about its ink, moved to x from 0 and bottom at y = 0."""
    strokes = [s * scale for s in split_strokes(points)]
    ink = np.concatenate(strokes)
    return [s - np.array([ink[:, 0].min(), ink[:, 1].max()]) for s in strokes]


def place(text: str, digits: list[np.ndarray], rng: np.random.Generator, jitter: Jitter | None = None) -> Writing:
    """Lay ``text`` out on one baseline; ``digits`` holds one converted ``(T, 3)`` per digit of ``text``, in order."""
    jitter = Jitter() if jitter is None else jitter
    pending = iter(digits)
    cursor, parts, spans, count = MARGIN, [], [], 0
    for index, char in enumerate(text):
        if char == " ":
            cursor += SPACE
            spans.append((count, count))
            continue
        if index > 0:
            cursor += GAP + rng.uniform(-jitter.gap, jitter.gap)
        if char in DIGITS:
            strokes = _digit_strokes(next(pending), 1 + rng.uniform(-jitter.scale, jitter.scale))
        else:
            strokes = _glyph(char)
        rise = rng.uniform(-jitter.rise, jitter.rise)
        moved = [s + np.array([cursor, BASELINE + rise]) for s in strokes]
        cursor = max(cursor, max(float(s[:, 0].max()) for s in moved))
        part = join_strokes(moved)
        parts.append(part)
        spans.append((count, count + len(part)))
        count += len(part)
    points = np.concatenate(parts).astype(np.float32)
    points[:, 1] = np.clip(points[:, 1], 0.0, 1.0)   # a tall, jittered digit may reach past the cell edge
    points[:, 0] = np.maximum(points[:, 0], 0.0)     # a comma's tail may start left of the margin
    return Writing(text, points, float(cursor + MARGIN), spans)


def _convert(converter, pool: DigitPool, indices: list[int], batch_size: int = 1024) -> np.ndarray:
    from .convert import convert_images

    if not indices:
        return np.zeros((0, 1, 3), np.float32)
    chosen = np.asarray(indices)
    return convert_images(converter, pool.images[chosen], pool.labels[chosen], batch_size, progress=False)


def _pick_all(text: str, pool: DigitPool, rng: np.random.Generator, style: int | None) -> list[int]:
    if style is not None and style < 0:
        raise UserError(f"style {style} is negative", "use a 'style' of 0 or more", "style")
    return [pool.pick(int(c), rng, style) for c in text if c in DIGITS]


def write_text(text: str, converter, pool: DigitPool, *, style: int | None = None, seed: int = 0,
               jitter: Jitter | None = None) -> Writing:
    """Write ``text`` (digits, spaces, ``. , - + / :``) as one :class:`Writing`, reproducibly for a ``seed``."""
    text = check_text(text)
    rng = np.random.default_rng(seed)
    indices = _pick_all(text, pool, rng, style)
    return place(text, list(_convert(converter, pool, indices)), rng, jitter)


def random_texts(count: int, rng: np.random.Generator, min_digits: int = 1, max_digits: int = 6,
                 punctuation: float = 0.0, separators: str = ".,-/:", max_separators: int = 1) -> list[str]:
    """``count`` random numbers of ``min_digits..max_digits`` digits (no leading zero unless one digit).

    Up to ``max_separators`` times, with probability ``punctuation`` each, a number gets a
    separator drawn from ``separators`` (any of ``. , - + / :`` and the space) between two of its
    digits; two never share a place, so separators always stand between digits.
    """
    if count < 1:
        raise UserError(f"cannot make {count} random numbers", "ask for a 'count' of 1 or more", "count")
    if not 1 <= min_digits <= max_digits <= MAX_CHARACTERS // 2:
        raise UserError(f"digit counts {min_digits}..{max_digits} are not a valid range",
                        f"use 1 <= 'min_digits' <= 'max_digits' <= {MAX_CHARACTERS // 2}", ("min_digits", "max_digits"))
    if not 0 <= punctuation <= 1:
        raise UserError(f"punctuation probability {punctuation} is outside [0, 1]", "use a value between 0 and 1")
    if not separators or any(c not in PUNCTUATION + " " for c in separators) or max_separators < 0:
        raise UserError(f"separators {separators!r} (at most {max_separators}) are not drawable",
                        f"use some of {PUNCTUATION!r} and the space, and a 'max_separators' of 0 or more",
                        ("separators", "max_separators"))
    texts = []
    for length in rng.integers(min_digits, max_digits + 1, size=count):
        digits = rng.integers(0, 10, size=length)
        if length > 1 and digits[0] == 0:
            digits[0] = rng.integers(1, 10)
        inserted: dict[int, str] = {}
        for _ in range(min(max_separators, length - 1)):
            if rng.random() < punctuation:
                cut = int(rng.integers(1, length))
                inserted.setdefault(cut, separators[rng.integers(0, len(separators))])
        texts.append("".join(inserted.get(i, "") + str(d) for i, d in enumerate(digits)))
    return texts


def random_numbers(count: int, converter, pool: DigitPool, *, min_digits: int = 1, max_digits: int = 6,
                   punctuation: float = 0.0, style: int | None = None, seed: int = 0,
                   batch_size: int = 1024) -> list[Writing]:
    """``count`` random numbers written with ``converter``; all digits go through it in batches."""
    rng = np.random.default_rng(seed)
    texts = random_texts(count, rng, min_digits, max_digits, punctuation)
    indices = [_pick_all(text, pool, rng, style) for text in texts]
    converted = _convert(converter, pool, [i for group in indices for i in group], batch_size)
    writings, start = [], 0
    for text, group in zip(texts, indices):
        writings.append(place(text, list(converted[start:start + len(group)]), rng))
        start += len(group)
    return writings
