"""The dataset card of the shipped file, in the Hugging Face Hub's layout (YAML header, then sections).

:func:`card` fills it from the build's metadata (model, command, SHA-256, per-split counts,
quantisation), so a rebuild rewrites every number that can change. The converting model's
measured quality is not re-measured by a build (``eval`` takes minutes): :data:`MEASURED`
quotes docs/RESULTS.md for each model measured there, and the card says so when the model is not.
"""

from __future__ import annotations

from ..export.parquet import card_text

MEASURED = {
    "human-best": ("2026-12-04, `mnist-handwriting eval --model human-best` (docs/RESULTS.md, \"Model comparison\")", [
        ("reconstruction F1 at 1-pixel tolerance", "10,000 thinned MNIST test digits", "0.990"),
        ("symmetric Chamfer distance", "same", "0.26 px"),
        ("legibility: the shipped CNN's accuracy on the drawn strokes (98.2% on the thinned images)", "same",
         "99.3%"),
        ("length-independent DTW to the human trajectory", "1,498 pendigits digits of 6 writers never trained on",
         "1.11 px"),
        ("start-point error", "same", "2.15 px"),
        ("drawn in the same direction as the human", "same", "96.1%"),
        ("stroke-count error", "same", "0.111"),
    ]),
}
"""Model name -> (where and how it was measured, rows of (what, on, value)), quoted from docs/RESULTS.md."""

def quality(model: str) -> str:
    """The card's quality section for ``model``."""
    if model not in MEASURED:
        return (f"The converting model `{model}` has no measurements in docs/RESULTS.md yet: measure it with "
                f"`mnist-handwriting eval --model {model}` and add it to `mnist_handwriting/datasets/card.py`.\n")
    where, rows = MEASURED[model]
    table = "".join(f"| {what} | {on} | {value} |\n" for what, on, value in rows)
    return f"Measured {where}:\n\n| what | on | value |\n| --- | --- | ---: |\n{table}"


def body(meta: dict) -> str:
    """The card's Markdown after the YAML header, from the build's ``meta`` (see :func:`.build.describe`)."""
    counts = meta["counts"]
    digits = f"{sum(counts.values()):,}"
    return f"""# Handwritten MNIST

Pen trajectories for the {digits} MNIST digits: for every MNIST image, the sequence of points a pen
could follow to write it, with the digit's label. Made by mnist-handwriting from
the thinned MNIST images with its default model `{meta["model"]}`, a small LSTM trained through a
differentiable line rasteriser to redraw the image (its training is described in the `.json` next
to its weights). The trajectories are model output that looks like human writing, not recordings of people writing.

## Getting the data (no model run needed)

The dataset is installed with the mnist-handwriting package and loads offline:

```python
from mnist_handwriting.datasets import HandwrittenMNIST, load
train = HandwrittenMNIST("train", representation="stroke5")    # PyTorch; collate_fn=train.collate pads like sketch-rnn
points, labels, mnist_index, _ = load("test")                  # NumPy: (10000, {meta["points"]}, 3), (10000,), (10000,)
```

```python
import datasets   # Hugging Face, after `mnist-handwriting dataset export --out DIR` (seconds, no model)
hub = datasets.load_dataset("parquet", data_dir="DIR/parquet/data")
```

The same `dataset export` writes every other format next to the parquet files: `lines.npz` (the
founding note's published layout, `lines` float32 (N, 20, 3) and `labels`), `stroke3.npz`
(sketch-rnn; object arrays, so `np.load(path, encoding="latin1", allow_pickle=True)` on files you
trust), `handwritten-mnist.ndjson` (Quick, Draw!), `svg/` and `handwritten-mnist.inkml`.

## Dataset structure

### Data fields

| field | type | meaning |
| --- | --- | --- |
| `label` | int64, 0..9 | the MNIST label |
| `points` | {meta["points"]} rows of `[x, y, pen_up]`, float32 | the trajectory |
| `index` | int64 | in the parquet files: position in MNIST order (0..59,999 the MNIST training set, 60,000..69,999 the test set); `mnist_index` of `load`: position in the digit's own MNIST set |

Coordinates: `x` grows to the right and `y` downwards, the origin is the top-left corner of the
28x28 MNIST image and `1.0 = 28 px`, so every digit lies in the unit square; the centre of pixel
(column `c`, row `r`) is `((c + 0.5) / 28, (r + 0.5) / 28)`. `pen_up = 1` means the pen is lifted
*after* this point (no line to the next); the last point always has `pen_up = 1`, so the number
of strokes is the sum of the `pen_up` column. PyTorch's `representation="stroke3"` gives offsets
`dx, dy, pen_up` (the first from the origin), `"stroke5"` sketch-rnn's `dx, dy, p1, p2, p3`.

### Splits

MNIST has no validation split: validation is the **last 5,000 of the 60,000 training digits**
(MNIST training indices 55,000..59,999), as every export of mnist-handwriting splits them.

| split | digits | MNIST indices |
| --- | ---: | --- |
| train | {counts["train"]:,} | 0..54,999 of the training set |
| valid (`validation` on the Hub) | {counts["valid"]:,} | 55,000..59,999 of the training set |
| test | {counts["test"]:,} | 0..9,999 of the test set |

## Dataset creation

1. The thinned MNIST images are rebuilt from "MNIST digits stroke sequence data" (de Jong, 2017):
   every pixel its pen visits is marked on the 28x28 grid (its pixels counted from 1).
2. The default model `{meta["model"]}` (weights SHA-256 `{meta["model_sha256"]}`) converts all
   {digits} images on the CPU, in batches of {meta["batch_size"]:,}, in MNIST order.
3. The shipped file `{meta["file"]}` ({meta["bytes"]:,} bytes, SHA-256 `{meta["sha256"]}`) stores
   {meta["quantisation"]}; the largest difference from the model's float32 output is
   {meta["max_error_px"]:.5f} px. It also holds the labels, each digit's MNIST index and split and
   the thinned input image (one bit per pixel). Every export is written from the stored values.

Command: `{meta["command"]}` (mnist-handwriting {meta["version"]}, torch {meta["torch"]}); it rebuilds
the file bit for bit on the CPU, writes the exports (`npz` with the note's `lines`/`labels`,
sketch-rnn `stroke3`, Quick, Draw! `ndjson`, `svg`, `inkml`, `parquet`) and this card.

## Quality of the converting model

{quality(meta["model"])}
## Limitations

- The trajectories come from a model, not from people: stroke order and direction are plausible
  but not observed, and hard digits can have missing or extra segments.
- The model sees thinned (1-pixel skeleton) images, so pen width and pressure are absent.
- Every digit has the same number of points ({meta["points"]}), spread along the strokes.

## Licence and attribution

This dataset is licensed under
[Creative Commons Attribution-ShareAlike 3.0](https://creativecommons.org/licenses/by-sa/3.0/)
(CC BY-SA 3.0), because it is an adaptation of a CC BY-SA 3.0 work:

- **MNIST digits stroke sequence data** by Edwin D. de Jong (2017), CC BY-SA 3.0,
  <https://edwin-de-jong.github.io/blog/mnist-sequence-data>. Its thinned images are the model's
  input; the trajectories here were computed from them by a neural network.
- That data derives from the **MNIST database of handwritten digits** by Yann LeCun, Corinna
  Cortes and Christopher J.C. Burges, <http://yann.lecun.com/exdb/mnist/>.
- The method follows Grzegorz Opoka's "MNIST to handwriting" (2017) and its handwritten-MNIST
  dataset, <https://github.com/Grzego/mnist-handwriting-dataset>.

Anything you share that is built from this data must carry these attributions and the same licence.

## Citation

Cite the dataset, and the works it derives from:

```bibtex
@misc{{handwritten_mnist,
  title  = {{Handwritten MNIST: pen trajectories for the {digits} MNIST digits}},
  note   = {{made with mnist-handwriting {meta["version"]}, model {meta["model"]}; SHA-256 {meta["sha256"][:16]}}},
  year   = {{2026}}
}}
@misc{{dejong2017mnistsequence,
  author = {{Edwin D. de Jong}},
  title  = {{MNIST digits stroke sequence data}},
  year   = {{2017}},
  url    = {{https://edwin-de-jong.github.io/blog/mnist-sequence-data}}
}}
@article{{lecun1998mnist,
  author  = {{Yann LeCun and L{{\\'e}}on Bottou and Yoshua Bengio and Patrick Haffner}},
  title   = {{Gradient-based learning applied to document recognition}},
  journal = {{Proceedings of the IEEE}},
  volume  = {{86}}, number = {{11}}, pages = {{2278--2324}}, year = {{1998}}
}}
```
"""


def card(meta: dict) -> str:
    """The whole card: the Hub's YAML header for the splits ``meta`` counts, then :func:`body`."""
    return card_text({split: count for split, count in meta["counts"].items() if count}, body(meta))
