"""Crashes: commands killed with SIGKILL (at a random moment, or while writing) leave the old output or none,
and a killed training run resumes to the weights of one that was never interrupted."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from mnist_handwriting.formats import save_handwriting_file

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "mnist-100.npz"
DYING = """
import os, signal, sys
from mnist_handwriting.cli import main

target, count, real, seen = sys.argv[1], int(sys.argv[2]), os.replace, [0]

def replace(source, destination):
    # The count-th time the output `target` is to be put in place: cut its temporary file in half, then die.
    if os.path.basename(destination) == target:
        seen[0] += 1
        if seen[0] == count:
            if os.path.isfile(source):
                os.truncate(source, os.path.getsize(source) // 2)
            os.kill(os.getpid(), signal.SIGKILL)
    real(source, destination)

os.replace = replace
sys.exit(main(sys.argv[3:]))
"""
"""``python -c DYING TARGET COUNT ARGS...``: the CLI with ``ARGS``, killed as it is about to rename its COUNT-th
finished ``TARGET`` into place (after which nothing could be half-written any more)."""


def command(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from mnist_handwriting.cli import main; sys.exit(main(sys.argv[1:]))",
            *args]


def run(words: list[str], check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(words, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert not check or done.returncode == 0, done.stderr
    return done


def killed_after(words: list[str], seconds: float) -> None:
    """Run ``words``, killed after ``seconds`` if it is still running."""
    process = subprocess.Popen(words, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()


def litter(folder: Path, keep: set[str]) -> list[str]:
    """What a SIGKILL may leave besides ``keep``: only the writers' hidden temporary files, never a partial output."""
    others = sorted(p.name for p in folder.iterdir() if p.name not in keep)
    assert all(name.startswith(".") for name in others), others
    return others


@pytest.fixture
def old_output(tmp_path):
    """A handwriting file already at the output path, which an interrupted command must leave as it is."""
    out = tmp_path / "out.npz"
    save_handwriting_file(out, np.full((2, 4, 3), 0.5, np.float32) * [1, 1, 0] + [0, 0, 1], np.array([1, 2]))
    return out, out.read_bytes()


def test_convert_killed_while_writing_leaves_the_old_output(old_output):
    out, before = old_output
    words = ["convert", "--images", str(EXAMPLES), "--out", str(out), "--method", "trace"]
    assert run([sys.executable, "-c", DYING, out.name, "1", *words], check=False).returncode == -signal.SIGKILL
    assert out.read_bytes() == before
    litter(out.parent, {out.name})


@pytest.mark.parametrize("format, name", [("ndjson", "out.ndjson"), ("svg", "svgs")])
def test_export_killed_while_writing_leaves_no_output(old_output, format, name):
    source = old_output[0]
    target = source.parent / name
    words = ["export", str(source), "--format", format, "--out", str(target)]
    assert run([sys.executable, "-c", DYING, name, "1", *words], check=False).returncode == -signal.SIGKILL
    assert not target.exists()
    litter(source.parent, {source.name})


TRAIN = ["train", "--config", "note-best", "--subset", "64", "--epochs", "2", "--seed", "3", "--no-tensorboard",
         "--set", "model.hidden=10", "--set", "model.points=8", "--set", "batch_size=16", "--set", "eval_digits=16",
         "--set", "human_pretrain_steps=2", "--set", "human_every=2", "--set", "log_every=2"]


def logged_steps(run_dir: Path) -> list[tuple[str, int]]:
    return [(record["phase"], record["step"]) for record in map(json.loads, (run_dir / "log.jsonl").read_text().splitlines())]


@pytest.fixture
def one_thread():
    """Train in this process as the killed ones do (one thread), so that their weights can be compared bit for bit."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow
def test_training_killed_at_random_moments_resumes_to_the_same_weights(tmp_path, data_dir, cache_dir, one_thread):
    from mnist_handwriting.cli import main

    options = ["--data-dir", str(data_dir), "--cache-dir", str(cache_dir)]
    assert main([*TRAIN, *options, "--out", str(tmp_path / "straight")]) == 0

    # Killed while its second (of three) checkpoints is being written: it resumes from the first.
    dying = tmp_path / "dying"
    started = time.perf_counter()
    done = run([sys.executable, "-c", DYING, "checkpoint.safetensors", "2", *TRAIN, *options, "--out", str(dying)],
               check=False)
    seconds = time.perf_counter() - started
    assert done.returncode == -signal.SIGKILL and not (dying / "model.safetensors").exists()
    assert main([*TRAIN, *options, "--resume", str(dying)]) == 0

    # Killed at a random moment (starting, training, writing a checkpoint or the model, or done by then).
    seed = int.from_bytes(os.urandom(4), "little")
    moment = random.Random(seed).uniform(0.3, 1.3) * seconds
    killed = tmp_path / "killed"
    killed_after(command(*TRAIN, *options, "--out", str(killed)), moment)
    again = ["--resume", str(killed)] if (killed / "config.json").exists() else ["--out", str(killed)]
    assert main([*TRAIN, *options, *again]) == 0
    straight = load_file(str(tmp_path / "straight" / "model.safetensors"))
    for run_dir in (dying, killed):
        resumed = load_file(str(run_dir / "model.safetensors"))
        assert resumed.keys() == straight.keys()
        for key in straight:
            assert torch.equal(resumed[key], straight[key]), (run_dir.name, key, f"seed {seed}: killed at {moment:.1f} s")
        litter(run_dir, {p.name for p in (tmp_path / "straight").iterdir()})
        assert logged_steps(run_dir) == logged_steps(tmp_path / "straight")   # nothing logged twice
