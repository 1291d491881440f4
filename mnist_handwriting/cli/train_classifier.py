"""``mnist-handwriting train-classifier``: train the legibility classifier on thinned MNIST."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..errors import UserError
from .common import add_data_options, add_run_options, locations, torch_device

DEFAULT_OUT = "runs/classifier"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train-classifier", help="train the legibility classifier used by `eval`",
        description="Train the small CNN that reads thinned 28x28 digits on the thinned MNIST training images "
                    "and write classifier.safetensors + classifier.json (config, test accuracy, command, date).")
    parser.add_argument("--epochs", type=int, default=5, help="passes over the 60,000 training images (default: 5)")
    parser.add_argument("--out", metavar="DIR",
                        help=f"folder for classifier.safetensors and .json (default: {DEFAULT_OUT}, created); "
                             "to ship it, copy both files into mnist_handwriting/weights/")
    add_run_options(parser)
    add_data_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from ..data.datasets import load
    from ..models.classifier import save_classifier
    from ..safeweights import describe_machine
    from ..train.classifier import TrainConfig, train_classifier

    if args.epochs < 1:
        raise UserError(f"--epochs {args.epochs} is not positive", "pass --epochs 1 or more")
    out = Path(args.out or DEFAULT_OUT)
    if args.out is None:
        out.mkdir(parents=True, exist_ok=True)
    if not out.is_dir():
        raise UserError(f"output folder {out} does not exist", "create it first or choose another --out")
    device = torch_device(args.device)
    found = locations(args)
    train, test = load("mnist-train", found), load("mnist-test", found)
    config = TrainConfig(epochs=args.epochs, seed=args.seed)
    model, metrics = train_classifier(train.images, train.labels, test.images, test.labels, config, device=device)
    command = shlex.join(["mnist-handwriting", *sys.argv[1:]])
    path = save_classifier(model, out, metrics=metrics, train=config, command=command,
                           machine=describe_machine(device))
    print(f"wrote {path}: test accuracy {metrics['test_accuracy']:.4f} on thinned test digits "
          f"({metrics['seconds']:.0f} s)")
