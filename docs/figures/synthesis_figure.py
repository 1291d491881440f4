"""The synthesis figure: one text written by `write` and by the synthesis network at several biases and in
the hands of the development writers 25-30 (run from the repository root, shared data present).

    OMP_NUM_THREADS=2 python docs/figures/synthesis_figure.py      # -> docs/figures/synthesis.png
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from mnist_handwriting.convert import load_converter
from mnist_handwriting.synthesis.writing import load_synthesizer, prime_from_writer, synthesize
from mnist_handwriting.viz.animate import writing_frames
from mnist_handwriting.viz.grid import label_font
from mnist_handwriting.write import DigitPool, write_text

HERE = Path(__file__).resolve().parent
TEXT = "2026-12-01 3.14159"
CELL = 48
LABEL = 230


def row(writing, label: str) -> Image.Image:
    picture = writing_frames(writing, CELL, max_frames=2)[-1]   # the last frame: the whole writing
    out = Image.new("RGB", (LABEL + picture.width, CELL), "white")
    ImageDraw.Draw(out).text((4, CELL // 2 - 8), label, fill="black", font=label_font(14))
    out.paste(picture, (LABEL, 0))
    return out


def main() -> None:
    model = load_synthesizer()
    rows = [row(write_text(TEXT, load_converter(), DigitPool.from_dataset("mnist-test"), seed=0),
                "write (human-best, MNIST digits)")]
    for bias in (0.0, 0.5, 1.0, 2.0):
        rows.append(row(synthesize(TEXT, model, bias=bias, seed=0)[0], f"synthesize, bias {bias:g}"))
    for writer in range(25, 31):
        prime = prime_from_writer(writer)
        rows.append(row(synthesize(TEXT, model, bias=1.0, seed=0, prime=prime)[0], f"bias 1, writer {writer}'s hand"))
    out = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), "white")
    for k, picture in enumerate(rows):
        out.paste(picture, (0, k * CELL))
    out.save(HERE / "synthesis.png", optimize=True)


if __name__ == "__main__":
    main()
