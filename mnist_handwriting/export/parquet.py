"""Parquet, one file per split, plus a Hugging Face dataset card: loads with ``datasets``.

The output folder holds ``data/{train,validation,test}.parquet`` (splits with no digits are
left out) and ``README.md``: a YAML header whose ``configs``/``data_files`` map the files to
splits (so the Hub and ``datasets.load_dataset("parquet", data_dir=FOLDER + "/data")`` or
``load_dataset(FOLDER)`` find them) and declares the features, followed by the card's
text: a short description and the licence of any export, or the full card of the shipped dataset
(:mod:`mnist_handwriting.datasets.card`).
Columns: ``index`` int64 (position in the exported handwriting file), ``label`` int64,
``points`` list of ``[x, y, pen_up]`` float32 rows (our convention). Lossless.

pyarrow is an optional dependency (``pip install 'mnist-handwriting[parquet]'``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import UserError
from .common import SPLITS, atomic_folder, check_input, check_splits, stack_drawings

SUFFIX = ""
FOLDER = True
HUB_SPLITS = {"train": "train", "valid": "validation", "test": "test"}
"""Our split names to the Hugging Face ones."""
CARD_BODY = """# Handwritten MNIST

Pen trajectories (x, y, pen_up; x right, y down, 1.0 = 28 px) for MNIST digits, made with
mnist-handwriting. Licence: CC BY-SA 3.0, because the data derives from "MNIST digits stroke
sequence data" by Edwin D. de Jong (CC BY-SA 3.0), itself derived from the MNIST database
(Yann LeCun, Corinna Cortes, Christopher J.C. Burges). See the project's docs/DATASET.md.
"""


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.compute
        import pyarrow.parquet
    except ImportError:
        raise UserError("the parquet export needs pyarrow, which is not installed",
                        "pip install 'mnist-handwriting[parquet]'") from None
    return pyarrow


FEATURES = ("  features:\n  - name: index\n    dtype: int64\n  - name: label\n    dtype: int64\n"
            "  - name: points\n    sequence:\n      sequence: float32\n")
"""The columns in the card's ``dataset_info`` (the Hub's YAML for ``datasets.Features``)."""


def card_text(split_counts: dict[str, int], body: str | None = None) -> str:
    """The dataset card: YAML header (licence, task, size, features, the split files), then ``body``
    (default :data:`CARD_BODY`). Split sizes are left to the Hub: its ``splits`` entries also want the
    Arrow bytes of each split, which only ``datasets`` computes."""
    files = "".join(f"  - split: {HUB_SPLITS[s]}\n    path: data/{HUB_SPLITS[s]}.parquet\n" for s in split_counts)
    total = sum(split_counts.values())
    size = next(name for limit, name in ((1000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                                         (1_000_000, "100K<n<1M"), (float("inf"), "n>1M")) if total < limit)
    header = ("---\nlicense: cc-by-sa-3.0\npretty_name: Handwritten MNIST\ntask_categories:\n- time-series-forecasting\n"
              "annotations_creators:\n- machine-generated\nsource_datasets:\n- extended|mnist\n"
              f"size_categories:\n- {size}\ntags:\n- mnist\n- handwriting\n- online-handwriting\n- pen-trajectories\n"
              f"- sketch-rnn\ndataset_info:\n{FEATURES}"
              f"configs:\n- config_name: default\n  data_files:\n{files}---\n\n")
    return header + (CARD_BODY if body is None else body)


def write(points: np.ndarray, labels: np.ndarray, out: str | os.PathLike, *, split_names=None, card: str | None = None,
          **_) -> Path:
    """Write ``points: (N, T, 3)``, ``labels: (N,)`` as a parquet dataset folder, atomically (``card``: its body)."""
    pa = _pyarrow()
    points, labels = check_input(points, labels, str(out))
    names = check_splits(split_names, len(points))
    counts = {s: int((names == s).sum()) for s in SPLITS if (names == s).any()} or {"train": 0}
    row = pa.list_(pa.float32())
    schema = pa.schema([("index", pa.int64()), ("label", pa.int64()), ("points", pa.list_(row))])
    with atomic_folder(out) as temp:
        (temp / "data").mkdir()
        for split in counts:
            index = np.flatnonzero(names == split)
            # Flat values + offsets build the nested column without a Python loop over points.
            flat = pa.FixedSizeListArray.from_arrays(pa.array(points[index].reshape(-1)), 3).cast(row)
            steps = points.shape[1]
            nested = pa.ListArray.from_arrays(pa.array(np.arange(len(index) + 1) * steps, pa.int32()), flat)
            table = pa.Table.from_arrays([pa.array(index.astype(np.int64)), pa.array(labels[index]), nested],
                                         schema=schema)
            pa.parquet.write_table(table, temp / "data" / f"{HUB_SPLITS[split]}.parquet")
        (temp / "README.md").write_text(card_text(counts, card), encoding="utf-8")
    return Path(out)


def read(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a folder written by :func:`write` in input order: ``points: (N, T, 3)``, ``labels: (N,)``."""
    pa = _pyarrow()
    folder = Path(path) / "data"
    files = [folder / f"{HUB_SPLITS[s]}.parquet" for s in SPLITS if (folder / f"{HUB_SPLITS[s]}.parquet").is_file()]
    if not files:
        raise UserError(f"no data/*.parquet files in {path}", "give the folder written by the parquet exporter")
    try:
        table = pa.concat_tables([pa.parquet.read_table(f, columns=["index", "label", "points"]) for f in files])
    except (pa.ArrowException, OSError) as error:
        raise UserError(f"{path}: unreadable parquet data ({error})", "export it again") from None
    index = table["index"].to_numpy()
    if sorted(index.tolist()) != list(range(len(index))):
        raise UserError(f"{path}: the index column is not a permutation of the rows", "export it again")
    labels = table["label"].to_numpy()
    order = np.argsort(index)
    column = table["points"].combine_chunks()
    rows = column.flatten()
    steps = set(pa.compute.list_value_length(column).to_numpy().tolist())
    if len(column) == 0 or len(steps) > 1 or set(pa.compute.list_value_length(rows).to_numpy().tolist()) != {3}:
        # The general path: empty tables, ragged or malformed rows get stack_drawings' checks.
        nested = column.to_pylist()
        return stack_drawings([np.array(nested[i], np.float32).reshape(-1, 3) for i in order], labels[order].tolist(),
                              str(path))
    points = rows.flatten().to_numpy(zero_copy_only=False).reshape(len(column), steps.pop(), 3)
    return check_input(points[order], labels[order], str(path))
