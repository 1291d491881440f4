"""Options shared by several subcommands."""

from __future__ import annotations

import argparse

from ..errors import UserError


def locations(args: argparse.Namespace):
    """The :class:`mnist_handwriting.data.datasets.Locations` that --data-dir and --cache-dir name."""
    from ..data.datasets import Locations

    return Locations(args.data_dir, args.cache_dir)


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """--data-dir and --cache-dir (see ``mnist_handwriting.paths`` for the defaults)."""
    parser.add_argument("--data-dir", metavar="DIR",
                        help="shared data folder (default: $MNIST_HANDWRITING_DATA, else ../shared/data)")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="cache folder (default: $MNIST_HANDWRITING_CACHE, else ~/.cache/mnist-handwriting)")


BATCH_SIZE = 1024
"""Digits converted at once by the commands that convert many (--batch-size)."""
TRACE_POINTS = 20
"""Points per digit of the tracer unless --points says otherwise."""


def add_device_option(parser: argparse.ArgumentParser) -> None:
    """--device, the same on every command."""
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu, cuda, cuda:1 (default: cpu)")


def add_batch_option(parser) -> None:
    """--batch-size for the commands that convert many digits."""
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        help=f"digits converted at once (default: {BATCH_SIZE})")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """--device and --seed."""
    add_device_option(parser)
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")


def torch_device(name: str):
    """Parse a --device value into a ``torch.device``, with a clear error for unusable ones."""
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"unknown device {name!r}", "use cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device {name!r} asked for but CUDA is not available", "use --device cpu")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise UserError(f"device {name!r} asked for but only {torch.cuda.device_count()} CUDA device(s) exist",
                        f"use cuda:0 .. cuda:{torch.cuda.device_count() - 1}")
    return device


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """--method, --model, --points and --device for the commands that turn images into strokes."""
    parser.add_argument("--method", choices=("model", "trace"), default="model",
                        help="model: a trained handwriting model (default); trace: the classical skeleton tracer")
    parser.add_argument("--model", metavar="NAME_OR_PATH",
                        help="shipped model name or path to a .safetensors file (default: the shipped default model)")
    parser.add_argument("--points", type=int,
                        help=f"points per digit, for --method trace only: a model draws the number it was trained "
                             f"for (default: {TRACE_POINTS})")
    add_device_option(parser)


def converter_spec(args: argparse.Namespace) -> str | None:
    """The ``load_converter`` spec chosen by ``--method`` / ``--model``."""
    if args.method == "trace":
        if args.model:
            raise UserError("--model and --method trace were both given", "drop one of them")
        return "trace"
    if getattr(args, "points", None) is not None:
        raise UserError("--points was given for a model, which draws the number of points it was trained for",
                        "drop --points, or add --method trace")
    return args.model


def trace_points(args: argparse.Namespace) -> int:
    """The tracer's points per digit: --points, else :data:`TRACE_POINTS`."""
    return TRACE_POINTS if args.points is None else args.points


def add_source_options(parser: argparse.ArgumentParser, default_dataset: str | None = None) -> None:
    """--images IN.npz or --dataset NAME (one of them; required without ``default_dataset``), and --input."""
    from ..data.datasets import DATASETS, INPUT_MODES

    source = parser.add_mutually_exclusive_group(required=default_dataset is None)
    # Input files are positional on every command (as in show and export); --images is kept as its other name.
    source.add_argument("images_file", nargs="?", metavar="IN.npz",
                        help="images file: images uint8 (N, 28, 28), labels int64 (N,)")
    source.add_argument("--images", metavar="IN.npz", help="the same as the positional IN.npz")
    default = f" (default: {default_dataset})" if default_dataset else ""
    source.add_argument("--dataset", choices=DATASETS, default=default_dataset,
                        help="a built-in dataset: mnist-* (thinned MNIST from the shared data) or raw-mnist-* "
                             "(the official MNIST files fetched by `data download-mnist`, thinned by our "
                             f"preprocessing){default}")
    parser.add_argument("--input", choices=INPUT_MODES, default="auto",
                        help="for --images: thinned: use them as they are; raw: thin them first; "
                             "auto: thin those that are not 1-pixel skeletons (default)")


def source_images(args: argparse.Namespace):
    """The thinned ``images: (N, 28, 28) uint8, labels: (N,)`` chosen by :func:`add_source_options`."""
    from ..data.datasets import dataset_images
    from ..data.preprocess import prepare_inputs
    from ..formats import load_images_file

    if args.images or args.images_file:
        images, labels = load_images_file(args.images or args.images_file)
        return prepare_inputs(images, args.input), labels
    return dataset_images(args.dataset, locations(args))
