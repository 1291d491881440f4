"""Training numbers for synthesis and the reader: texts and spans, sources, writers, offsets."""

import numpy as np
import pytest

from mnist_handwriting.data.human import load_pendigits
from mnist_handwriting.datasets import shipped
from mnist_handwriting.errors import UserError
from mnist_handwriting.strokes import resample
from mnist_handwriting.synthesis.numbers import (ALPHABET, MAX_CHARACTERS, OFFSET_STD, POINTS_PER_DIGIT, TEST_OFFSET,
                                                 build_numbers, from_model_offsets, offset_std, to_model_offsets)

WRITERS = (3, 7)


@pytest.fixture(scope="module")
def mixed(data_dir, cache_dir):
    return build_numbers(300, "both", writers=WRITERS, seed=0, data_dir=data_dir, cache_dir=cache_dir)


@pytest.fixture(scope="module")
def pendigits(data_dir, cache_dir):
    return load_pendigits(data_dir, cache_dir)


def test_texts_match_spans(mixed):
    for sample in mixed:
        assert 1 <= len(sample.text) <= MAX_CHARACTERS and set(sample.text) <= set(ALPHABET)
        assert len(sample.spans) == len(sample.text)
        assert len(sample.digits) == sum(c.isdigit() for c in sample.text)
        assert sample.spans[0][0] == 0 and sample.spans[-1][1] == len(sample.points)
        assert all(a[1] == b[0] for a, b in zip(sample.spans, sample.spans[1:]))    # contiguous, in order
        for char, (start, stop) in zip(sample.text, sample.spans):
            if char == " ":
                assert start == stop
            else:
                assert sample.points[stop - 1, 2] == 1                               # pen lifted after each character
            if char.isdigit():
                assert stop - start == POINTS_PER_DIGIT
        assert sample.points[:, 0].max() < sample.width and 0 <= sample.points[:, 1].min() <= sample.points[:, 1].max() <= 1
    lengths = {len(s.text) for s in mixed}
    assert min(lengths) == 1 and max(lengths) >= 10
    assert set("".join(s.text for s in mixed)) == set(ALPHABET)                     # every character occurs
    assert 0.35 < np.mean([s.writer is None for s in mixed]) < 0.65                 # half MNIST, half pendigits


def _normalised(points: np.ndarray) -> np.ndarray:
    xy = points[:, :2] - points[:, :2].min(axis=0)
    return xy / np.ptp(xy, axis=0).max()


def test_digits_are_their_sources_scaled_and_moved(mixed, pendigits):
    train = shipped.load("train")
    checked = 0
    for sample in mixed:
        digit_spans = [span for char, span in zip(sample.text, sample.spans) if char.isdigit()]
        for (start, stop), source, char in zip(digit_spans, sample.digits, [c for c in sample.text if c.isdigit()]):
            drawn = sample.points[start:stop]
            if drawn[:, 1].min() <= 0 or drawn[:, 1].max() >= 1:   # clipped at the cell's edge: not a pure move
                continue
            if sample.writer is None:
                original, label = train.points[source], train.labels[source]
            else:
                original = resample(pendigits.trajectory(source), POINTS_PER_DIGIT)
                label = pendigits.labels[source]
            assert label == int(char)
            np.testing.assert_allclose(_normalised(drawn), _normalised(original), atol=1e-4)
            np.testing.assert_array_equal(drawn[:, 2], original[:, 2])
            checked += 1
    assert checked > 500


def test_no_test_digit_is_used_unless_evaluating():
    for split, low, high in (("train", 0, 55_000), ("valid", 55_000, 60_000)):
        ids = np.concatenate([s.digits for s in build_numbers(200, "mnist", split=split, seed=1)])
        assert ids.min() >= low and ids.max() < high
    with pytest.raises(UserError, match="test digits are kept out of training"):
        build_numbers(3, "mnist", split="test")
    test = build_numbers(100, "mnist", split="test", seed=1, evaluation=True)
    ids = np.concatenate([s.digits for s in test])
    assert ids.min() >= TEST_OFFSET
    labels = shipped.load("test").labels
    digits = [int(c) for s in test for c in s.text if c.isdigit()]
    np.testing.assert_array_equal(labels[ids - TEST_OFFSET], digits)


def test_pendigits_numbers_are_written_by_one_writer(data_dir, cache_dir, pendigits):
    samples = build_numbers(200, "pendigits", writers=WRITERS, seed=2, data_dir=data_dir, cache_dir=cache_dir)
    assert {s.writer for s in samples} == set(WRITERS)
    for sample in samples:
        assert set(pendigits.writers[list(sample.digits)]) <= {sample.writer}
        assert list(pendigits.labels[list(sample.digits)]) == [int(c) for c in sample.text if c.isdigit()]


def test_development_writers_stay_unseen_by_default(data_dir, cache_dir):
    samples = build_numbers(300, "pendigits", seed=3, data_dir=data_dir, cache_dir=cache_dir)
    writers = {s.writer for s in samples}
    assert writers <= set(range(1, 25)) and len(writers) > 15
    for writers in ([25], [1, 30], range(20, 31)):
        with pytest.raises(UserError, match="development writers 25-30"):
            build_numbers(3, "pendigits", writers=writers, data_dir=data_dir, cache_dir=cache_dir)
    dev = build_numbers(20, "pendigits", writers=[25, 30], evaluation=True, data_dir=data_dir, cache_dir=cache_dir)
    assert {s.writer for s in dev} <= {25, 30}


@pytest.mark.parametrize("arguments, message", [
    ({"source": "iam"}, "unknown source"), ({"source": "mnist", "writers": [1]}, "have no writers"),
    ({"source": "pendigits", "writers": [0]}, "not pendigits writers"), ({"split": "all"}, "unknown MNIST split"),
    ({"count": 0}, "cannot make 0")])
def test_bad_arguments_are_user_errors(arguments, message):
    with pytest.raises(UserError, match=message):
        build_numbers(**{"count": 2, "source": "mnist", **arguments})


def test_the_same_seed_gives_the_same_numbers():
    a, b, c = (build_numbers(20, "mnist", seed=seed) for seed in (4, 4, 5))
    assert [s.text for s in a] == [s.text for s in b] and [s.text for s in a] != [s.text for s in c]
    assert all(np.array_equal(x.points, y.points) for x, y in zip(a, b))


def test_model_offsets_by_hand_and_round_trip(mixed):
    points = np.array([[0.1, 0.5, 0], [0.3, 0.4, 1], [0.6, 0.5, 1]], np.float32)
    expected = np.array([[0.1 / OFFSET_STD, 0.5 / OFFSET_STD, 0], [0.2 / OFFSET_STD, -0.1 / OFFSET_STD, 1],
                         [0.3 / OFFSET_STD, 0.1 / OFFSET_STD, 1]], np.float32)
    np.testing.assert_allclose(to_model_offsets(points), expected, rtol=1e-5)
    for sample in mixed[:50]:
        np.testing.assert_allclose(from_model_offsets(to_model_offsets(sample.points)), sample.points, atol=1e-5)
    soft = to_model_offsets(points)
    soft[:, 2] = [0.2, 0.7, 0.1]                 # a model's probabilities: thresholded, the last point lifts
    np.testing.assert_array_equal(from_model_offsets(soft)[:, 2], [0, 1, 1])
    with pytest.raises(UserError, match="expected"):
        to_model_offsets(np.zeros((0, 3)))


def test_the_stored_std_is_that_of_training_numbers(data_dir, cache_dir):
    """The shipped networks were trained with OFFSET_STD measured on the dataset of the routed human-best (0.1185);
    the dataset rebuilt by the masked human-best (issue 12) gives 0.125: the model offsets stay near unit scale."""
    samples = build_numbers(2000, seed=6, data_dir=data_dir, cache_dir=cache_dir)
    assert offset_std(samples) == pytest.approx(OFFSET_STD, rel=0.08)
    assert np.std(np.concatenate([to_model_offsets(s.points)[1:, :2].ravel() for s in samples])) == pytest.approx(1, rel=0.08)


def test_joined_numbers_are_two_numbers_in_one_hand_and_leave_the_others_alone(data_dir, cache_dir):
    plain = build_numbers(200, "pendigits", writers=WRITERS, seed=4, data_dir=data_dir, cache_dir=cache_dir)
    joined = build_numbers(200, "pendigits", writers=WRITERS, seed=4, joined=0.5, data_dir=data_dir,
                           cache_dir=cache_dir)
    longer = [j for p, j in zip(plain, joined) if j.text != p.text]
    assert 60 < len(longer) < 140                                    # about half
    for p, j in zip(plain, joined):
        assert j.text.startswith(p.text)
        if j.text != p.text:
            first, second = j.text[:len(p.text)], j.text[len(p.text) + 1:]
            assert j.text[len(p.text)] == " " and second and " " not in (first[0], second[0])
            assert len(j.text) <= 2 * MAX_CHARACTERS + 1 and j.writer in WRITERS   # one writer for both
    assert [s.text for s in build_numbers(200, "pendigits", writers=WRITERS, seed=4, joined=0.0, data_dir=data_dir,
                                          cache_dir=cache_dir)] == [s.text for s in plain]
    with pytest.raises(UserError, match="'joined' probability of 1.5"):
        build_numbers(5, "mnist", joined=1.5)
