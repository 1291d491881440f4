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
    "synthesize",
    "serve",
    "eval",
    "train",
    "experiment",
    "train-renderer",
    "train-classifier",
    "train-reader",
    "train-synthesis",
    "read",
    "data",
    "dataset",
)
"""Modules of ``mnist_handwriting.cli`` that each register one subcommand, in help order."""


def flags_of(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Destination -> the flag that sets it (``batch_size`` -> ``--batch-size``; positionals by their name)."""
    return {action.dest: max(action.option_strings, key=len) if action.option_strings else action.metavar or action.dest
            for action in parser._actions if action.dest != "help"}


def cli_message(error: UserError, args: argparse.Namespace) -> str:
    """``error`` with each parameter it names in quotes (``'batch_size'``) replaced by its flag.

    A subcommand may map parameters to flags of another name (``parameter_flags``, e.g.
    ``count`` -> ``--random-numbers``); a training parameter without a flag of its own is
    ``--set NAME=...``.
    """
    text = str(error)
    flags = {**getattr(args, "flags", {}), **getattr(args, "parameter_flags", {})}
    for name in error.parameters:
        flag = flags.get(name) or (f"--set {name}=..." if "overrides" in flags else None)
        if flag:
            text = text.replace(f"'{name}'", flag)
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mnist-handwriting",
        description="Turn MNIST digit images into human-like pen trajectories.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name.replace('-', '_')}").register(subparsers)
    for subparser in subparsers.choices.values():
        flags = flags_of(subparser)
        for action in subparser._actions:   # the actions of `data`: their flags too
            if isinstance(action, argparse._SubParsersAction):
                for nested in action.choices.values():
                    flags.update(flags_of(nested))
        subparser.set_defaults(flags=flags)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except UserError as error:
        print(f"mnist-handwriting {args.command}: error: {cli_message(error, args)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mnist-handwriting {args.command}: interrupted; no partial output was written", file=sys.stderr)
        return 130
    return 0
