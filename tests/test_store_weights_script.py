"""scripts/store_weights.py: a model re-stored as int8 loads, draws (almost) the same points and says so."""

import os
import re
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

from mnist_handwriting.models.registry import load_description, load_model
from mnist_handwriting.safeweights import INT8_SCALE

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "store_weights.py"


def run(*args, env_data=None, cache=None):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    if env_data:
        env.update(MNIST_HANDWRITING_DATA=str(env_data), MNIST_HANDWRITING_CACHE=str(cache))
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300)


def test_int8_copy_of_human_best_loads_and_reports_the_drift(tmp_path, data_dir, cache_dir):
    out = tmp_path / "human-best-int8.safetensors"
    done = run("human-best", str(out), "--dtype", "int8", "--digits", "64", env_data=data_dir, cache=cache_dir)
    assert done.returncode == 0, done.stderr[-2000:]
    stored = load_file(str(out))
    matrices = [name for name, value in stored.items() if value.dim() >= 2]
    assert matrices and all(stored[name].dtype == torch.int8 and name + INT8_SCALE in stored for name in matrices)
    described = load_description(out)
    storage = described["metrics"]["storage"]
    assert storage["from"] == "human-best" and storage["dtype"] == "int8" and described["metrics"]["test_digits"] == 64
    assert storage["pen_flags"] == 64 * 20 and storage["points_moved_max_px"] < 0.5
    assert described["train"] == load_description("human-best")["train"]
    load_model(out)   # loads strictly
    moved = re.search(r"max ([0-9.]+) px; pen flags changed: (\d+) of (\d+)", done.stdout)
    assert moved and float(moved.group(1)) < 0.5 and int(moved.group(3)) == 64 * 20
    mse = re.search(r"test MSE ([0-9.]+) -> ([0-9.]+) on 64", done.stdout)
    assert mse and abs(float(mse.group(1)) - float(mse.group(2))) < 0.002


def test_a_missing_model_is_one_line_and_exit_2(tmp_path):
    done = run(str(tmp_path / "absent.safetensors"), str(tmp_path / "out.safetensors"), "--dtype", "int8")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "not found" in done.stderr
    assert not (tmp_path / "out.safetensors").exists()
