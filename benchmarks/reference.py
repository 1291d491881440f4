"""Side by side with the founding note's reference implementation: a training iteration and conversion, same digits, same cores.

    OMP_NUM_THREADS=2 python benchmarks/reference.py --reference DIR --tf-python PYTHON [--iterations 20] [--threads 2]

DIR: a checkout of Grzego/mnist-handwriting-dataset (TensorFlow 1 code, never copied into this
project; ``$MNIST_HANDWRITING_REFERENCE``). PYTHON: a Python with ``tensorflow-cpu`` 2.15, ``h5py`` and
``opencv-python-headless`` (``$MNIST_HANDWRITING_TF_PYTHON``), e.g.
``python3.11 -m venv tf && tf/bin/pip install tensorflow-cpu==2.15.0 h5py opencv-python-headless``.
Without either it says so and exits 0 (optional, as the suite does not have TensorFlow).

Both sides get the same thinned MNIST test digits scaled to [0, 1] and the same thread count. The
reference runs in a subprocess (``benchmarks/reference_driver.py``): its 32-human-sample step then its
64-digit step, the mean of ``--iterations`` after three warm-up ones; its forward pass over 10,000
digits. Ours: ``note-best``'s iteration (the same two steps, ``Trainer.human_step`` and
``reconstruction_step``), timed the same way, and ``convert_images`` with note-best and human-best
(the whole conversion, pen lifts included). Prints the times and their ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_machine  # noqa: E402

DRIVER = Path(__file__).resolve().parent / "reference_driver.py"


def reference_times(args, digits: Path) -> dict | None:
    """The driver's JSON, or None (with the reason printed) when the reference or TensorFlow is missing."""
    reference = args.reference or os.environ.get("MNIST_HANDWRITING_REFERENCE")
    python = args.tf_python or os.environ.get("MNIST_HANDWRITING_TF_PYTHON")
    if not reference or not (Path(reference) / "train.py").is_file():
        print("reference: skipped (no checkout of Grzego/mnist-handwriting-dataset: pass --reference DIR)")
        return None
    if not python:
        print("reference: skipped (no Python with TensorFlow: pass --tf-python PATH)")
        return None
    probe = subprocess.run([python, "-c", "import tensorflow, cv2, h5py"], capture_output=True, text=True)
    if probe.returncode:
        print(f"reference: skipped ({python} cannot import tensorflow, cv2 and h5py: "
              f"{probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else 'failed'})")
        return None
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "TF_CPP_MIN_LOG_LEVEL": "2"}
    run = subprocess.run([python, str(DRIVER), "time", "--reference", reference, "--digits", str(digits),
                          "--iterations", str(args.iterations), "--threads", str(args.threads)],
                         capture_output=True, text=True, env=env)
    if run.returncode:
        print(f"reference: failed\n{run.stderr[-3000:]}")
        return None
    return json.loads(run.stdout.strip().splitlines()[-1])


def our_iteration(images: torch.Tensor, labels: torch.Tensor, iterations: int) -> float:
    """Seconds per note-best iteration (its human-sample step, then a 64-digit step), mean after 3 warm-up ones."""
    from mnist_handwriting.data.datasets import load
    from mnist_handwriting.models import build_model
    from mnist_handwriting.train.config import preset
    from mnist_handwriting.train.data import HumanSamples
    from mnist_handwriting.train.loop import Trainer

    config = preset("note-best")
    torch.manual_seed(0)
    trainer = Trainer(config, build_model(config.model), torch.device("cpu"))
    human = HumanSamples.from_set(load("human-samples"), config.model.points, "cpu")
    batches = len(images) // 64

    def iteration(index: int) -> None:
        start = (index % batches) * 64
        trainer.human_step(human)
        trainer.reconstruction_step(images[start:start + 64], labels[start:start + 64])

    for index in range(3):
        iteration(index)
    started = time.perf_counter()
    for index in range(iterations):
        iteration(index)
    return (time.perf_counter() - started) / iterations


def our_convert_rate(name: str, images: np.ndarray, labels: np.ndarray) -> float:
    """Digits per second of ``convert_images`` with the shipped model ``name`` (after one warm-up batch)."""
    from mnist_handwriting.convert import convert_images, load_converter

    converter = load_converter(name)
    convert_images(converter, images[:1024], labels[:1024])
    started = time.perf_counter()
    convert_images(converter, images, labels)
    return len(images) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", help="checkout of Grzego/mnist-handwriting-dataset")
    parser.add_argument("--tf-python", help="a Python with tensorflow-cpu 2.15, h5py and opencv")
    parser.add_argument("--iterations", type=int, default=20, help="timed iterations each (default: 20)")
    parser.add_argument("--threads", type=int, default=2, help="threads each (default: 2)")
    parser.add_argument("--digits", type=int, default=10_000, help="test digits converted (default: 10000)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print_machine()

    from mnist_handwriting.data.datasets import load

    test = load("mnist-test")
    images, labels = test.images[:args.digits], test.labels[:args.digits]
    with tempfile.TemporaryDirectory() as folder:
        digits = Path(folder) / "digits.npz"
        np.savez(digits, images=images.astype(np.float32) / 255, labels=labels)
        theirs = reference_times(args, digits)
    pixels = torch.from_numpy(images).float() / 255
    ours = our_iteration(pixels, torch.from_numpy(labels), args.iterations)
    rates = {name: our_convert_rate(name, images, labels) for name in ("note-best", "human-best")}
    print(f"\n| measure ({args.threads} threads each) | reference | ours | ours faster by |")
    print("| --- | ---: | ---: | ---: |")
    ref_iteration = theirs["iteration_s"] if theirs else None
    ref_rate = theirs["convert_digits_per_s"] if theirs else None
    print(f"| note-best iteration (32 human samples + 64 digits), s | {ref_iteration or float('nan'):.3f} | {ours:.3f} | "
          f"{(ref_iteration / ours if ref_iteration else float('nan')):.1f}x |")
    for name, rate in rates.items():
        print(f"| convert {len(images):,} digits, {name}, digits/s | {ref_rate or float('nan'):,.0f} | {rate:,.0f} | "
              f"{(rate / ref_rate if ref_rate else float('nan')):.1f}x |")
    if theirs:
        print(f"\nreference under tensorflow {theirs['tensorflow']}")


if __name__ == "__main__":
    main()
