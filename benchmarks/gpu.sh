#!/usr/bin/env bash
# Issue 14, part 3: the GPU check in one command, for a machine with one CUDA GPU and no internet.
#
#   benchmarks/gpu.sh                      # the table (benchmarks/gpu.py), then the suite's CUDA tests
#   benchmarks/gpu.sh --device cpu --quick # the smoke test the suite runs (no CUDA tests)
#
# PyTorch must be installed; the package is used from this checkout (put on PYTHONPATH here), so
# nothing is installed. PYTHON picks the interpreter (default python3). Aims at under 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PYTHON=${PYTHON:-python3}
"$PYTHON" -c "import torch, numpy, safetensors, skimage, tqdm" 2>/dev/null || {
    echo "gpu.sh: $PYTHON lacks torch, numpy, safetensors, scikit-image or tqdm (pip install -e . where there is internet)" >&2
    exit 2
}
"$PYTHON" benchmarks/gpu.py "$@"
case " $* " in *" --device cpu "*|*" --device=cpu "*) exit 0 ;; esac
if "$PYTHON" -c "import pytest" 2>/dev/null; then
    echo "CUDA tests of the suite:"
    "$PYTHON" -m pytest -q -k cuda -p no:cacheprovider tests
else
    echo "gpu.sh: pytest is not installed, CUDA tests skipped" >&2
fi
