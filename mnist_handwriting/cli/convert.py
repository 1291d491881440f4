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
    parser.add_argument("--workers", type=int,
                        help="worker processes converting batches (default: one per core on a CPU, 1 on CUDA)")
    parser.add_argument("--proposals", type=int, metavar="K",
                        help="write the K most probable drawing orders of a proposals model (e.g. human-proposals) "
                             "per digit: points (N, K, T, 3), most probable first, and probabilities (N, K)")
    parser.add_argument("--sample", action="store_true",
                        help="with a proposals model: one drawing order per digit drawn at random by its odds "
                             "(seeded by --seed), instead of the most probable")
    parser.add_argument("--seed", type=int, default=0, help="random seed of --sample (default: 0)")
    add_model_options(parser)
    add_data_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from ..convert import ProposalConverter, convert_to_file, default_workers, load_converter

    out = output_path(args.out)
    if out.suffix != ".npz":
        raise UserError(f"output {out} is not a .npz file", "name the handwriting file OUT.npz; use `export` for other formats")
    if args.sample and args.proposals is not None:
        raise UserError("--sample and --proposals both given", "use --proposals K to keep K drawing orders per digit, "
                        "or --sample to keep one drawn by its odds")
    images, labels = source_images(args)
    device = torch_device(args.device)
    converter = load_converter(converter_spec(args), device, trace_points(args))
    if args.proposals is not None or args.sample:
        converter = ProposalConverter.of(converter, args.proposals)
    workers = default_workers(device) if args.workers is None else args.workers
    started = time.perf_counter()
    count = convert_to_file(converter, images, labels, out, args.batch_size, workers=workers,
                            sample=args.seed if args.sample else None)
    seconds = time.perf_counter() - started
    what = (f" x {converter.proposals} proposals" if args.proposals else "") + (" (sampled by their odds)" if args.sample else "")
    print(f"wrote {out}: {count} digits{what} x {converter.count} points with {converter.name} "
          f"({count / max(seconds, 1e-9):,.0f} digits/s)")
