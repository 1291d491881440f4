"""The ``train-synthesis`` command: a tiny real run on real numbers, and its one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mnist_handwriting.cli import main
from mnist_handwriting.synthesis.model import load_synthesis
from mnist_handwriting.synthesis.training import CHECKPOINT, MODEL_FILE, numbers_data


def test_numbers_data_are_normalised_offsets_of_training_or_validation_numbers(data_dir, cache_dir):
    train = numbers_data(6, "both", seed=3, data_dir=data_dir, cache_dir=cache_dir)
    again = numbers_data(6, "both", seed=3, data_dir=data_dir, cache_dir=cache_dir)
    assert [text for text, _ in train] == [text for text, _ in again]
    for (text, offsets), (_, same) in zip(train, again):
        assert offsets.dtype == np.float32 and offsets.shape[1] == 3 and offsets[-1, 2] == 1.0
        np.testing.assert_array_equal(offsets, same)
        assert 1 <= len(text) <= 12
    valid = numbers_data(6, "pendigits", validation=True, seed=3, data_dir=data_dir, cache_dir=cache_dir)
    assert not any(np.array_equal(a, b) for (_, a), (_, b) in zip(valid, train))


def test_train_synthesis_trains_records_its_data_and_resumes(tmp_path, data_dir, cache_dir, capsys):
    out = tmp_path / "run"
    common = ["--out", str(out), "--numbers", "40", "--valid-numbers", "8", "--layers", "1", "--hidden", "8",
              "--mixtures", "2", "--batch-size", "8", "--data-dir", str(data_dir), "--cache-dir", str(cache_dir)]
    assert main(["train-synthesis", *common, "--steps", "3"]) == 0
    assert "validation NLL" in capsys.readouterr().out
    record = json.loads((out / MODEL_FILE).with_suffix(".json").read_text())
    assert record["metrics"]["steps"] == 3 and np.isfinite(record["metrics"]["validation_nll"])
    assert record["train"]["data"] == "both: 40 numbers, seed 0"
    assert record["config"]["hidden"] == 8
    assert load_synthesis(out / MODEL_FILE).config.mixtures == 2
    assert main(["train-synthesis", *common, "--steps", "3"]) == 2          # the run exists: resume or move
    assert "--resume" in capsys.readouterr().err
    assert main(["train-synthesis", *common, "--steps", "5", "--resume"]) == 0
    assert json.loads((out / MODEL_FILE).with_suffix(".json").read_text())["metrics"]["steps"] == 5


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
