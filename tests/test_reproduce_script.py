"""scripts/reproduce_note.sh (issue 12) runs end to end in its QUICK mode: train, resume-or-skip, eval."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "reproduce_note.sh"


@pytest.mark.slow
def test_quick_reproduction_trains_evaluates_and_skips_a_finished_run(tmp_path, data_dir, cache_dir):
    env = dict(os.environ, QUICK="1", RUNS=str(tmp_path / "runs"), CLI=str(Path(sys.executable).parent / "mnist-handwriting"),
               PYTHON=sys.executable, MNIST_HANDWRITING_DATA=str(data_dir), MNIST_HANDWRITING_CACHE=str(cache_dir),
               OMP_NUM_THREADS="1")
    first = subprocess.run(["bash", str(SCRIPT), "note-best"], env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    run = tmp_path / "runs" / "note-best"
    report = json.loads((run / "eval.json").read_text())
    assert 0.0 <= report["overall"]["legibility"] <= 1.0 and (run / "eval.md").read_text().startswith("| method")
    assert json.loads((run / "config.json").read_text())["config"]["max_steps"] == 2
    again = subprocess.run(["bash", str(SCRIPT), "note-best"], env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "note-best: trained already" in again.stdout
