"""``mnist-handwriting convert``: an images file (or the built-in thinned MNIST) to a handwriting file."""

from __future__ import annotations

import argparse
import time

from ..errors import UserError
from ..paths import output_path
from .common import (add_batch_option, add_data_options, add_model_options, add_source_options, converter_spec,
                     source_images, torch_device, trace_points)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert", help="convert digit images to pen trajectories",
        description="Convert digit images (an images .npz, or the built-in thinned MNIST) into a handwriting .npz "
                    "(points (N, T, 3): x, y, pen_up; labels), in the same order.")
    add_source_options(parser)
    parser.add_argument("--out", required=True, metavar="OUT.npz", help="handwriting file to write")
    add_batch_option(parser)
    add_model_options(parser)
    add_data_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from ..convert import convert_images, load_converter
    from ..formats import save_handwriting_file

    out = output_path(args.out)
    if out.suffix != ".npz":
        raise UserError(f"output {out} is not a .npz file", "name the handwriting file OUT.npz; use `export` for other formats")
    images, labels = source_images(args)
    converter = load_converter(converter_spec(args), torch_device(args.device), trace_points(args))
    started = time.perf_counter()
    points = convert_images(converter, images, labels, args.batch_size)
    save_handwriting_file(out, points, labels)
    seconds = time.perf_counter() - started
    print(f"wrote {out}: {len(points)} digits x {points.shape[1]} points with {converter.name} "
          f"({len(points) / max(seconds, 1e-9):,.0f} digits/s)")
