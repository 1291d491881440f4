#!/usr/bin/env python3
"""Issue 12, the note's claim about the learned line model: segments drawn but missing from the reconstruction.

    OMP_NUM_THREADS=1 python scripts/line_artefacts.py runs/reproduce/note-learned-line/model.safetensors \
        runs/reproduce/note-aux-losses/model.safetensors --digits 2000

For each model, on the first --digits thinned test digits: the share of its pen-down segments that lie
off the input image (mnist_handwriting.eval.metrics.phantom_segments: more than half of the segment's
line farther than 1 px from the input's ink), overall and the share of digits with at least one.
Overdraw, the other artefact, is a column of `mnist-handwriting eval`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("models", nargs="+", help="model names or .safetensors paths")
    parser.add_argument("--digits", type=int, default=2000, help="first N test digits (default: 2000)")
    args = parser.parse_args(argv)

    import numpy as np

    from mnist_handwriting.convert import convert_images, load_converter
    from mnist_handwriting.data.datasets import load
    from mnist_handwriting.eval.metrics import phantom_segments

    test = load("mnist-test")
    images, labels = test.images[:args.digits], test.labels[:args.digits]
    print("| model | phantom segments (share of pen-down segments) | digits with one or more |")
    print("| --- | ---: | ---: |")
    for name in args.models:
        points = convert_images(load_converter(name), images, labels)
        shares = np.array([phantom_segments(p, image) for p, image in zip(points, images)])
        print(f"| {name} | {shares.mean():.2%} | {(shares > 0).mean():.1%} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
