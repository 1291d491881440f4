"""``mnist-handwriting data``: decode and cache the datasets, show what is where, download raw MNIST."""

from __future__ import annotations

import argparse

import numpy as np
from tqdm import tqdm

from ..paths import cache_dir as resolve_cache_dir, data_dir as resolve_data_dir
from .common import add_data_options


def register(subparsers) -> None:
    parser = subparsers.add_parser("data", help="prepare, inspect and download the datasets",
                                   description="Decode and cache the datasets, show what is where, download raw MNIST.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    prepare = actions.add_parser("prepare", help="decode every dataset once into the cache")
    add_data_options(prepare)
    prepare.set_defaults(func=run_prepare)
    info = actions.add_parser("info", help="counts per split and class, cache location and sizes, licences")
    add_data_options(info)
    info.set_defaults(func=run_info)


def _loaders(args: argparse.Namespace) -> dict:
    """Dataset name -> a function loading it (through the cache)."""
    from ..data.stroke_sequences import load_thinned_mnist

    return {
        "thinned-mnist train": lambda: load_thinned_mnist("train", args.data_dir, args.cache_dir),
        "thinned-mnist test": lambda: load_thinned_mnist("test", args.data_dir, args.cache_dir),
    }


def _describe(name: str, digits) -> str:
    counts = " ".join(f"{d}:{c}" for d, c in enumerate(np.bincount(digits.labels, minlength=10)))
    writers = "" if digits.writers is None else f", {len(np.unique(digits.writers))} writers"
    return f"{name}: {len(digits)} digits, {len(digits.points)} points{writers} (per class {counts})"


def run_prepare(args: argparse.Namespace) -> None:
    loaders = _loaders(args)
    lines = []
    for name, load in tqdm(loaders.items(), desc="decoding", unit="set", disable=None):
        lines.append(_describe(name, load()))
    print("\n".join(lines))
    print(f"cached in {resolve_cache_dir(args.cache_dir)}")


LICENCES = {
    "mnist-stroke-sequences": "CC BY-SA 3.0, E. D. de Jong (2017), derived from MNIST (LeCun, Cortes)",
    "pendigits": "CC BY 4.0, E. Alpaydin, F. Alimoglu (UCI, 1998)",
    "human-samples": "MIT, G. Opoka (2017)",
}


def run_info(args: argparse.Namespace) -> None:
    data = resolve_data_dir(args.data_dir, required=bool(args.data_dir))
    print(f"data folder: {data if data else 'not found (pass --data-dir or set $MNIST_HANDWRITING_DATA)'}")
    for folder, licence in LICENCES.items():
        present = "present" if data and (data / folder).is_dir() else "missing"
        print(f"  {folder}: {present}; licence {licence}")
    cache = resolve_cache_dir(args.cache_dir)
    files = sorted(p for p in cache.iterdir() if p.is_file())
    print(f"cache folder: {cache} ({sum(p.stat().st_size for p in files) / 1e6:.1f} MB in {len(files)} files)")
    for path in files:
        print(f"  {path.name}: {path.stat().st_size / 1e6:.1f} MB")
    if data:
        for name, load in _loaders(args).items():
            print(_describe(name, load()))
