"""The founding note's reference implementation, retrained, measured by our evaluation next to our models.

    python benchmarks/reference_compare.py --reference DIR --tf-python PYTHON --run DIR/summary/experiment-0 \
        [--models note-best human-best] [--out docs/runs/reference-eval.json]

DIR: a checkout of Grzego/mnist-handwriting-dataset (TensorFlow 1 code, never copied into this project)
where ``python train.py --epochs 5`` ran (with ``data/mnist-thinned.pkl`` from our thinned MNIST loader;
see ``../shared/reference/README.md``); RUN: the ``summary/experiment-K`` folder that run made.
PYTHON: a Python with ``tensorflow-cpu`` 2.15, ``h5py`` and ``opencv-python-headless``.

The reference draws, in one subprocess (``benchmarks/reference_driver.py draw``), every digit our
evaluation converts: the 10,000 thinned MNIST test digits, the pendigits development writers 25-30
and the 32 human samples, scaled to [0, 1] as its training does. Its points then go through
:func:`mnist_handwriting.eval.report.evaluate` exactly as a converter's would, so every column
(reconstruction, legibility, LDTW, direction, ...) is measured the same way for it and for ours.
Prints the overall table; ``--out`` keeps the full reports.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_machine  # noqa: E402

DRIVER = Path(__file__).resolve().parent / "reference_driver.py"


class DrawnConverter:
    """A converter that answers with drawings made beforehand: ``points[i]`` for the ``i``-th (image, label)."""

    def __init__(self, name: str, images: np.ndarray, labels: np.ndarray, points: np.ndarray):
        self.name, self.count = name, points.shape[1]
        self._drawn = {(image.tobytes(), int(label)): drawing for image, label, drawing in zip(images, labels, points)}

    def convert(self, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """``points: (B, T, 3)`` for ``images: (B, 28, 28)`` uint8 and ``labels: (B,)``."""
        return np.stack([self._drawn[(image.tobytes(), int(label))] for image, label in zip(images, labels)])


def evaluated_digits() -> tuple[np.ndarray, np.ndarray]:
    """Every (image, label) :func:`evaluate` converts: test digits, development writers, human samples."""
    from mnist_handwriting.data.datasets import load
    from mnist_handwriting.data.human import split_by_writer

    parts = [load("mnist-test"), split_by_writer(load("pendigits"))[1], load("human-samples")]
    return (np.concatenate([part.images for part in parts]).astype(np.uint8),
            np.concatenate([part.labels for part in parts]).astype(np.int64))


def reference_points(args, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, str]:
    """The reference's drawings of ``images`` (N, T, 3) and the checkpoint they came from."""
    with tempfile.TemporaryDirectory() as folder:
        digits, out = Path(folder) / "digits.npz", Path(folder) / "points.npz"
        np.savez(digits, images=images.astype(np.float32) / 255, labels=labels)
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "TF_CPP_MIN_LOG_LEVEL": "2"}
        run = subprocess.run([args.tf_python, str(DRIVER), "draw", "--reference", args.reference, "--digits",
                              str(digits), "--run", os.path.abspath(args.run), "--out", str(out),
                              "--threads", str(args.threads)], capture_output=True, text=True, env=env)
        if run.returncode:
            raise SystemExit(f"the reference failed to draw:\n{run.stderr[-3000:]}")
        drawn = np.load(out)
        return drawn["points"], str(drawn["checkpoint"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True, help="checkout of Grzego/mnist-handwriting-dataset")
    parser.add_argument("--tf-python", required=True, help="a Python with tensorflow-cpu 2.15, h5py and opencv")
    parser.add_argument("--run", required=True, help="the reference's training folder (summary/experiment-K)")
    parser.add_argument("--models", nargs="*", default=["note-best"], help="our models beside it (default: note-best)")
    parser.add_argument("--threads", type=int, default=2, help="threads each (default: 2)")
    parser.add_argument("--out", help="also write every report (overall, per class, per writer) as JSON")
    args = parser.parse_args()
    print_machine()

    import torch

    from mnist_handwriting.convert import load_converter
    from mnist_handwriting.eval.report import evaluate, markdown_table

    torch.set_num_threads(args.threads)
    images, labels = evaluated_digits()
    points, checkpoint = reference_points(args, images, labels)
    name = f"reference ({checkpoint})"
    reports = {name: evaluate(DrawnConverter(name, images, labels, points))}
    reports[name]["overall"].pop("digits_per_second")        # a lookup, not its speed
    for model in args.models:
        reports[model] = evaluate(load_converter(model))
    print(markdown_table({key: report["overall"] for key, report in reports.items()}), end="")
    for key, report in reports.items():
        print(f"\nper development writer ({key}):\n")
        print(markdown_table(report["per_writer"], first="writer"), end="")
    if args.out:
        Path(args.out).write_text(json.dumps(reports, indent=2) + "\n")


if __name__ == "__main__":
    main()
