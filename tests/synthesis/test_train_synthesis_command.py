"""The ``train-synthesis`` command: a tiny real run on real numbers, and its one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mnist_handwriting.cli import main
from mnist_handwriting.errors import UserError
from mnist_handwriting.synthesis.model import load_synthesis
from mnist_handwriting.synthesis.training import CHECKPOINT, MODEL_FILE, numbers_data


def test_numbers_data_are_normalised_offsets_of_training_or_validation_numbers(data_dir, cache_dir):
    train = numbers_data(6, "both", seed=3, data_dir=data_dir, cache_dir=cache_dir)
    again = numbers_data(6, "both", seed=3, data_dir=data_dir, cache_dir=cache_dir)
    assert [text for text, _, _ in train] == [text for text, _, _ in again]
    for (text, offsets, hand), (_, same, same_hand) in zip(train, again):
        assert offsets.dtype == np.float32 and offsets.shape[1] == 3 and offsets[-1, 2] == 1.0
        np.testing.assert_array_equal(offsets, same)
        assert 1 <= len(text) <= 12
        assert (hand is None) == (same_hand is None)
        if hand is not None:
            np.testing.assert_array_equal(hand.shapes, same_hand.shapes)
    valid = numbers_data(6, "pendigits", validation=True, seed=3, data_dir=data_dir, cache_dir=cache_dir)
    assert not any(np.array_equal(a, b) for (_, a, _), (_, b, _) in zip(valid, train))


def test_writer_hands_are_other_digits_of_the_numbers_writer_and_mnist_numbers_get_none(data_dir, cache_dir):
    from mnist_handwriting.synthesis.hands import digit_shape
    from mnist_handwriting.synthesis.numbers import TRAIN_WRITERS, build_numbers, pendigits_pool

    data = numbers_data(40, "both", seed=5, hands="writer", data_dir=data_dir, cache_dir=cache_dir)
    numbers = build_numbers(40, "both", writers=TRAIN_WRITERS, seed=5, data_dir=data_dir, cache_dir=cache_dir)
    pool = pendigits_pool(TRAIN_WRITERS, data_dir, cache_dir)
    by_writer = [(number, hand) for number, (_, _, hand) in zip(numbers, data) if number.writer is not None]
    assert by_writer and all(hand is None for number, (_, _, hand) in zip(numbers, data) if number.writer is None)
    for number, hand in by_writer:
        for label in np.flatnonzero(hand.present):
            # the shape is one of this writer's digits of that class, none of those the number is written with
            rows = [row for row in pool.members(int(label), number.writer) if int(pool.ids[row]) not in number.digits]
            assert any(np.allclose(hand.shapes[label], digit_shape(pool.points[row])) for row in rows)
    shown = np.mean([hand.present.mean() for _, hand in by_writer])
    assert 0.6 < shown < 0.95                                          # KEEP = 0.8 of the classes


def test_resembling_hands_show_a_near_digit_of_the_same_source_and_writer_for_every_number(data_dir, cache_dir):
    from mnist_handwriting.synthesis.hands import digit_shape, resembling_rows
    from mnist_handwriting.synthesis.numbers import TRAIN_WRITERS, build_numbers, mnist_pool, pendigits_pool

    data = numbers_data(30, "both", seed=6, data_dir=data_dir, cache_dir=cache_dir)
    numbers = build_numbers(30, "both", writers=TRAIN_WRITERS, seed=6, data_dir=data_dir, cache_dir=cache_dir)
    pools = {False: mnist_pool("train"), True: pendigits_pool(TRAIN_WRITERS, data_dir, cache_dir)}
    nearest = {human: resembling_rows(pool) for human, pool in pools.items()}
    assert {number.writer is None for number in numbers} == {True, False}
    for number, (text, _, hand) in zip(numbers, data):
        human = number.writer is not None
        pool = pools[human]
        rows = pool.rows(number.digits).tolist()
        labels = [int(char) for char in text if char.isdigit()]
        assert set(np.flatnonzero(hand.present)) <= set(labels)
        for label in np.flatnonzero(hand.present):
            first = rows[labels.index(label)]
            options = [row for row in nearest[human][first] if row not in rows]
            assert any(np.allclose(hand.shapes[label], digit_shape(pool.points[row])) for row in options)
    with pytest.raises(UserError, match="unknown hands 'mine'"):
        numbers_data(2, "both", hands="mine", data_dir=data_dir, cache_dir=cache_dir)


def test_train_synthesis_trains_records_its_data_and_resumes(tmp_path, data_dir, cache_dir, capsys):
    out = tmp_path / "run"
    common = ["--out", str(out), "--numbers", "40", "--valid-numbers", "8", "--layers", "1", "--hidden", "8",
              "--mixtures", "2", "--batch-size", "8", "--data-dir", str(data_dir), "--cache-dir", str(cache_dir)]
    assert main(["train-synthesis", *common, "--steps", "3"]) == 0
    assert "validation NLL" in capsys.readouterr().out
    record = json.loads((out / MODEL_FILE).with_suffix(".json").read_text())
    assert record["metrics"]["steps"] == 3 and np.isfinite(record["metrics"]["validation_nll"])
    assert record["train"]["data"] == "both: 40 numbers, seed 0, resembling hands"
    assert record["config"]["hidden"] == 8 and record["config"]["hand_points"] == 12   # shown a hand by default
    assert load_synthesis(out / MODEL_FILE).config.mixtures == 2
    assert main(["train-synthesis", *common, "--steps", "3"]) == 2          # the run exists: resume or move
    assert "--resume" in capsys.readouterr().err
    assert main(["train-synthesis", *common, "--steps", "5", "--resume"]) == 0
    assert json.loads((out / MODEL_FILE).with_suffix(".json").read_text())["metrics"]["steps"] == 5


def test_train_synthesis_init_starts_from_the_given_weights_and_refuses_another_architecture(tmp_path, data_dir,
                                                                                           cache_dir, capsys):
    import torch

    first, second = tmp_path / "first", tmp_path / "second"
    common = ["--numbers", "40", "--valid-numbers", "8", "--batch-size", "8", "--data-dir", str(data_dir),
              "--cache-dir", str(cache_dir)]
    tiny = ["--layers", "1", "--hidden", "8", "--mixtures", "2", "--hand-points", "3"]
    assert main(["train-synthesis", "--out", str(first), *common, *tiny, "--steps", "2"]) == 0
    start = first / MODEL_FILE
    # Zero steps are not allowed, so compare one tiny-learning-rate step against the start: close, not fresh.
    assert main(["train-synthesis", "--out", str(second), *common, "--init", str(start), "--steps", "1",
                 "--lr", "1e-9"]) == 0
    before, after = load_synthesis(start), load_synthesis(second / MODEL_FILE)
    assert after.config == before.config                                # the architecture came from the file
    for name, value in before.state_dict().items():
        torch.testing.assert_close(after.state_dict()[name], value, atol=1e-3, rtol=0)
    record = json.loads((second / MODEL_FILE).with_suffix(".json").read_text())
    assert record["train"]["init"] == str(start)
    capsys.readouterr()
    assert main(["train-synthesis", "--out", str(tmp_path / "third"), *common, "--init", str(start),
                 "--hidden", "16", "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert "the run asks for" in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "third").exists()


@pytest.mark.parametrize("arguments, message", [
    (["--minutes", "0"], "budget of 0.0 minutes"),
    (["--numbers", "0"], "--numbers 0 is not positive"),
    (["--hidden", "0"], "hidden must be an integer of 1 or more"),
    (["--batch-size", "0"], "--batch-size"),
    (["--resume"], "no run to resume"),
])
def test_train_synthesis_errors_are_one_line_and_exit_2(tmp_path, capsys, arguments, message):
    assert main(["train-synthesis", "--out", str(tmp_path / "run"), *arguments]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err
    assert not (tmp_path / "run" / CHECKPOINT).exists()
