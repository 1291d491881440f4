"""Training: every preset learns, resume is bit-exact, the CLI writes a full run, DDP (gloo) matches one process."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from mnist_handwriting.data.datasets import Locations
from mnist_handwriting.cli import main
from mnist_handwriting.models import build_model
from mnist_handwriting.errors import UserError
from mnist_handwriting.render import make_rasteriser
from mnist_handwriting.render.exact import draw_trajectory
from mnist_handwriting.train.config import PRESETS, apply_overrides, preset
from mnist_handwriting.train.data import HumanSamples
from mnist_handwriting.train.loop import Trainer, train

TINY = ["model.points=8", "eval_digits=16", "log_every=2"]


def synthetic_digits(count=12, points=8, seed=0):
    """Thin images of random smooth strokes and their trajectories (no data files needed)."""
    rng = np.random.default_rng(seed)
    trajectories = np.zeros((count, points, 3), np.float32)
    for i in range(count):
        t = np.linspace(0, 1, points)
        centre, radius, turn = rng.uniform(0.35, 0.65, 2), rng.uniform(0.15, 0.3), rng.uniform(2, 5)
        trajectories[i, :, 0] = centre[0] + radius * np.cos(turn * t)
        trajectories[i, :, 1] = centre[1] + radius * np.sin(turn * t)
        trajectories[i, -1, 2] = 1
    images = np.stack([draw_trajectory(p) for p in trajectories])
    return torch.from_numpy(images), torch.from_numpy(rng.integers(0, 10, count)), torch.from_numpy(trajectories)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_reduces_its_losses_on_a_fixed_batch(name):
    config = preset(name)
    # Every preset's rasteriser must build: a damaged or missing shipped line model fails here, never skips.
    make_rasteriser(config.model.rasteriser)
    small = {"ensemble": "model.hidden=8", "proposals": "model.hidden=8", "masked": "model.hidden=20"}.get(config.model.kind, "model.hidden=32")
    config = apply_overrides(config, TINY + [small, "lr=0.01"])
    torch.manual_seed(0)
    images, labels, trajectories = synthetic_digits()
    trainer = Trainer(config, build_model(config.model), torch.device("cpu"))
    human = HumanSamples(images[:4], labels[:4], trajectories[:4])
    first = trainer.reconstruction_step(images, labels)
    first_human = trainer.human_step(human) if config.human.every else None
    for _ in range(15):
        last = trainer.reconstruction_step(images, labels)
        if config.human.every:
            last_human = trainer.human_step(human)
    assert last["recon"] < first["recon"]
    if config.aux.distance:
        assert set(last) == {"recon", "distance", "angle"}
    if config.human.every:
        assert last_human < first_human


def quick(name="note-best", **extra):
    pairs = TINY + ["model.hidden=10", "subset=64", "batch_size=16", "human_pretrain_steps=2", "human_every=2",
                    "model.dropout=0.2"] + [f"{k}={v}" for k, v in extra.items()]
    return apply_overrides(preset(name), pairs)


@pytest.mark.slow
@pytest.mark.parametrize("repository", [{}, {"human_lr": 0.002, "reshuffle": "false", "model.kind": "masked",
                                             "model.hidden": 10, "model.feedback": "raw"}])
def test_resume_continues_the_same_run_bit_for_bit(tmp_path, data_dir, cache_dir, repository):
    options = dict(locations=Locations(data_dir, cache_dir), tensorboard=False, seed=3)
    straight = train(quick(epochs=2, **repository), tmp_path / "straight", **options)
    train(quick(epochs=1, **repository), tmp_path / "split", **options)
    resumed = train(quick(epochs=2, **repository), tmp_path / "split", resume=True, **options)
    assert straight["steps"] == resumed["steps"] == 8
    first, second = (load_file(str(tmp_path / run / "model.safetensors")) for run in ("straight", "split"))
    assert first.keys() == second.keys()
    for key in first:
        assert torch.equal(first[key], second[key]), key
    assert straight["test_mse"] == resumed["test_mse"]
    logged = [json.loads(line) for line in (tmp_path / "split" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged if r["phase"] == "train"] == [2, 4, 6, 8]


def test_human_steps_keep_their_own_adam_when_human_lr_is_set():
    images, labels, trajectories = synthetic_digits()
    human = HumanSamples(images[:4], labels[:4], trajectories[:4])
    config = apply_overrides(preset("note-best"), TINY + ["model.hidden=10", "human_lr=0.002", "lr=0.01"])
    trainer = Trainer(config, build_model(config.model), torch.device("cpu"))
    assert set(trainer.optimizers) == {"optim", "human_optim"}
    assert trainer.human_optimizer.param_groups[0]["lr"] == 0.002 and trainer.optimizer.param_groups[0]["lr"] == 0.01
    trainer.human_step(human)
    assert not trainer.optimizer.state and len(trainer.human_optimizer.state) == len(list(trainer.model.parameters()))
    trainer.reconstruction_step(images, labels)
    steps = [float(state["step"]) for state in trainer.optimizer.state.values()]
    assert steps and all(step == 1 for step in steps)
    shared = Trainer(apply_overrides(preset("note-best"), TINY + ["model.hidden=10", "human_lr=0"]),
                     build_model(config.model), torch.device("cpu"))
    assert shared.human_optimizer is shared.optimizer and list(shared.optimizers) == ["optim"]


def test_without_reshuffle_every_epoch_repeats_the_first_order():
    from mnist_handwriting.train.data import batch_indices

    per_epoch = 100 // 10
    for step in (0, 3):
        first = batch_indices(step, 100, 10, seed=5, reshuffle=False)
        assert torch.equal(first, batch_indices(step + 2 * per_epoch, 100, 10, seed=5, reshuffle=False))
        assert torch.equal(first, batch_indices(step, 100, 10, seed=5))   # epoch 0 is the same either way
    assert not torch.equal(batch_indices(per_epoch, 100, 10, seed=5), batch_indices(0, 100, 10, seed=5))


@pytest.mark.slow
def test_cli_train_writes_a_complete_run(tmp_path, data_dir, cache_dir, capsys):
    out = tmp_path / "run"
    code = main(["train", "--config", "note-ensemble", "--subset", "32", "--max-steps", "3", "--out", str(out),
                 "--set", "model.hidden=10", "--set", "batch_size=16", "--set", "eval_digits=20",
                 "--data-dir", str(data_dir), "--cache-dir", str(cache_dir)])
    assert code == 0
    assert "test_mse=" in capsys.readouterr().out
    resolved = json.loads((out / "config.json").read_text())
    assert resolved["config"]["model"]["hidden"] == 10 and resolved["config"]["max_steps"] == 3
    description = json.loads((out / "model.json").read_text())
    assert description["metrics"]["test_digits"] == 20 and description["metrics"]["steps"] == 3
    assert description["command"].startswith("mnist-handwriting train --config note-ensemble")
    assert Image.open(out / "samples.png").size == (10 * 84, 2 * 84)
    if importlib.util.find_spec("tensorboard"):    # the optional extra: logs only where it is installed
        assert list((out / "tensorboard").iterdir())
    else:
        assert not (out / "tensorboard").exists()


def test_cli_lists_configs_and_rejects_bad_ones(capsys):
    assert main(["train", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in PRESETS)
    assert main(["train", "--config", "note-nope"]) == 2
    assert "unknown config 'note-nope'" in capsys.readouterr().err
    assert main(["train", "--set", "lr=fast"]) == 2
    assert "lr = 'fast' is not a float" in capsys.readouterr().err
    assert main(["train", "--resume", "/nonexistent/run"]) == 2
    assert "no checkpoint in /nonexistent/run" in capsys.readouterr().err


@pytest.mark.slow
def test_ddp_with_two_gloo_processes_matches_one_process(tmp_path, data_dir, cache_dir):
    args = ["train", "--config", "note-best", "--subset", "32", "--max-steps", "2", "--no-tensorboard",
            "--set", "model.hidden=10", "--set", "model.points=6", "--set", "batch_size=16", "--set", "eval_digits=16",
            "--set", "human_pretrain_steps=1", "--data-dir", str(data_dir), "--cache-dir", str(cache_dir)]
    assert main(args + ["--out", str(tmp_path / "one")]) == 0
    script = Path(sys.executable).with_name("mnist-handwriting")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env.pop("WORLD_SIZE", None)
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                             str(script), *args, "--out", str(tmp_path / "two")],
                            capture_output=True, text=True, timeout=240, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    one, two = (load_file(str(tmp_path / run / "model.safetensors")) for run in ("one", "two"))
    for key in one:
        torch.testing.assert_close(two[key], one[key], rtol=1e-5, atol=1e-6)
    assert json.loads((tmp_path / "two" / "model.json").read_text())["metrics"]["world_size"] == 2


def test_an_indivisible_paired_batch_is_named(tmp_path, monkeypatch):
    """The error used to blame batch_size when paired_batch was the one not divisible."""
    import mnist_handwriting.train.loop as loop

    monkeypatch.setattr(loop, "distributed", lambda: (0, 2))
    config = apply_overrides(preset("note-soft-line"), ["paired_batch=3"])
    with pytest.raises(UserError, match="paired.batch 3 is not divisible by 2"):
        train(config, tmp_path / "run")


def test_train_renderer_refuses_a_zero_time_limit(tmp_path, capsys):
    """--max-minutes 0 used to pass the check and then mean "no limit": a 1.6M-image run."""
    assert main(["train-renderer", "--max-minutes", "0", "--out", str(tmp_path)]) == 2
    assert "--max-minutes > 0" in capsys.readouterr().err


def test_checkpoints_restore_the_cuda_generator_for_dropout(tmp_path, cuda):
    from mnist_handwriting.models import ModelConfig
    from mnist_handwriting.train.checkpoint import load_checkpoint, restore, save_checkpoint

    model = build_model(ModelConfig(hidden=8, points=4, dropout=0.5)).cuda()
    optimizer = torch.optim.Adam(model.parameters())
    save_checkpoint(tmp_path, model, {"optim": optimizer}, step=0, pretrained=0, seconds=0.0, config={})
    expected = torch.rand(4, device="cuda")
    torch.rand(100, device="cuda")   # move the generator on
    restore(load_checkpoint(tmp_path)[0], model, {"optim": optimizer}, tmp_path)
    assert torch.equal(torch.rand(4, device="cuda"), expected)
