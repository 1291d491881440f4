"""``mnist-handwriting animate``: the note's figure as a GIF (input / drawing point by point / reconstruction)."""

from __future__ import annotations

import argparse

from ..errors import UserError
from ..paths import output_path
from .common import (add_data_options, add_model_options, add_source_options, converter_spec, source_images,
                     torch_device, trace_points)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "animate", help="GIF of digits being drawn: input, drawing, reconstruction",
        description="The founding note's figure: one column per digit, rows input image / the model drawing it point "
                    "by point / the model's reconstruction through its rasteriser.")
    add_source_options(parser, default_dataset="mnist-test")
    parser.add_argument("--indices", type=int, nargs="+", metavar="I", help="digits to show (default: a random sample)")
    parser.add_argument("--count", type=int, default=10, help="random digits to show without --indices (default: 10)")
    parser.add_argument("--out", required=True, metavar="OUT.gif", help="GIF to write")
    parser.add_argument("--fps", type=int, default=10, help="frames per second, 1..50 (default: 10)")
    parser.add_argument("--cell", type=int, default=84, help="pixels per digit (default: 84)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random sample (default: 0)")
    add_model_options(parser)
    add_data_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    import numpy as np

    from ..convert import load_converter
    from ..viz.animate import note_animation, save_gif
    from ..viz.grid import pick

    out = output_path(args.out)
    if out.suffix.lower() != ".gif":
        raise UserError(f"output {out} is not a .gif", "name it OUT.gif")
    images, labels = source_images(args)
    if args.indices:
        chosen = np.asarray(args.indices)
        if chosen.min() < 0 or chosen.max() >= len(images):
            raise UserError(f"index {chosen[(chosen < 0) | (chosen >= len(images))][0]} is out of range",
                            f"use indices 0..{len(images) - 1}")
    else:
        if args.count < 1:
            raise UserError(f"--count {args.count} is not positive", "show at least one digit")
        chosen = pick(len(images), min(args.count, len(images)), args.seed)
    images, labels = images[chosen], labels[chosen]
    converter = load_converter(converter_spec(args), torch_device(args.device), trace_points(args))
    frames = note_animation(images, converter.convert(images, labels), converter.reconstruct(images, labels),
                            fps=args.fps, cell=args.cell)
    save_gif(frames, out, args.fps)
    print(f"wrote {out}: {len(images)} digits, {len(frames)} frames at {args.fps} fps ({converter.name})")
