"""``mnist-handwriting write``: a number in handwriting, or a training set of random numbers."""

from __future__ import annotations

import argparse

from ..errors import UserError
from ..export.outputs import OUTPUT_SUFFIXES
from ..paths import output_path
from .common import (add_batch_option, add_data_options, add_model_options, converter_spec, locations, torch_device,
                     trace_points)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "write", help="write a number in handwriting (or make a set of random ones)",
        description="Write a number (digits, spaces and . , - + / :) as one pen trajectory: each digit is a real "
                    "thinned MNIST test image of its class, converted to strokes, set on a shared baseline with "
                    "slight jitter; the pen is lifted between characters. With --random-numbers N, write N random "
                    "numbers into one .npz (points, offsets, texts, widths) for handwriting-synthesis training.")
    parser.add_argument("text", nargs="?", help="the number to write, e.g. 2026 or '3.14'")
    parser.add_argument("--out", metavar="PATH",
                        help=f"output, by suffix: {', '.join(OUTPUT_SUFFIXES)} (default: number.svg, "
                             "or numbers.npz with --random-numbers; NAME.stroke3.npz: sketch-rnn's stroke-3 layout)")
    parser.add_argument("--gif", metavar="PATH", help="also write an animation of the writing (one number only)")
    parser.add_argument("--style", type=int, metavar="N",
                        help="use the N-th image of each digit class, a consistent writer (default: random images)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for images, jitter and numbers (default: 0)")
    parser.add_argument("--fps", type=int, default=10, help="animation frames per second (default: 10)")
    parser.add_argument("--dataset", default="mnist-test", choices=("mnist-test", "mnist-train"),
                        help="thinned MNIST split the digits come from (default: mnist-test)")
    group = parser.add_argument_group("random numbers")
    group.add_argument("--random-numbers", type=int, metavar="N", help="write N random numbers instead of TEXT")
    group.add_argument("--min-digits", type=int, default=1, help="fewest digits per random number (default: 1)")
    group.add_argument("--max-digits", type=int, default=6, help="most digits per random number (default: 6)")
    group.add_argument("--punctuation", type=float, default=0.0,
                       help="probability that a random number gets one of . , - / : inside (default: 0)")
    add_batch_option(group)
    add_model_options(parser)
    add_data_options(parser)
    parser.set_defaults(func=run, parameter_flags={"count": "--random-numbers"})


def run(args: argparse.Namespace) -> None:
    from ..convert import load_converter
    from ..export.numbers import save_writing
    from ..viz.animate import check_fps
    from ..write import DigitPool, check_text, random_numbers, write_text

    if (args.text is None) == (args.random_numbers is None):
        raise UserError("give either a TEXT to write or --random-numbers N", "e.g. `write 2026` or "
                        "`write --random-numbers 1000 --out numbers.npz`")
    many = args.random_numbers is not None
    if many and args.gif:   # found before the slow work, not after the .npz is written
        raise UserError("--gif animates one number, not --random-numbers", "drop --gif, or write one TEXT")
    if not many:
        check_text(args.text)  # before the slow loading of the model and the digits
    out = output_path(args.out or ("numbers.npz" if many else "number.svg"))
    gif = output_path(args.gif, "gif") if args.gif else None
    if gif is not None or out.suffix.lower() == ".gif":
        check_fps(args.fps)   # before anything is written
    converter = load_converter(converter_spec(args), torch_device(args.device), trace_points(args))
    pool = DigitPool.from_dataset(args.dataset, locations(args))
    if many:
        writings = random_numbers(args.random_numbers, converter, pool, min_digits=args.min_digits,
                                  max_digits=args.max_digits, punctuation=args.punctuation, style=args.style,
                                  seed=args.seed, batch_size=args.batch_size)
    else:
        writings = [write_text(args.text, converter, pool, style=args.style, seed=args.seed)]
    save_writing(out, writings, args.fps)
    if gif is not None:
        save_writing(gif, writings, args.fps)
    points = sum(len(w.points) for w in writings)
    what = f"{len(writings)} numbers" if many else repr(args.text)
    print(f"wrote {what} to {out}" + (f" and {gif}" if gif else "") + f" ({points} points, {converter.name})")
