"""The synthesis measurements: unit boxes, digits cut out by their spans, the writer identifier, diversity."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_handwriting.synthesis import evaluation as ev
from mnist_handwriting.synthesis.numbers import pendigits_pool
from mnist_handwriting.write import Writing


def test_unit_box_centres_and_scales_by_the_longer_side():
    points = np.array([[1.0, 2.0, 0], [3.0, 3.0, 0], [2.0, 2.5, 1]], np.float32)   # box 2 wide, 1 high
    boxed = ev.unit_box(points)
    np.testing.assert_allclose(boxed[:, :2], [[0.0, 0.25], [1.0, 0.75], [0.5, 0.5]])
    np.testing.assert_array_equal(boxed[:, 2], points[:, 2])


def test_written_digits_are_cut_by_the_spans_and_skip_spaces_and_punctuation():
    points = np.arange(24, dtype=np.float32).reshape(8, 3) % 1
    writing = Writing("4 .7", points, 2.0, [(0, 3), (3, 3), (3, 5), (5, 8)])
    digits = ev.written_digits(writing)
    assert [label for label, _ in digits] == [4, 7]
    assert [len(p) for _, p in digits] == [3, 3] and all(p[-1, 2] == 1.0 for _, p in digits)


def test_confusion_counts_rows_by_the_true_writer():
    table = ev.confusion([(25, 25), (25, 26), (26, 26), (27, 25)], (25, 26, 27))
    assert table.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_the_identifier_recognises_real_writers_from_their_other_digits(data_dir, cache_dir):
    refs = ev.references(pendigits_pool(ev.DEV_WRITERS, data_dir, cache_dir, half=1))
    held_out = pendigits_pool(refs.writers, data_dir, cache_dir, half=0)
    pairs = []
    for writer in refs.writers:
        for label in (2, 5, 8):
            for row in held_out.members(label, writer)[:4]:
                pairs.append((writer, ev.identify(label, held_out.points[row], refs)))
    table = ev.confusion(pairs, refs.writers)
    assert np.trace(table) / table.sum() > 0.5   # chance: 1 in 6


def test_diversity_falls_with_the_bias(trained):
    texts = ["0", "12", "301"]
    assert ev.diversity(trained, texts, bias=50.0) < 0.5 * ev.diversity(trained, texts, bias=0.0)
