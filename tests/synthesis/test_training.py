"""Training the synthesis network: padded batches, the step, the loop with its budget, checkpoints and resume."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from mnist_handwriting.errors import UserError
from mnist_handwriting.synthesis.model import SynthesisNetwork, load_synthesis
from mnist_handwriting.synthesis.training import (CHECKPOINT, CONFIG_FILE, LOG_FILE, MODEL_FILE, TrainConfig,
                                                  collate, evaluate, learning_rate, run_fraction, train_step,
                                                  train_synthesis)
from mnist_handwriting.synthesis.numbers import length_batches
from synthesis_toy import TINY, toy_samples, trained_toy_model


def test_collate_pads_and_shifts_the_offsets_behind_a_start_row():
    long = np.arange(12, dtype=np.float32).reshape(4, 3) % 2
    batch = collate([("12", long), ("3", long[:2])])
    assert batch.inputs.shape == batch.targets.shape == (2, 4, 3)
    torch.testing.assert_close(batch.targets[0], torch.from_numpy(long))
    torch.testing.assert_close(batch.inputs[0], torch.cat([torch.zeros(1, 3), torch.from_numpy(long[:3])]))
    assert batch.mask.tolist() == [[True] * 4, [True, True, False, False]]
    assert not batch.targets[1, 2:].any()
    assert batch.text.tolist() == [[1, 2], [3, 0]] and batch.text_mask.tolist() == [[True, True], [True, False]]


@pytest.mark.parametrize("sample, match", [
    (("", np.zeros((3, 3))), "has no text"), (("1", np.zeros((3, 2))), "shape \\(3, 2\\)"),
    (("1", np.full((3, 3), 0.5)), "end of stroke outside"), (("1a", np.zeros((3, 3))), "outside"),
])
def test_collate_names_the_bad_sample(sample, match):
    with pytest.raises(UserError, match=match):
        collate([("1", np.zeros((2, 3))), sample])


def test_length_batches_cover_each_epoch_once_group_lengths_and_repeat_for_a_seed():
    lengths = np.random.default_rng(0).integers(1, 300, size=1000)
    batches = length_batches(lengths, 10, seed=7, epoch=0)
    assert len(batches) == 100 and sorted(np.concatenate(batches).tolist()) == list(range(1000))
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < 0.2 * np.ptp(lengths)           # random batches of 10 would spread over ~80% of the range
    assert all(np.array_equal(a, b) for a, b in zip(batches, length_batches(lengths, 10, seed=7, epoch=0)))
    assert not np.array_equal(batches[0], length_batches(lengths, 10, seed=7, epoch=1)[0])   # reshuffled
    assert [len(b) for b in length_batches(lengths[:3], 8, seed=0, epoch=0)] == [3]


def test_the_learning_rate_falls_along_a_cosine_to_its_floor_as_steps_or_time_run_out():
    config = TrainConfig(lr=1e-3, lr_decay=0.1, max_steps=100, max_seconds=50.0)
    assert run_fraction(config, 25, 10.0) == 0.25 and run_fraction(config, 10, 25.0) == 0.5   # whichever is further
    assert run_fraction(config, 200, 0.0) == 1.0
    assert learning_rate(config, 0.0) == pytest.approx(1e-3)
    assert learning_rate(config, 0.5) == pytest.approx(0.55e-3)   # halfway down the cosine
    assert learning_rate(config, 1.0) == pytest.approx(1e-4)
    with pytest.raises(UserError, match="lr_decay"):
        TrainConfig(lr_decay=0.0).validate()


def test_a_few_training_steps_lower_the_loss():
    model, losses = trained_toy_model(steps=30)
    assert np.mean(losses[-5:]) < losses[0] - 1.0


def test_train_step_clips_the_global_gradient_norm():
    torch.manual_seed(0)
    model = SynthesisNetwork(TINY)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    before = [p.detach().clone() for p in model.parameters()]
    terms = train_step(model, optimizer, collate(toy_samples(4)), clip_norm=1e-3)
    assert terms["grad_norm"] > 1e-3
    moved = torch.cat([(p.detach() - b).flatten() for p, b in zip(model.parameters(), before)])
    assert float(moved.norm()) == pytest.approx(1e-3, rel=1e-3)   # SGD at lr 1: the step is the clipped gradient


def tiny_run(**changes) -> TrainConfig:
    """Six steps at a constant rate, so that a run stopped at 3 steps and extended to 6 equals one run of 6."""
    return dataclasses.replace(TrainConfig(model=TINY, batch_size=8, lr=1e-2, lr_decay=1.0, max_steps=6, max_seconds=None,
                                           checkpoint_every=3, log_every=2), **changes)


def test_train_synthesis_writes_its_files_and_resumes_to_the_same_weights(tmp_path):
    data, validation = toy_samples(40, seed=1), toy_samples(8, seed=2)
    model, metrics = train_synthesis(data, tiny_run(), tmp_path / "whole", validation=validation, progress=False,
                                     command="test")
    assert metrics["steps"] == 6 and metrics["stopped_by"] == "steps" and metrics["samples"] == 40
    assert np.isfinite(metrics["train_nll"])
    assert metrics["validation_nll"] == pytest.approx(evaluate(model, validation))
    for name in (CONFIG_FILE, LOG_FILE, CHECKPOINT, MODEL_FILE):
        assert (tmp_path / "whole" / name).is_file()
    assert [json.loads(line)["step"] for line in (tmp_path / "whole" / LOG_FILE).read_text().splitlines()] == [2, 4, 6]
    stored = load_synthesis(tmp_path / "whole" / MODEL_FILE)
    for name, value in model.state_dict().items():
        torch.testing.assert_close(stored.state_dict()[name], value, rtol=0, atol=0)   # trained as stored

    train_synthesis(data, tiny_run(max_steps=3), tmp_path / "split", progress=False)
    resumed, metrics = train_synthesis(data, tiny_run(), tmp_path / "split", validation=validation, resume=True,
                                       progress=False)
    assert metrics["steps"] == 6
    for name, value in model.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[name], value)
    assert [json.loads(line)["step"] for line in (tmp_path / "split" / LOG_FILE).read_text().splitlines()] == [2, 4, 6]


def test_train_synthesis_stops_at_its_wall_time_budget(tmp_path):
    model, metrics = train_synthesis(toy_samples(8), tiny_run(max_steps=None, max_seconds=0.0), tmp_path,
                                     progress=False)
    assert metrics["steps"] == 0 and metrics["stopped_by"] == "time"
    assert (tmp_path / MODEL_FILE).is_file()


@pytest.mark.parametrize("changes, match", [
    ({"max_steps": None, "max_seconds": None}, "no end"), ({"batch_size": 0}, "'batch_size' of 1"),
    ({"save_dtype": "int4"}, "'save_dtype'"),
])
def test_train_synthesis_refuses_bad_settings(tmp_path, changes, match):
    with pytest.raises(UserError, match=match):
        train_synthesis(toy_samples(4), tiny_run(**changes), tmp_path, progress=False)


def test_resume_without_a_checkpoint_says_so(tmp_path):
    with pytest.raises(UserError, match="no checkpoint"):
        train_synthesis(toy_samples(4), tiny_run(), tmp_path, resume=True, progress=False)


def test_collate_of_checked_samples_skips_the_checks_and_gives_the_same_batch():
    samples = [("12", np.array([[0.1, 0.2, 0], [0.3, 0.4, 1]], np.float32), None), ("3", np.zeros((1, 3), np.float32), None)]
    plain, checked = collate(samples), collate(samples, checked=True)
    for name in ("inputs", "targets", "mask", "text", "text_mask"):
        torch.testing.assert_close(getattr(checked, name), getattr(plain, name))
    collate([("", np.zeros((1, 3), np.float32), None)], checked=True)    # no check: an empty text passes
    with pytest.raises(UserError, match="has no text"):
        collate([("", np.zeros((1, 3), np.float32), None)])
