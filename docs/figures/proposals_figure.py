"""The figure of issue 16: digits of development writers 28 and 30 (never trained on), one row each: the
writer's own trajectory, human-best's single drawing, then the proposals model's K drawing orders with
their odds (most probable first), each over the image it was drawn from.

    python docs/figures/proposals_figure.py --model runs/human-proposals/model.safetensors

Writes docs/figures/human-proposals.png (run from the repository root, shared data present).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mnist_handwriting.convert import ProposalConverter, load_converter
from mnist_handwriting.data.human import load_pendigits, split_by_writer
from mnist_handwriting.viz.grid import trajectory_grid

HERE = Path(__file__).resolve().parent
CELL = 64
PICKS = {28: (5, 3), 30: (9, 3), 29: (8, 2)}
"""writer -> (digit, how many): writer 28 draws every 5 bar first, writer 30 starts every 9 at the stem."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the proposals model (.safetensors)")
    parser.add_argument("--out", default=str(HERE / "human-proposals.png"))
    args = parser.parse_args()
    dev = split_by_writer(load_pendigits())[1]
    rng = np.random.default_rng(0)
    chosen = np.concatenate([np.sort(rng.choice(np.flatnonzero((dev.writers == writer) & (dev.labels == digit)),
                                                count, replace=False))
                             for writer, (digit, count) in PICKS.items()])
    images, labels = dev.images[chosen], dev.labels[chosen]
    proposals, odds = ProposalConverter.of(load_converter(args.model)).convert(images, labels)
    single = load_converter("human-best").convert(images, labels)
    columns = 2 + proposals.shape[1]
    captions = []
    for n, index in enumerate(chosen):
        captions += [f"w{dev.writers[index]} human", "human-best"] + [f"{p:.0%}" for p in odds[n]]
    grid_points = []
    for n in range(len(chosen)):
        grid_points += [dev.resampled(proposals.shape[2])[chosen[n]], single[n], *proposals[n]]
    under = np.repeat(images, columns, axis=0)
    grid = trajectory_grid(np.stack(grid_points), np.repeat(labels, columns), under, columns, CELL, captions=captions)
    grid.save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
