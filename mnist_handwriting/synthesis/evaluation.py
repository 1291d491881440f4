"""Measuring the synthesis network (issue 17, part 4): does it write the text, in the primed hand, with variety?

- **Legibility**: the shipped reader (:mod:`.reader`) reads synthesised numbers; their character
  error rate (CER) is set against the reader's CER on *real* numbers of the same texts written
  from MNIST test digits and from the development writers 25-30 (:func:`real_cer`).
- **Style** (:func:`style_confusion`): prime with a development writer's digits (their even
  pendigits rows), write numbers, cut each written digit out by its span (the attention window's
  alignment, by whole strokes: :func:`.writing.stroke_alignment`), and attribute it to the development writer whose own digits of that class (their odd
  rows, never in a prime) are nearest by LDTW after both are scaled into the unit box: the mean of
  the :data:`NEAREST` smallest distances to each writer's digits, the smallest mean wins. Chance
  is one in six; the same identifier on real held-out digits says how well it can do at all.
- **Diversity** (:func:`diversity`): mean LDTW in pixels between two samples of the same text.

Texts are random numbers as the training numbers are drawn
(:func:`.numbers.random_number_texts`), so their lengths vary from 1 to 12 characters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.human import DEV_WRITERS
from ..eval.metrics import dtw_batch, ldtw_batch
from ..strokes import resample
from ..write import Writing
from .hands import unit_box, written_digits
from .numbers import (POINTS_PER_DIGIT, TrajectoryPool, build_numbers, pendigits_pool, random_number_texts,
                      written_number)
from .reader import character_error_rate, read_trajectories
from .writing import prime_from_writing, synthesize

NEAREST = 3
"""Reference digits averaged per writer by the style identifier."""
PRIME_TEXT = "0123456789"
"""What a development writer's prime writes: one of each digit."""


def texts_for(count: int, seed: int) -> list[str]:
    """``count`` random number texts (the same as :func:`.numbers.build_numbers` draws for ``seed``)."""
    return random_number_texts(count, np.random.default_rng(seed))


def read_writings(reader, writings: list[Writing]) -> list[str]:
    """What the reader reads in each of ``writings``."""
    return read_trajectories(reader, [w.points for w in writings])


def cer_of_writings(reader, writings: list[Writing]) -> float:
    """The reader's CER on ``writings`` against their own texts."""
    return character_error_rate(read_writings(reader, writings), [w.text for w in writings])


def real_cer(reader, count: int, seed: int, data_dir=None, cache_dir=None) -> dict[str, float]:
    """The reader's CER on real numbers of :func:`texts_for` ``(count, seed)``: from MNIST test digits and
    from the development writers 25-30."""
    mnist = build_numbers(count, "mnist", split="test", seed=seed, evaluation=True)
    dev = build_numbers(count, "pendigits", writers=DEV_WRITERS, seed=seed, evaluation=True, data_dir=data_dir,
                        cache_dir=cache_dir)
    return {"mnist_test": cer_of_writings(reader, [s.writing() for s in mnist]),
            "dev_writers": cer_of_writings(reader, [s.writing() for s in dev])}


def synthesized_reads(model, reader, texts: list[str], bias: float, seed: int = 0, prime=None) -> list[str]:
    """What the reader reads in each of ``texts`` as ``model`` writes them at ``bias`` (score them with
    :func:`.reader.character_error_rate` and :func:`misread_by_character`)."""
    return read_writings(reader, synthesize(texts, model, bias=bias, seed=seed, prime=prime))


def misread_by_character(reads: list[str], texts: list[str]) -> dict[str, int]:
    """How many of the misread texts (read as something else) contain each character, most first."""
    counts: dict[str, int] = {}
    for text in (text for text, read in zip(texts, reads) if read != text):
        for char in set(text):
            counts[char] = counts.get(char, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@dataclass
class References:
    """Each development writer's held-out digits by class: ``digits[writer][label]: (n, P, 2)`` in the unit box, resampled."""

    writers: tuple[int, ...]
    digits: dict[int, dict[int, np.ndarray]]


def references(pool: TrajectoryPool, writers=DEV_WRITERS) -> References:
    """The digits of ``writers`` in ``pool`` (a :func:`.numbers.pendigits_pool`), as :class:`References`."""
    digits = {writer: {label: _shapes([pool.points[row] for row in pool.members(label, writer)]) for label in range(10)}
              for writer in writers}
    return References(tuple(writers), digits)


def _shapes(trajectories: list[np.ndarray]) -> np.ndarray:
    """Trajectories as ``(n, POINTS_PER_DIGIT, 2)`` pixel coordinates in the unit box, resampled by arc length."""
    return np.stack([resample(unit_box(t), POINTS_PER_DIGIT)[:, :2] * 28 for t in trajectories]).astype(np.float64)


def identify(label: int, points: np.ndarray, refs: References) -> int:
    """The writer among ``refs.writers`` whose digits ``label`` are nearest to ``points`` (module docstring)."""
    shape = _shapes([points])[0]
    scores = []
    for writer in refs.writers:
        theirs = refs.digits[writer][label]
        total, cells = dtw_batch(np.broadcast_to(shape, theirs.shape), theirs)
        scores.append(np.sort(total / cells)[:NEAREST].mean())
    return refs.writers[int(np.argmin(scores))]


def confusion(pairs: list[tuple[int, int]], writers: tuple[int, ...]) -> np.ndarray:
    """``(true, predicted)`` writer pairs as a count matrix ``(W, W)``, rows the true writer."""
    table = np.zeros((len(writers), len(writers)), np.int64)
    for true, predicted in pairs:
        table[writers.index(true), writers.index(predicted)] += 1
    return table


def style_confusion(model, numbers_per_writer: int, bias: float = 1.0, seed: int = 0, reader=None, data_dir=None,
                    cache_dir=None) -> dict:
    """Prime with each development writer, write ``numbers_per_writer`` random numbers, identify each written
    digit's writer. Returns the confusion table (rows: priming writer), its accuracy, the identifier's
    accuracy on as many real digits of the same writers (their even rows, against the odd), and with a
    ``reader``, the CER of each writer's primed numbers (``primed_cer``)."""
    primes = pendigits_pool(DEV_WRITERS, data_dir, cache_dir, half=0)
    refs = references(pendigits_pool(DEV_WRITERS, data_dir, cache_dir, half=1))
    synthesized, real, primed_cer = [], [], {}
    for writer in refs.writers:
        number = written_number(PRIME_TEXT, primes, writer, np.random.default_rng(seed))
        prime = prime_from_writing(number.writing(), f"pendigits writer {writer}")
        texts = texts_for(numbers_per_writer, seed + writer)
        writings = synthesize(texts, model, bias=bias, seed=seed + writer, prime=prime)
        for writing in writings:
            synthesized += [(writer, identify(label, points, refs)) for label, points in written_digits(writing)]
        if reader is not None:
            primed_cer[str(writer)] = cer_of_writings(reader, writings)
    rng = np.random.default_rng(seed)
    per_writer = max(1, len(synthesized) // len(refs.writers))
    for writer in refs.writers:
        rows = np.concatenate([primes.members(label, writer) for label in range(10)])
        labels = np.concatenate([[label] * len(primes.members(label, writer)) for label in range(10)])
        chosen = rng.choice(len(rows), size=min(per_writer, len(rows)), replace=False)
        real += [(writer, identify(int(labels[i]), primes.points[rows[i]], refs)) for i in chosen]
    table = confusion(synthesized, refs.writers)
    real_table = confusion(real, refs.writers)
    return {"writers": list(refs.writers), "confusion": table.tolist(), "digits": int(table.sum()),
            "accuracy": float(np.trace(table) / max(table.sum(), 1)),
            "real_accuracy": float(np.trace(real_table) / max(real_table.sum(), 1)), "real_digits": int(real_table.sum()),
            "chance": 1 / len(refs.writers), **({"primed_cer": primed_cer} if reader is not None else {})}


def diversity(model, texts: list[str], bias: float, seed: int = 0) -> float:
    """Mean LDTW (pixels) between two samples of each of ``texts`` at ``bias`` (seeds ``seed`` and ``seed + 1``),
    each resampled to 32 points per character."""
    first = synthesize(texts, model, bias=bias, seed=seed)
    second = synthesize(texts, model, bias=bias, seed=seed + 1)
    distances = []
    for length in sorted({len(t) for t in texts}):
        rows = [i for i, t in enumerate(texts) if len(t) == length]
        distances += ldtw_batch([first[i].points for i in rows], [second[i].points for i in rows],
                                count=32 * length).tolist()
    return float(np.mean(distances))


__all__ = ["texts_for", "read_writings", "cer_of_writings", "real_cer", "synthesized_reads", "misread_by_character",
           "References",
           "references", "identify", "confusion", "style_confusion", "diversity", "NEAREST", "PRIME_TEXT"]
