"""``mnist-handwriting train``: train a handwriting model from a named configuration."""

from __future__ import annotations

import argparse
import shlex

from .common import add_data_options, add_run_options, locations, torch_device


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train a handwriting model (named configs of the founding note)",
        description="Train a handwriting model. Writes config.json, log.jsonl, checkpoint.safetensors, "
                    "model.safetensors (+ .json) and samples.png into --out. Under torchrun it trains with DDP.")
    parser.add_argument("--config", default="note-best", metavar="NAME", help="named configuration (default: note-best)")
    parser.add_argument("--list", action="store_true", help="print the named configurations and exit")
    parser.add_argument("--subset", type=int, metavar="N", help="train on the first N training digits")
    parser.add_argument("--max-steps", type=int, metavar="N", help="stop after N reconstruction steps")
    parser.add_argument("--epochs", type=int, metavar="N", help="passes over the training digits")
    parser.add_argument("--out", default="runs/train", metavar="DIR", help="output folder (default: runs/train)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="override a config value, e.g. lr=0.001, model.hidden=256 or paired.batch=128 (repeatable)")
    parser.add_argument("--config-file", metavar="FILE", help="TOML or JSON file of overrides (applied before --set)")
    parser.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its last checkpoint")
    parser.add_argument("--no-tensorboard", action="store_true", help="do not write TensorBoard logs")
    add_run_options(parser)
    add_data_options(parser)
    parser.set_defaults(func=run)


def reproducing_command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run (stored with the weights), rebuilt from ``args``."""
    words = ["mnist-handwriting", "train"] + ([] if args.resume else ["--config", args.config])  # resumes read DIR's
    for flag, value in (("--subset", args.subset), ("--max-steps", args.max_steps), ("--epochs", args.epochs),
                        ("--config-file", args.config_file), ("--resume", args.resume)):
        if value is not None:
            words += [flag, str(value)]
    for pair in args.overrides:
        words += ["--set", pair]
    words += ["--seed", str(args.seed), "--device", args.device]
    if not args.resume:
        words += ["--out", args.out]
    return shlex.join(words)


def run(args: argparse.Namespace) -> None:
    from ..train import config as configs
    from ..train.loop import train

    if args.list:
        for name, preset in configs.PRESETS.items():
            model, human, paired = preset.model, preset.human, preset.paired
            supervision = (f"32 human samples: {human.pretrain_steps} steps first, then 1 per {human.every}"
                           if human.every else "no human samples")
            if paired.batch:
                supervision = (f"pendigits writers 1-{24 - paired.holdout} paired (point {paired.point_weight}, "
                               f"soft-DTW {paired.dtw_weight}, pen {paired.pen_weight}), 1 per {paired.every}")
            start = f", from {preset.init_model}" if preset.init_model else ""
            rates = f"lr={preset.lr}" + (f" (human {human.lr}, own Adam)" if human.lr else "")
            start += f", {rates}, init={model.init}, feedback={model.feedback}" + ("" if preset.reshuffle else ", one shuffle")
            print(f"{name:18} {model.kind} {model.layers}x{model.hidden}, third={model.third_activation}, "
                  f"{model.rasteriser}/{model.compositing}, dropout={model.dropout}, "
                  f"aux={preset.aux.distance}/{preset.aux.angle}, {supervision}{start}")
        return
    config = configs.preset(args.config)
    if args.config_file:
        configs.apply_file(config, args.config_file)
    extra = [f"{key}={value}" for key, value in (("subset", args.subset), ("max_steps", args.max_steps),
                                                  ("epochs", args.epochs)) if value is not None]
    configs.apply_overrides(config, args.overrides + extra)
    command = reproducing_command(args)
    summary = train(config, args.resume or args.out, device=torch_device(args.device), seed=args.seed,
                    locations=locations(args), resume=bool(args.resume), command=command,
                    tensorboard=not args.no_tensorboard)
    print(" ".join(f"{key}={value}" for key, value in summary.items()))
