"""``mnist-handwriting read``: read written numbers back into text with the number reader."""

from __future__ import annotations

import argparse

from ..errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "read", help="read the text of written numbers (a file of `write`)",
        description="Read each writing of FILE (a numbers .npz, a .stroke3.npz or a .json written by "
                    "`mnist-handwriting write`) with the number reader and print the text read, one line each.")
    parser.add_argument("file", metavar="FILE", help="numbers .npz, .stroke3.npz or .json")
    parser.add_argument("--model", metavar="PATH",
                        help="reader weights (.safetensors from train-reader; default: the shipped reader)")
    parser.add_argument("--score", action="store_true",
                        help="also print each stored text and the character error rate against them")
    parser.set_defaults(func=run, parameter_flags={"path": "--model"})


def run(args: argparse.Namespace) -> None:
    from ..export.numbers import load_writings
    from ..synthesis.reader import character_error_rate, load_reader, read_trajectories

    writings = load_writings(args.file)
    if args.score and not any(w.text for w in writings):
        raise UserError(f"{args.file} stores no texts to score against", "drop --score")
    reader = load_reader(args.model)
    texts = read_trajectories(reader, [w.points for w in writings])
    for text, writing in zip(texts, writings):
        print(f"{text}\t{writing.text}" if args.score else text)
    if args.score:
        stored = [w.text for w in writings]
        print(f"CER {character_error_rate(texts, stored):.4f} over {sum(map(len, stored))} characters "
              f"of {len(writings)} writings")
