"""Pen lifts from the soft line's closed-form peak bounds against rendering every segment (issue 14).

    python benchmarks/pen_lifts.py [--dataset mnist-test] [--models human-best note-best] [--batch-size 1024]

For each model: its raw points on every digit of the dataset, then every segment decided both
ways (``SoftLineRasteriser.drawn`` and the rendered peak of ``Rasteriser.drawn``). Prints the
number of segments, the disagreements (0 is the claim), how many segments the bounds left to
rendering, and the digits per second of each decision, side by side in this process.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_machine  # noqa: E402

from mnist_handwriting.data.datasets import dataset_images  # noqa: E402
from mnist_handwriting.models.handwriting_lstm import PEN_DRAWN  # noqa: E402
from mnist_handwriting.models.registry import load_model  # noqa: E402
from mnist_handwriting.render import Rasteriser  # noqa: E402
from mnist_handwriting.render.soft_line_peaks import decided  # noqa: E402


def timed(decide, batches) -> tuple[torch.Tensor, float]:
    """``decide`` over every batch of raw points: the ``(N, T - 1)`` decisions and the seconds it took."""
    start = time.perf_counter()
    result = torch.cat([decide(batch) for batch in batches])
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist-test")
    parser.add_argument("--models", nargs="+", default=["human-best", "note-best"])
    parser.add_argument("--batch-size", type=int, default=1024)
    args = parser.parse_args()
    print_machine()
    images, labels = dataset_images(args.dataset)
    pixels, classes = torch.from_numpy(images).float() / 255, torch.from_numpy(labels)
    for name in args.models:
        model = load_model(name)
        rasteriser = model.rasteriser()
        with torch.inference_mode():
            batches = [model(part, kinds) for part, kinds in
                       zip(pixels.split(args.batch_size), classes.split(args.batch_size))]
            rendered, rendered_s = timed(lambda raw: Rasteriser.drawn(rasteriser, raw, PEN_DRAWN), batches)
            bounded, bounded_s = timed(lambda raw: rasteriser.drawn(raw, PEN_DRAWN), batches)
            undecided = sum(int(decided(raw, rasteriser.size, PEN_DRAWN)[1].sum()) for raw in batches)
        disagree = int((rendered != bounded).sum())
        print(f"{name}: {len(images)} digits of {args.dataset}, {rendered.numel()} segments, "
              f"{int(rendered.sum())} drawn; disagreements {disagree}; rendered by the bounds' fallback {undecided}")
        print(f"  rendered decision {len(images) / rendered_s:12,.0f} digits/s")
        print(f"  bounds decision   {len(images) / bounded_s:12,.0f} digits/s  ({rendered_s / bounded_s:.1f}x)")


if __name__ == "__main__":
    main()
