"""``mnist-handwriting convert``: an images file (or the built-in thinned MNIST) to a handwriting file."""

from __future__ import annotations

import argparse
import time

from ..convert import DATASETS, INPUT_MODES, convert_images, dataset_images, load_converter, prepare_inputs
from ..errors import UserError
from ..formats import load_images_file, save_handwriting_file
from ..paths import output_path
from .common import add_data_options, add_model_options, converter_spec, torch_device


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert", help="convert digit images to pen trajectories",
        description="Convert digit images (an images .npz, or the built-in thinned MNIST) into a handwriting .npz "
                    "(points (N, T, 3): x, y, pen_up; labels), in the same order.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", metavar="IN.npz", help="images file: images uint8 (N, 28, 28), labels int64 (N,)")
    source.add_argument("--dataset", choices=DATASETS,
                        help="convert a built-in dataset: mnist-* (thinned MNIST from the shared data) or raw-mnist-* "
                             "(the official MNIST files fetched by `data download-mnist`, thinned by our preprocessing)")
    parser.add_argument("--out", required=True, metavar="OUT.npz", help="handwriting file to write")
    parser.add_argument("--input", choices=INPUT_MODES, default="auto",
                        help="thinned: use images as they are; raw: thin them first; "
                             "auto: thin those that are not 1-pixel skeletons (default)")
    parser.add_argument("--batch-size", type=int, default=1024, help="digits per batch (default: 1024)")
    add_model_options(parser)
    add_data_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    out = output_path(args.out)
    if out.suffix != ".npz":
        raise UserError(f"output {out} is not a .npz file", "name the handwriting file OUT.npz; use `export` for other formats")
    if args.images:
        images, labels = load_images_file(args.images)
        images = prepare_inputs(images, args.input)
    else:
        images, labels = dataset_images(args.dataset, args.data_dir, args.cache_dir)
    converter = load_converter(converter_spec(args), torch_device(args.device), args.points)
    started = time.perf_counter()
    points = convert_images(converter, images, labels, args.batch_size)
    save_handwriting_file(out, points, labels)
    seconds = time.perf_counter() - started
    print(f"wrote {out}: {len(points)} digits x {points.shape[1]} points with {converter.name} "
          f"({len(points) / max(seconds, 1e-9):,.0f} digits/s)")
