"""``mnist-handwriting train-reader``: train the number reader on real numbers, measure it, write its weights."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..errors import UserError
from .common import add_data_options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train-reader", help="train the reader that turns a written number back into its text",
        description="Train the number reader (a bidirectional LSTM with CTC over pen offsets) on random numbers "
                    "written from handwritten-MNIST training digits and pendigits writers 1-20, validate on writers "
                    "21-24 and the MNIST valid split, then measure its character error rate on numbers from MNIST "
                    "test digits and from the unseen writers 25-30. Writes DIR/reader.safetensors + reader.json "
                    "(config, metrics, command) and DIR/checkpoint.safetensors; to ship it, copy the two reader "
                    "files into mnist_handwriting/weights/.")
    parser.add_argument("--out", required=True, metavar="DIR", help="run folder (must exist)")
    parser.add_argument("--minutes", type=float, metavar="M",
                        help="stop after M minutes of training (default: run all --steps)")
    parser.add_argument("--steps", type=int, default=6000, help="optimiser steps (default: 6000)")
    parser.add_argument("--numbers", type=int, default=60_000, help="training numbers (default: 60000)")
    parser.add_argument("--batch-size", type=int, default=64, help="numbers per step (default: 64)")
    parser.add_argument("--hidden", type=int, default=64, help="LSTM units per direction (default: 64)")
    parser.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints (default: 500)")
    parser.add_argument("--eval-numbers", type=int, default=1000,
                        help="numbers of each evaluation set, MNIST test digits and writers 25-30 (default: 1000)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    add_data_options(parser)
    parser.set_defaults(func=run, parameter_flags={"out_dir": "--out", "count": "--eval-numbers"})


def run(args: argparse.Namespace) -> None:
    import dataclasses

    from ..safeweights import describe_machine
    from ..synthesis.reader import NAME, ReaderConfig, save_reader
    from ..synthesis.reader_training import ReaderTrainConfig, evaluate_reader, train_reader

    if args.eval_numbers < 1 or args.hidden < 1:
        raise UserError("--eval-numbers and --hidden must be 1 or more", "pass positive values")
    config = ReaderTrainConfig(steps=args.steps, batch_size=args.batch_size, numbers=args.numbers,
                               checkpoint_every=args.checkpoint_every, seed=args.seed)
    model_config = ReaderConfig(hidden=args.hidden)
    out = Path(args.out)
    model, metrics = train_reader(out, config, model_config, minutes=args.minutes, resume=args.resume,
                                  data_dir=args.data_dir, cache_dir=args.cache_dir)
    metrics.update(evaluate_reader(model, args.eval_numbers, data_dir=args.data_dir, cache_dir=args.cache_dir))
    command = shlex.join(["mnist-handwriting", *sys.argv[1:]])
    path = save_reader(model, out / f"{NAME}.safetensors", metrics=metrics,
                       train={**dataclasses.asdict(config), "minutes": args.minutes}, command=command, machine=describe_machine())
    print(f"wrote {path}: CER {metrics['cer_mnist_test']:.4f} on MNIST test numbers, {metrics['cer_dev_writers']:.4f} "
          f"on writers 25-30 ({metrics['steps']} steps, {metrics['seconds']:.0f} s)")
