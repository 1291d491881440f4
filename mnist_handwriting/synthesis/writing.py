"""Write any number in handwriting with the synthesis network (issue 17): the Python API behind ``synthesize``.

Where :mod:`mnist_handwriting.write` pastes converted MNIST digits side by side, this module
asks the trained synthesis network (:mod:`.model`) to write the text
itself, as one hand, digits joined as the network learned from its training numbers::

    from mnist_handwriting.synthesis.writing import load_synthesizer, prime_from_writer, synthesize

    model = load_synthesizer()                                   # the shipped weights
    [writing] = synthesize("2026-12-01", model, bias=1.0, seed=0, prime=prime_from_writer(28))
    writing.points      # (T, 3) x, y, pen_up in write's frame (1.0 = 28 px, y in [0, 1])
    writing.alignment   # (T,) the character of the text each point was written for

Outputs are :class:`SynthesizedWriting`, a :class:`mnist_handwriting.write.Writing` with the
attention window's alignment, so every exporter of written numbers takes them
(:func:`mnist_handwriting.export.numbers.save_writing`: SVG, GIF, JSON, numbers ``.npz``).

A *prime* (:class:`Prime`) is a sample of a hand: a text, its normalised offsets and its digits.
The network reads it first and writes on in that hand (Graves 2013, section 5.5); a network
trained with hands (:mod:`.hands`) is also shown, for every digit it writes, the prime's own
example of that digit. :func:`prime_from_writer` writes the ten digits, shuffled, with a pendigits
writer's own digits; :func:`prime_from_writing` takes any written number (from ``write``,
``synthesize`` or a numbers file; its digits are cut out by its spans). Unprimed, a network trained
with hands writes each text in a random handwritten-MNIST hand (:func:`.hands.random_hand`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from tqdm import tqdm

from ..errors import UserError
from ..paths import WEIGHTS_DIR
from ..strokes import from_offsets, stroke_bounds
from ..write import MARGIN, Writing
from .hands import hand_from_digits, random_hand, written_digits
from .model import check_request, load_synthesis, sample
from .numbers import ALPHABET, OFFSET_STD, encode, mnist_pool, number_by_writer, to_model_offsets

NAME = "synthesis"
SHIPPED = WEIGHTS_DIR / f"{NAME}.safetensors"
PRIME_DIGITS = 10
"""Digits of a writer's own hand that :func:`prime_from_writer` primes with (the ten, shuffled: every
class the network may write is shown)."""
BATCH = 256
"""Texts sampled at once."""


@dataclass
class SynthesizedWriting(Writing):
    """A :class:`Writing` by the synthesis network; ``alignment: (T,)`` int64, the index in ``text`` of
    the character each point was written for: where the attention window was, by whole strokes and
    non-decreasing (:func:`stroke_alignment`), so it agrees with ``spans``."""

    alignment: np.ndarray


@dataclass(frozen=True)
class Prime:
    """A sample of a hand: ``text`` (ending in a space, so that the target starts a new word),
    ``offsets: (T, 3)`` in the network's normalised offsets, ``source`` (where it came from) and
    ``digits``: its digits as ``(label, points (n, 3))`` (:func:`.hands.written_digits`; empty when
    the writing is not split into characters), the hand shown to a network trained with hands."""

    text: str
    offsets: np.ndarray
    source: str
    digits: tuple = ()


def load_synthesizer(path: str | os.PathLike | None = None, device: str | torch.device = "cpu"):
    """The synthesis network in ``path`` (default: the shipped weights), float32, eval mode."""
    if path is None and not SHIPPED.is_file():
        raise UserError(f"no synthesis model is shipped yet ({SHIPPED} does not exist)",
                        "train one with `mnist-handwriting train-synthesis --out DIR` and pass DIR/synthesis.safetensors "
                        "as --model", "path")
    return load_synthesis(SHIPPED if path is None else path, device)


def prime_from_writing(writing: Writing, source: str = "a writing") -> Prime:
    """``writing`` (its text and points in the writing frame) as a :class:`Prime`."""
    text = writing.text.rstrip()
    if not text:
        raise UserError(f"{source} has no text to prime with", "prime with a written number, e.g. from `write`",
                        "prime")
    encode(text, ALPHABET, "prime with")
    return Prime(text + " ", to_model_offsets(writing.points), source, tuple(written_digits(writing)))


def prime_from_writer(writer: int, seed: int = 0, digits: int = PRIME_DIGITS, data_dir=None, cache_dir=None) -> Prime:
    """``digits`` digits written with pendigits writer ``writer``'s own digits (any of 1-30), seeded: each of
    the ten once in a random order, then random ones (fewer than ten: the first ``digits`` of the ten)."""
    rng = np.random.default_rng([seed, writer])
    order = [*rng.permutation(10), *rng.integers(0, 10, size=max(0, digits - 10))][:digits]
    text = "".join(str(d) for d in order)
    number = number_by_writer(text, writer, seed, data_dir, cache_dir)
    return prime_from_writing(number.writing(), f"pendigits writer {writer}")


def check_texts(texts: str | Sequence[str], bias: float, prime: Prime | None = None) -> list[str]:
    """The texts as a list, each writable (alphabet, length, not empty) with ``bias`` and ``prime``, or a ``UserError``."""
    checked, _, _ = check_request(texts, bias, None if prime is None else (prime.text, prime.offsets), 1, ALPHABET)
    return checked


def stroke_alignment(points: np.ndarray, alignment: np.ndarray) -> np.ndarray:
    """The window's per-point ``alignment: (T,)`` made whole by strokes and non-decreasing: every stroke of
    ``points: (T, 3)`` goes to the character most of its points were written for (a tie: the earlier one),
    as a training number never lifts its pen inside a character or carries a stroke across two."""
    whole = np.asarray(alignment, np.int64).copy()
    for start, stop in stroke_bounds(points):
        whole[start:stop] = np.bincount(whole[start:stop]).argmax()
    return np.maximum.accumulate(whole)


def _writing(text: str, offsets: np.ndarray, alignment: np.ndarray, start: np.ndarray) -> SynthesizedWriting:
    """A sampled ``offsets: (T, 3)`` (normalised, from ``start``, the prime's last point or the origin)
    in the writing frame, shifted to begin at the left margin; spans from the alignment."""
    moves = offsets.astype(np.float32).copy()
    moves[:, :2] *= OFFSET_STD
    moves[0, :2] += start
    points = from_offsets(moves)
    points[:, 0] += MARGIN - points[:, 0].min()
    alignment = stroke_alignment(points, alignment)
    spans = []
    for index in range(len(text)):
        rows = np.flatnonzero(alignment == index)
        first = int(np.searchsorted(alignment, index))
        spans.append((int(rows[0]), int(rows[-1]) + 1) if len(rows) else (first, first))
    return SynthesizedWriting(text, points, float(points[:, 0].max() + MARGIN), spans, alignment)


def synthesize(texts: str | Sequence[str], model=None, *, bias: float = 1.0, seed: int = 0, prime: Prime | None = None,
               batch_size: int = BATCH, progress: bool = False) -> list[SynthesizedWriting]:
    """Write each of ``texts`` with ``model`` (default: the shipped one); one :class:`SynthesizedWriting` each.

    ``bias``: 0 samples the learned distribution, higher is neater (1 is a good default). The same
    ``seed`` and arguments give the same writings. ``prime``: continue in that hand (and, for a network
    trained with hands, follow its digits' shapes); without one, a network trained with hands is shown a
    random handwritten-MNIST hand for each text (:func:`.hands.random_hand`, drawn with ``seed``).
    """
    texts = check_texts(texts, bias, prime)
    model = load_synthesizer() if model is None else model
    points = model.config.hand_points
    if not points:
        hands = [None] * len(texts)
    elif prime is None:   # a random handwritten-MNIST hand per text, drawn in text order whatever the batches
        rng, pool = np.random.default_rng(seed), mnist_pool("train")
        hands = [random_hand(pool, text, rng, points) for text in texts]
    else:
        hands = [hand_from_digits(list(prime.digits), points) if prime.digits else None] * len(texts)
    # The prime's offsets start at the frame's origin, so its last point is their sum.
    start = np.zeros(2, np.float32) if prime is None else prime.offsets[:, :2].sum(0) * OFFSET_STD
    writings = []
    with tqdm(total=len(texts), desc="synthesize", unit="text", disable=None if progress else True) as bar:
        for batch, begin in enumerate(range(0, len(texts), batch_size)):
            part = texts[begin:begin + batch_size]
            for drawn in sample(model, part, bias=bias, seed=seed + batch, hand=hands[begin:begin + batch_size],
                                prime=None if prime is None else (prime.text, prime.offsets)):
                writings.append(_writing(drawn.text, drawn.offsets, drawn.alignment, start))
            bar.update(len(part))
    return writings


__all__ = ["SynthesizedWriting", "Prime", "stroke_alignment", "load_synthesizer", "prime_from_writing", "prime_from_writer",
           "check_texts", "synthesize", "SHIPPED", "PRIME_DIGITS"]
