"""Build handwritten MNIST from the sources: the shipped file, every export and the dataset card.

:func:`build` (``mnist-handwriting dataset build --out DIR``) converts the 70,000 thinned
MNIST digits with the default model on the CPU, in batches of :data:`BATCH_SIZE`, and
writes, all or nothing (a temporary folder renamed onto ``DIR``)::

    DIR/handwritten-mnist.npz    the shipped file (layout: :mod:`.shipped`)
    DIR/handwritten-mnist.json   its description: SHA-256, model, command, counts, quantisation
    DIR/README.md                the dataset card (:mod:`.card`)
    DIR/lines.npz ...            each export format (:data:`EXPORTS`), written from the stored values

The same code and model give the same bytes, so the SHA-256 proves a rebuild. :func:`ship`
copies the file, its description and the card over the package's and docs/DATASET.md;
:func:`export_shipped` writes the card and the exports of the shipped file, without a model.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from .. import __version__
from ..paths import PACKAGE_DIR, atomic_write
from ..strokes import PIXELS
from .shipped import LEVELS, METADATA, SHIPPED, SPLITS, dequantise, pack_images, quantise, read_shipped, save, \
    sha256, split_codes, verify

BATCH_SIZE = 1024
"""Digits converted at once (part of what makes the bytes reproducible)."""
COMMAND = "mnist-handwriting dataset build --out DIR"
EXPORTS = {"npz": "lines.npz", "stroke3": "stroke3.npz", "ndjson": "handwritten-mnist.ndjson", "svg": "svg",
           "inkml": "handwritten-mnist.inkml", "parquet": "parquet"}
"""Export format -> its name in the build folder."""
CARD_COPY = PACKAGE_DIR.parent / "docs" / "DATASET.md"
"""Where :func:`ship` puts the card in a checkout."""


def convert_digits(locations=None, start: int = 0, stop: int | None = None, progress: bool = True):
    """Thinned MNIST digits ``start:stop`` (MNIST order) through the default model on the CPU.

    Returns ``points: (n, T, 3)`` float32, ``images: (n, 28, 28)`` uint8, ``labels: (n,)``, the model's name.
    """
    from ..convert import convert_images, load_converter
    from ..data.datasets import dataset_images

    images, labels = dataset_images("mnist-all", locations)
    images, labels = images[start:stop], labels[start:stop]
    converter = load_converter(None, "cpu")
    return convert_images(converter, images, labels, BATCH_SIZE, progress), images, labels, converter.name


def stored_arrays(points: np.ndarray, images: np.ndarray, labels: np.ndarray, start: int = 0) -> dict[str, np.ndarray]:
    """The shipped file's arrays for digits ``start:start + n`` of the 70,000 in MNIST order."""
    from ..export.common import MNIST_ALL

    codes, position = split_codes(MNIST_ALL)
    stop = start + len(points)
    return {**quantise(points), "labels": labels.astype(np.uint8), "mnist_index": position[start:stop].astype(np.uint16),
            "split": codes[start:stop], "images": pack_images(images)}


def describe(arrays: dict[str, np.ndarray], points: np.ndarray, model: str, digest: str, size: int) -> dict:
    """The description stored next to the shipped file (and filled into the card)."""
    import torch

    from ..models.registry import resolve

    error = np.abs(dequantise(arrays)[..., :2] - points[..., :2]).max() * PIXELS
    return {"format": "handwritten-mnist/1", "file": SHIPPED.name, "sha256": digest, "bytes": size,
            "counts": {name: int((arrays["split"] == code).sum()) for code, name in enumerate(SPLITS)},
            "points": int(points.shape[1]), "model": model, "model_sha256": sha256(resolve(model)),
            "batch_size": BATCH_SIZE, "command": COMMAND,
            "quantisation": f"x and y as 12-bit round({LEVELS} * x), within 0.5 / {LEVELS} of the unit square "
                            f"({0.5 / LEVELS * PIXELS:.4f} px); pen_up as bits",
            "max_error_px": round(float(error), 6), "version": __version__, "torch": torch.__version__}


def write_exports(folder: Path, arrays: dict[str, np.ndarray], meta: dict, progress: bool = True) -> None:
    """The card ``README.md`` and every export (:data:`EXPORTS`) of the stored ``arrays`` into ``folder``."""
    from ..export import format_module
    from .card import body, card

    text = body(meta)
    (folder / "README.md").write_text(card(meta), encoding="utf-8")
    stored, names = dequantise(arrays), np.array(SPLITS)[arrays["split"]]
    labels = arrays["labels"].astype(np.int64)
    for format, name in EXPORTS.items():
        format_module(format).write(stored, labels, folder / name, split_names=names, progress=progress, card=text)


def build(out: str | os.PathLike, locations=None, progress: bool = True) -> dict:
    """Convert, store, export and describe handwritten MNIST into the new folder ``out``; returns the description."""
    from ..export.common import atomic_folder

    with atomic_folder(out) as temp:   # first, so a used folder is refused before the conversion
        points, images, labels, model = convert_digits(locations, progress=progress)
        arrays = stored_arrays(points, images, labels)
        digest = save(temp / SHIPPED.name, arrays)
        meta = describe(arrays, points, model, digest, (temp / SHIPPED.name).stat().st_size)
        (temp / METADATA.name).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        write_exports(temp, arrays, meta, progress)
    return meta


def export_shipped(out: str | os.PathLike, progress: bool = True) -> dict:
    """The card and every export of the shipped file into the new folder ``out`` (no model runs); its description."""
    from ..export.common import atomic_folder

    arrays = read_shipped()
    meta = json.loads(METADATA.read_text(encoding="utf-8"))
    with atomic_folder(out) as temp:
        write_exports(temp, arrays, meta, progress)
    return meta


def ship(folder: str | os.PathLike) -> list[Path]:
    """Copy a build ``folder``'s file, description and card over the package's (and docs/DATASET.md); returns them."""
    folder = Path(folder)
    verify(folder / SHIPPED.name, folder / METADATA.name)
    copies = [(folder / SHIPPED.name, SHIPPED), (folder / METADATA.name, METADATA)]
    if CARD_COPY.parent.is_dir():
        copies.append((folder / "README.md", CARD_COPY))
    for source, target in copies:
        with atomic_write(target) as temp:
            shutil.copyfile(source, temp)
    verify(SHIPPED, METADATA)
    return [target for _, target in copies]
