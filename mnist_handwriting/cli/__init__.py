"""The ``mnist-handwriting`` command: a thin shell over the library.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds
its parser and sets ``func`` to a function taking the parsed arguments. A
``UserError`` becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..errors import UserError

SUBCOMMANDS = (
    "convert",
    "draw",
    "show",
    "animate",
    "export",
    "write",
    "serve",
    "eval",
    "train",
    "experiment",
    "train-renderer",
    "train-classifier",
    "data",
)
"""Modules of ``mnist_handwriting.cli`` that each register one subcommand, in help order."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mnist-handwriting",
        description="Turn MNIST digit images into human-like pen trajectories.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name.replace('-', '_')}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except UserError as error:
        print(f"mnist-handwriting {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mnist-handwriting {args.command}: interrupted; no partial output was written", file=sys.stderr)
        return 130
    return 0
