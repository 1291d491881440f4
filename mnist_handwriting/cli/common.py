"""Options shared by several subcommands."""

from __future__ import annotations

import argparse

from ..errors import UserError


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """--data-dir and --cache-dir (see ``mnist_handwriting.paths`` for the defaults)."""
    parser.add_argument("--data-dir", metavar="DIR",
                        help="shared data folder (default: $MNIST_HANDWRITING_DATA, else ../shared/data)")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="cache folder (default: $MNIST_HANDWRITING_CACHE, else ~/.cache/mnist-handwriting)")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """--device and --seed."""
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu, cuda, cuda:1 (default: cpu)")
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
    parser.add_argument("--points", type=int, default=20, help="points per digit for --method trace (default: 20)")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu, cuda (default: cpu)")


def converter_spec(args: argparse.Namespace) -> str | None:
    """The ``load_converter`` spec chosen by ``--method`` / ``--model``."""
    if args.method == "trace":
        if args.model:
            raise UserError("--model and --method trace were both given", "drop one of them")
        return "trace"
    return args.model
