"""``mnist-handwriting data``: decode and cache the datasets, show what is where, download raw MNIST."""

from __future__ import annotations

import argparse

from ..paths import data_dir as resolve_data_dir
from .common import add_data_options, locations


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
    preview = actions.add_parser("preview", help="save a PNG grid of digits with their trajectories overlaid")
    add_data_options(preview)
    preview.add_argument("dataset", choices=["thinned-mnist", "pendigits"], help="which set to show")
    preview.add_argument("--out", required=True, metavar="PNG", help="output image")
    preview.add_argument("--classes", default="0,1,2,3,4,5,6,7,8,9", help="comma-separated digits, one row each")
    preview.add_argument("--per-class", type=int, default=10, help="digits per class (default: 10)")
    preview.add_argument("--seed", type=int, default=0, help="random seed of the chosen digits (default: 0)")
    preview.set_defaults(func=run_preview)
    download = actions.add_parser("download-mnist", help="download the raw MNIST IDX files into the cache "
                                                         "(SHA-256 checked, resumable)")
    add_data_options(download)
    download.set_defaults(func=run_download)


def _loaders(args: argparse.Namespace) -> dict:
    """Each built-in digit set's title -> a function loading it (through the cache)."""
    from ..data.datasets import SETS

    found = locations(args)
    return {source.title: (lambda source=source: source.load(found)) for source in SETS.values()}


def _describe(name: str, digits) -> str:
    import numpy as np

    counts = " ".join(f"{d}:{c}" for d, c in enumerate(np.bincount(digits.labels, minlength=10)))
    writers = "" if digits.writers is None else f", {len(np.unique(digits.writers))} writers"
    return f"{name}: {len(digits)} digits, {len(digits.points)} points{writers} (per class {counts})"


def run_prepare(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    loaders = _loaders(args)
    lines = []
    for name, load in tqdm(loaders.items(), desc="decoding", unit="set", disable=None):
        lines.append(_describe(name, load()))
    print("\n".join(lines))
    print(f"cached in {locations(args).cache}")


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
    cache = locations(args).cache
    files = sorted(p for p in cache.iterdir() if p.is_file())
    print(f"cache folder: {cache} ({sum(p.stat().st_size for p in files) / 1e6:.1f} MB in {len(files)} files)")
    for path in files:
        print(f"  {path.name}: {path.stat().st_size / 1e6:.1f} MB")
    if data:
        for name, load in _loaders(args).items():
            print(_describe(name, load()))


def run_preview(args: argparse.Namespace) -> None:
    from ..data.datasets import load
    from ..data.preview import per_class_indices, trajectory_grid
    from ..errors import UserError
    from ..formats import output_suffix
    from ..paths import atomic_write, output_path

    out = output_path(args.out)
    output_suffix(out, (".png",))
    try:
        classes = [int(c) for c in args.classes.split(",")]
    except ValueError:
        raise UserError(f"--classes {args.classes!r} is not a list of digits", "write e.g. --classes 2,7") from None
    if not all(0 <= c <= 9 for c in classes) or args.per_class < 1:
        raise UserError("--classes must be digits 0..9 and --per-class at least 1", "write e.g. --classes 2,7")
    digits = load("mnist-train" if args.dataset == "thinned-mnist" else "pendigits", locations(args))
    grid = trajectory_grid(digits, per_class_indices(digits.labels, args.per_class, classes, args.seed),
                           columns=args.per_class)
    with atomic_write(out) as temp:
        grid.save(temp, format="PNG", optimize=True)
    print(f"wrote {out}")


def run_download(args: argparse.Namespace) -> None:
    from ..data.idx import download_mnist

    for path in download_mnist(args.cache_dir):
        print(f"{path} ({path.stat().st_size} bytes, SHA-256 checked)")
