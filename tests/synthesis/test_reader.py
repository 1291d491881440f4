"""The number reader: CTC loss and decoding by hand, CER, training, weights files, the read and train-reader commands."""

import json
import math

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from mnist_handwriting.cli import main
from mnist_handwriting.errors import UserError
from mnist_handwriting.export.numbers import load_writings, save_numbers, writing_json
from mnist_handwriting.models.classifier import DigitClassifier, save_classifier
from mnist_handwriting.synthesis import reader as reader_module
from mnist_handwriting.synthesis.numbers import build_numbers
from mnist_handwriting.synthesis.reader import (NumberReader, ReaderConfig, batch_offsets, character_error_rate,
                                                ctc_loss, edit_distance, greedy_decode, load_reader, read_trajectories,
                                                save_reader)
from mnist_handwriting.synthesis.reader_training import CHECKPOINT, ReaderTrainConfig, train_reader

TINY = ReaderConfig(hidden=8, layers=1)


def log_probs_of(rows) -> torch.Tensor:
    """``rows: (T, C)`` probabilities -> log-probabilities ``(1, T, C)``."""
    return torch.tensor(rows, dtype=torch.float64).log()[None]


def test_ctc_loss_sums_every_alignment_by_hand():
    # Classes: blank, "0", "1". Two frames, text "0": alignments 00, 0-, -0.
    p = [[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]]
    expected = p[0][1] * p[1][1] + p[0][1] * p[1][0] + p[0][0] * p[1][1]
    loss = ctc_loss(log_probs_of(p), torch.tensor([2]), ["0"], alphabet="01")
    assert loss.item() == pytest.approx(-math.log(expected))
    # Three frames, text "00": a repeat needs a blank between, so 0-0 is the only alignment.
    q = [[0.1, 0.7, 0.2], [0.5, 0.4, 0.1], [0.3, 0.6, 0.1]]
    loss = ctc_loss(log_probs_of(q), torch.tensor([3]), ["00"], alphabet="01")
    assert loss.item() == pytest.approx(-math.log(0.7 * 0.5 * 0.6))
    # Text "01" in three frames: 01-, 0-1, -01, 001, 011; the batch mean is over numbers.
    r = np.array(q)
    paths = [(1, 2, 0), (1, 0, 2), (0, 1, 2), (1, 1, 2), (1, 2, 2)]
    total = sum(np.prod([r[t, c] for t, c in enumerate(path)]) for path in paths)
    both = ctc_loss(torch.cat([log_probs_of(q), log_probs_of(q)]), torch.tensor([3, 3]), ["01", "00"], alphabet="01")
    assert both.item() == pytest.approx((-math.log(total) - math.log(0.7 * 0.5 * 0.6)) / 2)


def test_greedy_decoding_merges_repeats_and_drops_blanks():
    path = [1, 1, 0, 1, 0, 2, 2, 1]            # "0" "0" blank "0" blank "1" "1" "0"
    log_probs = torch.nn.functional.one_hot(torch.tensor([path, path]), 3).double().add(1e-3).log()
    assert greedy_decode(log_probs, torch.tensor([8, 2]), alphabet="01") == ["0010", "0"]
    assert greedy_decode(log_probs[:, :0], torch.tensor([0, 0]), alphabet="01") == ["", ""]


@pytest.mark.parametrize("a, b, distance", [
    ("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3), ("12-3", "123", 1), ("2026", "2062", 2),
    ("3.14", "3.14", 0), ("1 2", "12", 1)])
def test_edit_distance_by_hand(a, b, distance):
    assert edit_distance(a, b) == distance == edit_distance(b, a)


def test_character_error_rate_is_edits_over_reference_length():
    assert character_error_rate(["12", "1"], ["12", "21"]) == 0.25
    assert character_error_rate(["", "9999"], ["1", "12"]) == (1 + 4) / 3
    with pytest.raises(ValueError):
        character_error_rate([""], [""])


def test_a_trajectory_reads_the_same_alone_and_in_a_batch():
    torch.manual_seed(0)
    model = NumberReader(ReaderConfig(hidden=8, layers=2)).eval()
    samples = build_numbers(6, "mnist", seed=0)
    offsets, lengths = batch_offsets([s.points for s in samples])
    together = model(offsets, lengths)
    for i, sample in enumerate(samples):
        one, length = batch_offsets([sample.points])
        frames = model.frames(length).item()
        torch.testing.assert_close(model(one, length)[0, :frames], together[i, :frames])


def test_a_few_training_steps_lower_the_loss():
    torch.manual_seed(0)
    samples = build_numbers(16, "mnist", seed=1)
    offsets, lengths = batch_offsets([s.points for s in samples])
    model = NumberReader(ReaderConfig(hidden=16, layers=1, dropout=0.0))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss = ctc_loss(model(offsets, lengths), model.frames(lengths), [s.text for s in samples])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


@pytest.fixture
def tiny_weights(tmp_path):
    torch.manual_seed(0)
    model = NumberReader(TINY).eval()
    path = save_reader(model, tmp_path / "reader.safetensors", metrics={"cer_mnist_test": 1.0}, train={},
                       command="test")
    return path, model


def test_weights_round_trip(tiny_weights):
    path, model = tiny_weights
    loaded = load_reader(path)
    assert loaded.config == TINY and not loaded.training
    for name, value in model.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[name], value.half().float())   # float16 storage
    points = [s.points for s in build_numbers(4, "mnist", seed=2)]
    assert len(read_trajectories(loaded, points)) == 4


def _rewrite(path, change, metadata_change=None):
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        metadata = dict(handle.metadata())
    tensors = load_file(str(path))
    change(tensors)
    if metadata_change:
        metadata_change(metadata)
    save_file(tensors, str(path), metadata=metadata)


@pytest.mark.parametrize("change, metadata_change, message", [
    (lambda t: t.pop("out.bias"), None, "missing \\['out.bias'\\]"),
    (lambda t: t.update(extra=torch.zeros(2)), None, "unexpected \\['extra'\\]"),
    (lambda t: t.update({"out.bias": torch.full_like(t["out.bias"], float("nan"))}), None, "NaN"),
    (lambda t: t.update({"out.weight": torch.zeros(3, 16, dtype=torch.float16)}), None, "has shape"),
    (lambda t: None, lambda m: m.update(config=m["config"].replace('"0123456789 .,-+/:"', '"0123"')),
     "unusable config"),
    (lambda t: None, lambda m: m.update(config='{"hidden": 8}'), "config has fields"),
])
def test_loading_is_strict(tiny_weights, change, metadata_change, message):
    path, _ = tiny_weights
    _rewrite(path, change, metadata_change)
    with pytest.raises(UserError, match=message):
        load_reader(path)


def test_weights_of_another_kind_or_none_are_refused(tmp_path, monkeypatch):
    save_classifier(DigitClassifier(), tmp_path, metrics={}, train=ReaderTrainConfig(), command="test")
    with pytest.raises(UserError, match="is not a number reader"):
        load_reader(tmp_path / "classifier.safetensors")
    with pytest.raises(UserError, match="reader weights not found"):
        load_reader(tmp_path / "absent.safetensors")
    monkeypatch.setattr(reader_module, "SHIPPED", tmp_path / "reader.safetensors")
    with pytest.raises(UserError, match="no reader is shipped yet.*train-reader --out DIR"):
        load_reader()


def test_train_reader_checkpoints_and_resumes(tmp_path, data_dir, cache_dir):
    config = ReaderTrainConfig(steps=4, batch_size=8, numbers=40, valid_numbers=8, checkpoint_every=2)
    model, metrics = train_reader(tmp_path, config, TINY, progress=False, data_dir=data_dir, cache_dir=cache_dir)
    assert (tmp_path / CHECKPOINT).is_file() and metrics["steps"] == 4 and metrics["train_loss"] > 0
    assert 0 <= metrics["cer_writers_21_24"] and 0 <= metrics["cer_mnist_valid"]
    with pytest.raises(UserError, match="already holds a run"):
        train_reader(tmp_path, config, TINY, progress=False, data_dir=data_dir, cache_dir=cache_dir)
    with pytest.raises(UserError, match="other settings"):
        train_reader(tmp_path, ReaderTrainConfig(steps=5, batch_size=8, numbers=40, valid_numbers=8,
                                                 checkpoint_every=2), TINY, resume=True, progress=False,
                     data_dir=data_dir, cache_dir=cache_dir)
    again, resumed = train_reader(tmp_path, config, TINY, resume=True, progress=False, data_dir=data_dir,
                                  cache_dir=cache_dir)
    assert resumed["steps"] == 4 and resumed["cer_mnist_valid"] == metrics["cer_mnist_valid"]
    for name, value in model.state_dict().items():
        torch.testing.assert_close(again.state_dict()[name], value)


def test_read_prints_one_text_per_writing(tiny_weights, tmp_path, capsys):
    path, _ = tiny_weights
    samples = build_numbers(3, "mnist", seed=3)
    numbers = save_numbers(tmp_path / "numbers.npz", [s.writing() for s in samples])
    single = tmp_path / "one.json"
    single.write_text(writing_json(samples[0].writing()))
    assert load_writings(single)[0].text == samples[0].text
    np.testing.assert_allclose(load_writings(single)[0].points, samples[0].points, atol=1e-5)
    assert main(["read", str(numbers), "--model", str(path)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert main(["read", str(single), "--model", str(path), "--score"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(f"\t{samples[0].text}") and lines[1].startswith("CER ")


@pytest.mark.parametrize("arguments, message", [
    (["read", "{tmp}/absent.npz"], "numbers file not found"),
    (["read", "{tmp}/x.txt"], "unknown file type"),
    (["read", "{tmp}/bad.json"], "not a readable JSON file"),
    (["read", "{tmp}/numbers.npz", "--model", "{tmp}/absent.safetensors"], "reader weights not found"),
    (["read", "{tmp}/numbers.npz"], "no reader is shipped yet"),
    (["train-reader", "--out", "{tmp}/missing"], "output folder"),
    (["train-reader", "--out", "{tmp}", "--steps", "0"], "use a --steps of 1 or more"),
    (["train-reader", "--out", "{tmp}", "--minutes", "0"], "use --minutes above 0"),
])
def test_command_errors_are_one_line_and_exit_2(tmp_path, capsys, monkeypatch, arguments, message):
    monkeypatch.setattr(reader_module, "SHIPPED", tmp_path / "reader.safetensors")
    save_numbers(tmp_path / "numbers.npz", [s.writing() for s in build_numbers(2, "mnist", seed=4)])
    (tmp_path / "x.txt").write_text("1")
    (tmp_path / "bad.json").write_text("{")
    assert main([a.format(tmp=tmp_path) for a in arguments]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_shipped_reader_reads_numbers_from_mnist_test_digits():
    """The shipped reader (weights/reader.json: CER 0.0005 on 1,000 such numbers) on 100 of them, seed 7."""
    record = json.loads(reader_module.SHIPPED.with_suffix(".json").read_text())
    assert record["metrics"]["cer_mnist_test"] < 0.01 and reader_module.SHIPPED.stat().st_size < 3_000_000
    samples = build_numbers(100, "mnist", split="test", seed=7, evaluation=True)
    predictions = read_trajectories(load_reader(), [s.points for s in samples])
    assert character_error_rate(predictions, [s.text for s in samples]) < 0.02
