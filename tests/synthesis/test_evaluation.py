"""The synthesis measurements: the writer identifier, its confusion table, diversity."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_handwriting.synthesis import evaluation as ev
from mnist_handwriting.synthesis.numbers import pendigits_pool


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


def test_misread_by_character_counts_the_misread_texts_containing_each_character():
    from mnist_handwriting.synthesis.evaluation import misread_by_character

    texts = ["1+2", "3+3", "45", "6-7"]
    reads = ["1-2", "3-3", "45", "6-1"]            # "45" is read right, so its characters count nowhere
    assert misread_by_character(reads, texts) == {"+": 2, "-": 1, "1": 1, "2": 1, "3": 1, "6": 1, "7": 1}
    assert list(misread_by_character(reads, texts))[0] == "+"
    assert misread_by_character(texts, texts) == {}
