"""``mnist-handwriting train-synthesis``: train the network that writes numbers (issue 17) on real numbers."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys

from ..errors import UserError
from .common import add_data_options, add_device_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train-synthesis", help="train the handwriting-synthesis network that writes any number",
        description="Train the Graves-style synthesis network (an LSTM stack with a soft attention window over the "
                    "characters and a mixture-density output over pen offsets) on random numbers written from "
                    "handwritten-MNIST training digits and/or the pendigits writers 1-20, validated on the MNIST "
                    "valid split and writers 21-24. Writes DIR/synthesis.safetensors + synthesis.json (config, "
                    "metrics, command), DIR/config.json, log.jsonl and checkpoint.safetensors; to ship it, copy the "
                    "two synthesis files into mnist_handwriting/weights/.")
    parser.add_argument("--out", required=True, metavar="DIR", help="run folder (created if missing)")
    parser.add_argument("--minutes", type=float, default=55.0, metavar="M",
                        help="training time budget over all resumes (default: 55)")
    parser.add_argument("--steps", type=int, metavar="N", help="stop after N optimiser steps (default: the budget)")
    parser.add_argument("--source", choices=("mnist", "pendigits", "both"), default="both",
                        help="whose digits write the training numbers: handwritten MNIST, the pendigits writers "
                             "1-20 (one writer per number), or half each (default: both)")
    parser.add_argument("--joined", type=float, default=0.0, metavar="P",
                        help="share of training and validation numbers that are two numbers joined by a space in "
                             "one hand, as a primed writing is (default: 0)")
    parser.add_argument("--numbers", type=int, default=60_000, help="training numbers (default: 60000)")
    parser.add_argument("--valid-numbers", type=int, default=500, help="validation numbers (default: 500)")
    parser.add_argument("--batch-size", type=int, default=32, help="numbers per step (default: 32)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: 0.001)")
    parser.add_argument("--init", metavar="FILE",
                        help="start from these synthesis weights instead of a fresh network (fine-tuning, e.g. "
                             "mnist_handwriting/weights/synthesis.safetensors); the architecture is the file's")
    parser.add_argument("--layers", type=int, help="LSTM layers (default: 2)")
    parser.add_argument("--hidden", type=int, help="units per layer (default: 256)")
    parser.add_argument("--mixtures", type=int, help="output mixture components (default: 20)")
    parser.add_argument("--hand-points", type=int, metavar="P",
                        help="points of each digit shape of the hand the network is shown while it writes (which "
                             "digits: --hands); 0: no hand, priming only (default: synthesis.hands.HAND_POINTS, 12)")
    parser.add_argument("--hands", choices=("resembling", "writer"), default="resembling",
                        help="the training hand's example of each class: one of the 3 digits nearest in shape to the "
                             "number's own (of the same pendigits writer, or of all handwritten-MNIST training "
                             "digits), or a random other digit of the same pendigits writer and no hand for an MNIST "
                             "number (default: resembling)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    parser.add_argument("--seed", type=int, default=0, help="random seed: data, initialisation, batches (default: 0)")
    add_device_option(parser)
    add_data_options(parser)
    parser.set_defaults(func=run, parameter_flags={"out_dir": "--out", "max_steps": "--steps",
                                                   "max_seconds": "--minutes", "batch_size": "--batch-size",
                                                   "lr": "--lr", "count": "--numbers", "joined": "--joined"})


def run(args: argparse.Namespace) -> None:
    from pathlib import Path

    from ..synthesis.hands import HAND_POINTS
    from ..synthesis.model import SynthesisConfig
    from ..synthesis.training import CHECKPOINT, MODEL_FILE, TrainConfig, numbers_data, train_synthesis

    for flag, value in (("--numbers", args.numbers), ("--valid-numbers", args.valid_numbers)):
        if value < 1:
            raise UserError(f"{flag} {value} is not positive", f"pass {flag} 1 or more")
    if args.minutes <= 0:
        raise UserError(f"a budget of {args.minutes} minutes is not positive", "pass --minutes above 0")
    held = (Path(args.out) / CHECKPOINT).exists()
    if held != args.resume:   # checked before minutes of building numbers
        raise (UserError(f"{args.out} already holds a run", "pass --resume to continue it, or choose another --out")
               if held else UserError(f"no run to resume in {args.out} ({CHECKPOINT} missing)",
                                      "drop --resume to start one, or pass the folder of an earlier run as --out"))
    given = {name: getattr(args, name) for name in ("layers", "hidden", "mixtures", "hand_points")
             if getattr(args, name) is not None}
    if args.init:   # the architecture is the file's, checked before minutes of building numbers
        from ..synthesis.model import load_synthesis

        model_config = load_synthesis(args.init).config
        clashing = {name: value for name, value in given.items() if getattr(model_config, name) != value}
        if clashing:
            raise UserError(f"{args.init} is a {dataclasses.asdict(model_config)} network, the run asks for "
                            f"{clashing}", "leave the architecture options out with --init")
    else:
        try:
            model_config = SynthesisConfig(**{"hand_points": HAND_POINTS, **given})
        except ValueError as error:
            raise UserError(str(error), "pass --layers, --hidden and --mixtures of 1 or more, --hand-points of 0 "
                                        "or more") from None
    config = TrainConfig(model=model_config, batch_size=args.batch_size, lr=args.lr, max_steps=args.steps,
                         max_seconds=args.minutes * 60, seed=args.seed, init=args.init or "",
                         data=f"{args.source}: {args.numbers} numbers, seed {args.seed}"
                              + (f", joined {args.joined:g}" if args.joined else "")
                              + (f", {args.hands} hands" if model_config.hand_points else ""))
    config.validate()
    print(f"building {args.numbers:,} training and {args.valid_numbers:,} validation numbers ({args.source}) ...",
          file=sys.stderr)
    hands = model_config.hand_points
    samples = numbers_data(args.numbers, args.source, seed=args.seed, joined=args.joined, hand_points=hands,
                           hands=args.hands, data_dir=args.data_dir, cache_dir=args.cache_dir)
    validation = numbers_data(args.valid_numbers, args.source, validation=True, seed=args.seed + 1, joined=args.joined,
                              hand_points=hands, hands=args.hands, data_dir=args.data_dir, cache_dir=args.cache_dir)
    command = shlex.join(["mnist-handwriting", *sys.argv[1:]])
    _, metrics = train_synthesis(samples, config, args.out, validation=validation, resume=args.resume,
                                 device=args.device, command=command)
    print(f"wrote {Path(args.out) / MODEL_FILE}: validation NLL {metrics['validation_nll']:.3f} nats per point "
          f"({metrics['steps']} steps, {metrics['seconds']:.0f} s, stopped by {metrics['stopped_by']})")
