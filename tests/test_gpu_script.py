"""benchmarks/gpu.sh (issue 14, part 3) runs in its CPU smoke mode, so the GPU check cannot rot before a GPU comes."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu.sh"


def test_the_gpu_check_prints_every_row_on_the_cpu():
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS="1")
    result = subprocess.run(["bash", str(SCRIPT), "--device", "cpu", "--quick"], env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in result.stdout.splitlines()
             if line.startswith("| ")]
    timed = {(row[0], row[1], row[2]): row for row in cells if len(row) == 7}
    for config in ("note-best", "note-soft-line", "human-best"):
        for batch in ("4", "8"):
            assert float(timed[config, batch, "eager"][3]) > 0, result.stdout
    assert float(timed["note-best", "4", "compiled"][3]) > 0 and timed["note-best", "4", "compiled"][5].endswith(" s")
    assert "failed" not in result.stdout and result.stdout.count("--quick compiles the first cell only") == 5
    assert any(row[0] == "convert" and "digits/s" in row[3] for row in cells)
    assert "CUDA tests" not in result.stdout   # not on --device cpu
