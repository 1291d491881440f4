"""``mnist-handwriting synthesize``: the synthesis network writes a number (or a set of them) in one hand."""

from __future__ import annotations

import argparse

from ..errors import UserError
from ..export.outputs import OUTPUT_SUFFIXES
from .common import add_data_options, add_device_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "synthesize", help="write any number with the handwriting-synthesis network, in a chosen hand",
        description="Write TEXT (digits, spaces and . , - + / :, at most 100 characters) with the trained synthesis "
                    "network: one pen trajectory in one hand, the digits joined as the network learned from "
                    "handwritten MNIST and pendigits numbers. --prime or --writer makes it continue in that hand; "
                    "without either, each number is written in a random handwritten-MNIST hand (set by --seed). "
                    "The output has the same formats and coordinate convention as `write` (x right, y down, "
                    "1.0 = 28 px, y in [0, 1]); a GIF shows the pen moving. With --count N: N samples of TEXT, or "
                    "without TEXT N random numbers, into one numbers .npz (points, offsets, texts, widths).")
    parser.add_argument("text", nargs="?", help="the number to write, e.g. 2026-12-01 or '3.14'")
    parser.add_argument("--out", metavar="PATH",
                        help=f"output, by suffix: {', '.join(OUTPUT_SUFFIXES)} (default: synthesized.svg, or "
                             "synthesized.npz with --count; NAME.stroke3.npz: sketch-rnn's stroke-3 layout)")
    parser.add_argument("--bias", type=float, default=1.0,
                        help="sampling bias: 0 draws from the learned distribution, higher is neater (default: 1)")
    hand = parser.add_mutually_exclusive_group()
    hand.add_argument("--prime", metavar="FILE",
                      help="write on in the hand of the first number in FILE (a .json, numbers .npz or .stroke3.npz "
                           "from `write` or `synthesize`)")
    hand.add_argument("--writer", type=int, metavar="N",
                      help="write on in the hand of pendigits writer N (1-30): it first reads a few of N's digits")
    parser.add_argument("--count", type=int, metavar="N",
                        help="write N samples of TEXT, or N random numbers of 1-10 digits without TEXT, into a .npz")
    parser.add_argument("--seed", type=int, default=0, help="random seed: samples, random numbers, priming (default: 0)")
    parser.add_argument("--fps", type=int, default=30, help="animation frames per second (default: 30)")
    parser.add_argument("--model", metavar="PATH", help="synthesis weights (default: the shipped ones)")
    add_device_option(parser)
    add_data_options(parser)
    parser.set_defaults(func=run, parameter_flags={"path": "--model", "bias": "--bias", "prime": "--prime",
                                                   "writers": "--writer", "fps": "--fps", "count": "--count",
                                                   "text": "TEXT"})


def run(args: argparse.Namespace) -> None:
    import numpy as np

    from ..export.numbers import load_writings, save_writing
    from ..formats import output_suffix
    from ..paths import output_path
    from ..synthesis.model import check_bias
    from ..synthesis.numbers import random_number_texts
    from ..synthesis.writing import (check_texts, load_synthesizer, prime_from_writer, prime_from_writing,
                              synthesize)
    from ..viz.animate import check_fps

    if args.text is None and args.count is None:
        raise UserError("nothing to write: give a TEXT, or --count N for N random numbers",
                        "e.g. `synthesize 2026-12-01 --out date.svg` or `synthesize --count 1000 --out set.npz`")
    if args.count is not None and args.count < 1:
        raise UserError(f"--count {args.count} is not positive", "pass --count 1 or more")
    out = output_path(args.out or ("synthesized.npz" if args.count else "synthesized.svg"))
    suffix = output_suffix(out, OUTPUT_SUFFIXES)
    if args.count is not None and suffix != ".npz":
        raise UserError(f"--count writes many numbers, which a {suffix} file cannot hold", "name the output NAME.npz")
    if suffix == ".gif":
        check_fps(args.fps)
    if args.writer is not None and not 1 <= args.writer <= 30:
        raise UserError(f"--writer {args.writer} is not a pendigits writer", "choose a writer among 1..30")
    check_bias(args.bias)   # before the slow loading of the model and the prime
    if args.text is not None:
        check_texts(args.text, args.bias)
    prime = None
    if args.prime is not None:
        writings = load_writings(args.prime)
        prime = prime_from_writing(writings[0], args.prime)
    elif args.writer is not None:
        prime = prime_from_writer(args.writer, args.seed, data_dir=args.data_dir, cache_dir=args.cache_dir)
    if args.text is None:
        texts = random_number_texts(args.count, np.random.default_rng(args.seed))
    else:
        texts = [args.text] * (args.count or 1)
    check_texts(texts, args.bias, prime)   # the prime's text counts towards the 100 characters
    model = load_synthesizer(args.model, args.device)
    writings = synthesize(texts, model, bias=args.bias, seed=args.seed, prime=prime, progress=len(texts) > 1)
    save_writing(out, writings, args.fps)
    points = sum(len(w.points) for w in writings)
    what = f"{len(writings)} numbers" if len(writings) > 1 else repr(writings[0].text)
    hand = f", in the hand of {prime.source}" if prime else ""
    print(f"wrote {what} to {out} ({points} points, bias {args.bias:g}{hand})")
