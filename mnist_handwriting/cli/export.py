"""``mnist-handwriting export``: a handwriting file to npz, stroke-3, ndjson, SVG, InkML or parquet."""

from __future__ import annotations

import argparse

from ..export import FORMAT_NAMES
from ..paths import output_path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="export a handwriting file to other formats",
        description="Export a handwriting file (points + labels) to another format. svg and parquet write a "
                    "folder; stroke3 and parquet split the digits into train/valid/test.")
    parser.add_argument("input", metavar="IN.npz", help="handwriting file (points (N, T, 3), labels (N,))")
    parser.add_argument("--format", required=True, choices=FORMAT_NAMES, help="output format")
    parser.add_argument("--out", required=True, metavar="PATH", help="output file, or folder for svg and parquet")
    parser.add_argument("--valid-fraction", type=float, default=1 / 12,
                        help="share of the training digits, taken from their end, that forms the validation split "
                             "(rounded down to a multiple of 100; default: 1/12)")
    parser.add_argument("--test-start", type=int, metavar="INDEX",
                        help="index of the first test digit (default: 60000 for a 70,000-digit file in MNIST "
                             "order, else no test digits)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from ..export import export
    from ..export.common import default_splits
    from ..formats import load_handwriting_file

    points, labels = load_handwriting_file(args.input)
    splits = default_splits(len(points), args.valid_fraction, args.test_start)
    written = export(points, labels, args.format, output_path(args.out), split_names=splits)
    counts = ", ".join(f"{(splits == s).sum()} {s}" for s in ("train", "valid", "test"))
    detail = f" ({counts})" if args.format in ("stroke3", "parquet") else ""
    print(f"wrote {len(points)} digits as {args.format} to {written}{detail}")
