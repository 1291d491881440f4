"""``mnist-handwriting dataset``: build handwritten MNIST from the sources, or describe the shipped file."""

from __future__ import annotations

import argparse

from .common import add_data_options, locations


def register(subparsers) -> None:
    parser = subparsers.add_parser("dataset", help="build or describe the shipped handwritten-MNIST dataset",
                                   description="The 70,000 MNIST digits as pen trajectories, shipped with the package.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="convert all 70,000 thinned MNIST digits with the default model and "
                                             "write the shipped file, every export format and the dataset card",
                               description="Rebuilds the shipped file bit for bit on the CPU (same code and model).")
    build.add_argument("--out", required=True, metavar="DIR", help="new folder to write (must not exist or be empty)")
    build.add_argument("--ship", action="store_true",
                       help="then copy the file, its .json and the card over the package's and docs/DATASET.md")
    add_data_options(build)
    build.set_defaults(func=run_build)
    export = actions.add_parser("export", help="write the card and every export format of the shipped file "
                                               "(parquet for Hugging Face, npz, stroke3, ndjson, svg, inkml; no model runs)")
    export.add_argument("--out", required=True, metavar="DIR", help="new folder to write (must not exist or be empty)")
    export.set_defaults(func=run_export)
    info = actions.add_parser("info", help="check the shipped file's SHA-256 and count a split's digits per class")
    info.add_argument("--split", default="all", help="train, valid, test or all (default: all)")
    info.add_argument("--source", metavar="IN.npz", help="a handwriting file to read instead of the shipped file")
    info.set_defaults(func=run_info)


def run_build(args: argparse.Namespace) -> None:
    from ..datasets.build import build, ship
    from ..paths import output_path

    meta = build(output_path(args.out), locations(args))
    counts = ", ".join(f"{n:,} {s}" for s, n in meta["counts"].items())
    print(f"wrote {args.out}: {sum(meta['counts'].values()):,} digits ({counts}) by {meta['model']}, "
          f"sha256 {meta['sha256']}, {meta['bytes'] / 1e6:.2f} MB, max quantisation error {meta['max_error_px']} px")
    if args.ship:
        print("shipped: " + ", ".join(str(path) for path in ship(args.out)))


def run_export(args: argparse.Namespace) -> None:
    from ..datasets.build import EXPORTS, export_shipped
    from ..paths import output_path

    meta = export_shipped(output_path(args.out))
    print(f"wrote {args.out}: README.md (the card), {', '.join(EXPORTS.values())} "
          f"({sum(meta['counts'].values()):,} digits by {meta['model']})")


def run_info(args: argparse.Namespace) -> None:
    import json

    import numpy as np

    from ..datasets import shipped

    data = shipped.load(args.split, source=args.source)
    if args.source is None:
        meta = json.loads(shipped.METADATA.read_text(encoding="utf-8"))
        print(f"{shipped.SHIPPED}: made by {meta['model']}, sha256 {meta['sha256']} (checked)")
    per_class = " ".join(f"{d}:{n}" for d, n in enumerate(np.bincount(data.labels, minlength=10)))
    print(f"{args.split}: {len(data.points):,} digits of {data.points.shape[1]} points (per class {per_class})")
