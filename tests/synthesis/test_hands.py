"""Hands: unit boxes, digits cut out by their spans, one shape per class, the rows the network reads, and the
network conditioned on them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mnist_handwriting.errors import UserError
from mnist_handwriting.synthesis.hands import (HAND_POINTS, Hand, character_features, digit_shape, feature_size,
                                               hand_from_digits, hand_from_writing, random_hand, resembling_hand,
                                               resembling_rows, unit_box, written_digits)
from mnist_handwriting.synthesis.numbers import TrajectoryPool
from mnist_handwriting.synthesis.model import SynthesisConfig, SynthesisNetwork, encode_batch, hand_features, sample
from mnist_handwriting.synthesis.training import collate
from mnist_handwriting.synthesis.writing import prime_from_writer, synthesize
from mnist_handwriting.write import Writing


def test_unit_box_centres_and_scales_by_the_longer_side():
    points = np.array([[1.0, 2.0, 0], [3.0, 3.0, 0], [2.0, 2.5, 1]], np.float32)   # box 2 wide, 1 high
    boxed = unit_box(points)
    np.testing.assert_allclose(boxed[:, :2], [[0.0, 0.25], [1.0, 0.75], [0.5, 0.5]])
    np.testing.assert_array_equal(boxed[:, 2], points[:, 2])


def test_written_digits_are_cut_by_the_spans_and_skip_spaces_and_punctuation():
    points = np.arange(24, dtype=np.float32).reshape(8, 3) % 1
    writing = Writing("4 .7", points, 2.0, [(0, 3), (3, 3), (3, 5), (5, 8)])
    digits = written_digits(writing)
    assert [label for label, _ in digits] == [4, 7]
    assert [len(p) for _, p in digits] == [3, 3] and all(p[-1, 2] == 1.0 for _, p in digits)


def test_a_digit_shape_is_its_unit_box_resampled_by_arc_length():
    line = np.array([[2.0, 1.0, 0], [2.0, 3.0, 1]], np.float32)                   # a vertical bar, 2 long
    shape = digit_shape(line, 5)
    np.testing.assert_allclose(shape, [[0.5, 0, 0], [0.5, 0.25, 0], [0.5, 0.5, 0], [0.5, 0.75, 0], [0.5, 1, 1]],
                               atol=1e-6)


def test_a_hand_keeps_the_first_digit_of_each_class_and_its_features_are_hand_computed():
    one = np.array([[0.0, 0.0, 0], [0.0, 1.0, 1]], np.float32)
    other_one = np.array([[0.0, 0.0, 0], [1.0, 1.0, 1]], np.float32)
    seven = np.array([[0.0, 0.0, 0], [1.0, 0.0, 0], [0.0, 1.0, 1]], np.float32)
    hand = hand_from_digits([(1, one), (7, seven), (1, other_one)], count=2)
    assert hand.present.tolist() == [i in (1, 7) for i in range(10)]
    np.testing.assert_allclose(hand.shapes[1], [[0.5, 0, 0], [0.5, 1, 1]])         # the first 1, not the diagonal
    features = character_features("17 3", hand, count=2)
    assert features.shape == (4, feature_size(2)) == (4, 7)
    np.testing.assert_allclose(features[0], [0, -0.5, 0, 0, 0.5, 1, 1])             # centred on 0, then the flag
    np.testing.assert_allclose(features[1, :3], hand.shapes[7][0] - [0.5, 0.5, 0])
    assert features[1, -1] == 1 and not features[2].any() and not features[3].any()  # a space; a 3 not shown
    assert not character_features("17", None, count=2).any()
    with pytest.raises(ValueError, match="2 points"):
        character_features("1", hand, count=3)


def test_a_writers_prime_shows_every_digit_and_its_hand_is_that_writers(data_dir, cache_dir):
    prime = prime_from_writer(28, seed=1, data_dir=data_dir, cache_dir=cache_dir)
    assert sorted(prime.text.strip()) == list("0123456789")
    hand = hand_from_digits(list(prime.digits))
    assert hand.present.all() and hand.shapes.shape == (10, HAND_POINTS, 3)
    assert hand_from_writing(Writing("12", np.zeros((4, 3), np.float32), 1.0, [])) is None   # no spans, no hand


def tiny_hand_network() -> SynthesisNetwork:
    torch.manual_seed(0)
    return SynthesisNetwork(SynthesisConfig(layers=2, hidden=16, window=2, mixtures=3, hand_points=4)).eval()


def test_the_window_reads_the_hand_so_another_hand_changes_the_output_and_none_equals_zeros():
    model = tiny_hand_network()
    text, mask = encode_batch(["12", "12"])
    inputs = torch.randn(2, 5, 3)
    rng = np.random.default_rng(0)
    hands = [Hand(rng.random((10, 4, 3), dtype=np.float32), np.ones(10, bool)) for _ in range(2)]
    features = torch.from_numpy(np.stack([character_features("12", hand, 4) for hand in hands]))
    with torch.no_grad():
        shown, _ = model(inputs, text, mask, hand=features)
        none, _ = model(inputs, text, mask)
        zeros, _ = model(inputs, text, mask, hand=torch.zeros_like(features))
    assert not torch.allclose(shown.mixture.mu[0], shown.mixture.mu[1])            # same text and inputs, two hands
    torch.testing.assert_close(none.mixture.mu, zeros.mixture.mu)
    with pytest.raises(ValueError, match="expected"):
        model(inputs, text, mask, hand=features[:, :, :5])


def test_collate_gives_each_sample_its_hand_rows_and_zeros_without_one():
    hand = Hand(np.full((10, 4, 3), 0.75, np.float32), np.ones(10, bool))
    offsets = np.array([[0.1, 0.2, 0], [0.3, 0.1, 1]], np.float32)
    batch = collate([("1", offsets, hand), ("23", offsets), ("4", offsets, None)], hand_points=4)
    assert batch.hand.shape == (3, 2, feature_size(4))
    np.testing.assert_allclose(batch.hand[0, 0].numpy(), character_features("1", hand, 4)[0])
    assert not batch.hand[0, 1].any() and not batch.hand[1].any() and not batch.hand[2].any()
    assert collate([("1", offsets, hand)]).hand is None                          # a network without hands


def test_sampling_follows_the_prime_hand_only_for_a_network_trained_with_hands(trained, data_dir, cache_dir):
    prime = prime_from_writer(25, seed=0, data_dir=data_dir, cache_dir=cache_dir)
    model = tiny_hand_network()
    other = prime_from_writer(26, seed=0, data_dir=data_dir, cache_dir=cache_dir)
    same_offsets = type(prime)(prime.text, prime.offsets, "25 with 26's digits", other.digits)
    first = synthesize("305", model, bias=2.0, seed=0, prime=prime)[0]
    second = synthesize("305", model, bias=2.0, seed=0, prime=same_offsets)[0]
    assert first.points.shape != second.points.shape or not np.allclose(first.points, second.points)
    with pytest.raises(UserError, match="without hands"):
        sample(trained, "12", hand=hand_from_digits(list(prime.digits), 4))
    synthesize("12", trained, prime=prime)                                           # its digits are ignored there


def test_a_drawing_without_spans_is_split_where_its_strokes_columns_part():
    from mnist_handwriting.synthesis.hands import spans_by_columns

    one = [[0.5, 0.2, 0], [0.45, 0.8, 1]]
    four = [[1.0, 0.2, 0], [0.9, 0.6, 0], [1.3, 0.6, 1], [1.2, 0.3, 0], [1.2, 0.9, 1]]   # two strokes, one column
    seven = [[2.0, 0.2, 0], [2.4, 0.2, 0], [2.1, 0.8, 1]]
    drawing = np.array(one + four + seven, np.float32)
    assert spans_by_columns("14 7", drawing) == [(0, 2), (2, 7), (7, 7), (7, 10)]
    assert spans_by_columns("147", drawing) == [(0, 2), (2, 7), (7, 10)]
    assert spans_by_columns("14", drawing) == []                                  # three characters drawn
    late_bar = np.array(one + four[:3] + seven + four[3:], np.float32)             # the 4's bar drawn after the 7
    assert spans_by_columns("147", late_bar) == []
    hand = hand_from_writing(Writing("147", drawing, 3.0, spans_by_columns("147", drawing)))
    assert hand.present.tolist() == [i in (1, 4, 7) for i in range(10)]


def test_train_synthesis_help_names_the_default_hand_points(capsys):
    from mnist_handwriting.cli import main

    with pytest.raises(SystemExit):
        main(["train-synthesis", "--help"])
    assert f"HAND_POINTS, {HAND_POINTS})" in " ".join(capsys.readouterr().out.split())


def test_unit_box_takes_a_batch_of_trajectories_one_box_each():
    tall = np.array([[0.0, 0.0, 0], [1.0, 4.0, 1]], np.float32)
    boxed = unit_box(np.stack([tall, tall * 2]))
    np.testing.assert_allclose(boxed[0], unit_box(tall))
    np.testing.assert_allclose(boxed[1], unit_box(tall * 2))
    np.testing.assert_allclose(boxed[0, :, :2], [[0.375, 0.0], [0.625, 1.0]])


def pool_of(shapes: list[tuple[int, list[float]]], writers=None):
    """A pool of two-point digits ``(label, [x0, y0, x1, y1])``, ids 100 + row."""
    points = np.array([[[x0, y0, 0], [x1, y1, 1]] for _, (x0, y0, x1, y1) in shapes], np.float32)
    labels = np.array([label for label, _ in shapes])
    return TrajectoryPool(points, labels, 100 + np.arange(len(shapes)),
                          None if writers is None else np.asarray(writers))


def test_resembling_rows_are_the_nearest_shapes_of_the_same_class_and_writer_self_excluded():
    # In the unit box: rows 0, 1 are vertical bars drawn downwards, 2 a bar drawn upwards, 3 a diagonal; row 4
    # is a 7 (another class).
    pool = pool_of([(1, [0, 0, 0, 2]), (1, [5, 1, 5, 9]), (1, [0, 3, 0, 0]), (1, [0, 0, 1, 1]), (7, [0, 0, 0, 1])])
    nearest = resembling_rows(pool, count=2)
    # Distances from row 0 (points (0.5, 0), (0.5, 1)): to row 1: 0; to the diagonal (0, 0), (1, 1): sqrt(0.5);
    # to the reversed bar: sqrt(2). From the reversed bar: sqrt(2) to either bar, sqrt(2.5) to the diagonal.
    assert nearest[0].tolist() == [1, 3] and nearest[1].tolist() == [0, 3] and sorted(nearest[2]) == [0, 1]
    assert nearest[4].tolist() == [-1, -1]                            # no other 7
    by_writer = resembling_rows(pool_of([(1, [0, 0, 0, 2]), (1, [5, 1, 5, 9]), (1, [0, 0, 0, 1])], [1, 2, 1]), 2)
    assert by_writer[0].tolist() == [2, -1] and by_writer[1].tolist() == [-1, -1]


def test_a_resembling_hand_shows_a_near_digit_of_each_written_class_never_one_written():
    pool = pool_of([(1, [0, 0, 0, 2]), (1, [5, 1, 5, 9]), (1, [0, 0, 1, 1]), (7, [0, 0, 1, 0]), (7, [0, 0, 2, 0.1])])
    nearest = resembling_rows(pool, count=2)
    assert pool.rows((101, 103)).tolist() == [1, 3]
    shown = []
    for seed in range(40):
        # "1 71" written with rows 0, 3, 1: the 1s' hand is a neighbour of row 0 not written (row 2), the 7's row 4
        hand = resembling_hand(pool, nearest, "1 71", (100, 103, 101), np.random.default_rng(seed), count=2)
        assert not hand.present[[0, 2, 3, 4, 5, 6, 8, 9]].any()
        if hand.present[1]:
            np.testing.assert_allclose(hand.shapes[1], digit_shape(pool.points[2], 2))
        if hand.present[7]:
            np.testing.assert_allclose(hand.shapes[7], digit_shape(pool.points[4], 2))
        shown += [hand.present[1], hand.present[7]]
    assert 0.6 < np.mean(shown) < 0.95                                 # KEEP = 0.8 of the classes


def test_a_random_hand_shows_one_pool_digit_of_each_class_of_the_text():
    pool = pool_of([(1, [0, 0, 0, 2]), (1, [5, 1, 9, 9]), (7, [0, 0, 1, 0]), (3, [0, 0, 2, 2])])
    chosen = set()
    for seed in range(30):
        hand = random_hand(pool, "17-1", np.random.default_rng(seed), count=2)
        assert hand.present.tolist() == [i in (1, 7) for i in range(10)]          # every class of the text, no other
        np.testing.assert_allclose(hand.shapes[7], digit_shape(pool.points[2], 2))
        chosen.add(next(row for row in (0, 1) if np.allclose(hand.shapes[1], digit_shape(pool.points[row], 2))))
    assert chosen == {0, 1}                                                        # either 1, at random


def test_hand_features_take_one_hand_per_text():
    model = tiny_hand_network()
    rng = np.random.default_rng(0)
    hand = Hand(rng.random((10, 4, 3), dtype=np.float32), np.ones(10, bool))
    rows = hand_features(model, ["12", "3"], [hand, None], 3).numpy()
    np.testing.assert_allclose(rows[0, :2], character_features("12", hand, 4))
    assert not rows[0, 2].any() and not rows[1].any()
    np.testing.assert_array_equal(hand_features(model, ["12", "3"], hand, 2).numpy()[1, 0],
                                  character_features("3", hand, 4)[0])            # one hand for every text
    with pytest.raises(ValueError, match="1 hands for 2 texts"):
        hand_features(model, ["12", "3"], [hand], 3)


def test_unprimed_a_hand_network_writes_each_text_in_a_random_mnist_hand_the_same_for_any_batch_size(monkeypatch):
    import mnist_handwriting.synthesis.writing as writing

    model = tiny_hand_network()
    shown = []
    real_sample = writing.sample
    monkeypatch.setattr(writing, "sample", lambda *args, hand, **kw: shown.append(hand) or real_sample(*args, hand=hand, **kw))
    texts = ["12", "12", "305"]
    one = synthesize(texts, model, bias=2.0, seed=3, batch_size=1)
    hands = [h for batch in shown for h in batch]
    assert all(h is not None and h.present.tolist() == [str(i) in t for i in range(10)] for h, t in zip(hands, texts))
    assert not np.allclose(hands[0].shapes[1], hands[1].shapes[1])                # the same text, two hands
    shown.clear()
    together = synthesize(texts, model, bias=2.0, seed=3, batch_size=3)
    for h, again in zip(hands, shown[0]):
        np.testing.assert_array_equal(h.shapes, again.shapes)
    assert len(one[0].points) and len(together[0].points)
