"""Regenerate the figures of the default model (run from the repository root, shared data present).

    python docs/figures/make_figures.py

- ``human-best-grid.png``: 100 thinned MNIST test digits (a seed-0 sample) as converted;
- ``human-best-animation.gif``: the founding note's figure for 10 test digits;
- ``human-dev-writers.png``: two digits of each class from the development writers 25-30
  (never trained on, a seed-0 sample): the human's own trajectory, then note-best, then
  human-best drawing them from the image alone.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mnist_handwriting.cli import main as cli
from mnist_handwriting.convert import load_converter
from mnist_handwriting.data.human import load_pendigits, split_by_writer
from mnist_handwriting.data.preview import per_class_indices
from mnist_handwriting.viz.grid import label_font, trajectory_grid

HERE = Path(__file__).resolve().parent
CELL = 56
TITLE = 16


def command(*words: str) -> None:
    if cli(list(words)) != 0:
        raise SystemExit(f"mnist-handwriting {' '.join(words)} failed")


def titled(image: Image.Image, title: str) -> Image.Image:
    out = Image.new("RGB", (image.width, image.height + TITLE), "white")
    ImageDraw.Draw(out).text((4, 1), title, fill="black", font=label_font(TITLE - 3))
    out.paste(image, (0, TITLE))
    return out


def dev_writers_figure() -> Image.Image:
    dev = split_by_writer(load_pendigits())[1]
    chosen = per_class_indices(dev.labels, 2, seed=0)
    chosen = np.concatenate([chosen[0::2], chosen[1::2]])   # 0-9, then 0-9 again
    images, labels = dev.images[chosen], dev.labels[chosen]
    rows = [titled(trajectory_grid(dev.resampled(64)[chosen], labels, None, len(chosen), CELL),
                   "human (dev writers 25-30)")]
    for name in ("note-best", "human-best"):
        points = load_converter(name).convert(images, labels)
        rows.append(titled(trajectory_grid(points, labels, images, len(chosen), CELL), name))
    out = Image.new("RGB", (rows[0].width, sum(row.height for row in rows)), "white")
    for k, row in enumerate(rows):
        out.paste(row, (0, k * row.height))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        converted = str(Path(folder) / "test.npz")
        command("convert", "--dataset", "mnist-test", "--out", converted)
        command("show", converted, "--seed", "0", "--out", str(HERE / "human-best-grid.png"))
    command("animate", "--dataset", "mnist-test", "--count", "10", "--cell", str(CELL),
            "--out", str(HERE / "human-best-animation.gif"))
    dev_writers_figure().save(HERE / "human-dev-writers.png", optimize=True)


if __name__ == "__main__":
    main()
