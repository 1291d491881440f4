"""``mnist-handwriting train-renderer``: train the note's learned line model and save it."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from .common import add_run_options, torch_device


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train-renderer", help="train the learned line model (the note's first renderer)",
        description="Train the note's LineModel on random segments drawn exactly on the fly, then write "
                    "learned-line.safetensors, learned-line.json (config, held-out metrics, command) and a PNG "
                    "comparing its lines with exact ones.")
    parser.add_argument("--images", type=int, default=1_600_000,
                        help="training images to generate (default: 1600000, the note's count)")
    parser.add_argument("--loss", choices=("mse", "bce"), default="mse",
                        help="training loss: mse (the note's, default) or bce (learns much sooner on few images)")
    parser.add_argument("--pen", choices=("binary", "soft"), default="binary",
                        help="pen values to train on: binary (the note's 0 and 1, default) or soft (also values in "
                             "between, ink scaled by 1 - pen: needed to train note-learned-line from scratch)")
    parser.add_argument("--pen-gate", action="store_true",
                        help="multiply the drawn line by 1 - pen, so lifted segments draw exactly nothing (not in "
                             "the note; without it, soft-pen training leaks ink from pen-up segments)")
    parser.add_argument("--max-minutes", type=float,
                        help="stop after this much training wall time; the JSON records the images seen")
    parser.add_argument("--batch-size", type=int, default=64, help="segments per step (default: 64)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default: 0.001)")
    parser.add_argument("--held-out", type=int, default=2000, metavar="N",
                        help="fixed held-out segments for the metrics (default: 2000)")
    parser.add_argument("--float32", action="store_true",
                        help="store float32 weights (default: float16, half the ~20 MB)")
    parser.add_argument("--rank", type=int,
                        help="store the 784x6272 dense weight as a rank-R factorisation (64 keeps the held-out "
                             "metrics and makes a ~1 MB file instead of ~10 MB; default: full)")
    parser.add_argument("--out", metavar="DIR", default=".", help="output folder (default: current folder)")
    parser.add_argument("--figure", metavar="PNG", help="comparison picture (default: OUT/learned-line.png)")
    add_run_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    import torch

    from ..errors import UserError
    from ..paths import atomic_write
    from ..render.learned_line import WEIGHTS_NAME, load_line_model
    from ..train.line_model import (comparison_segments, evaluate_line_model, held_out_segments, save_line_model,
                                    train_line_model)
    from ..viz.images import image_grid
    from ..safeweights import describe_machine

    if (min(args.images, args.batch_size, args.held_out) < 1 or args.lr <= 0
            or (args.max_minutes is not None and args.max_minutes <= 0)):
        raise UserError("--images, --batch-size and --held-out must be >= 1, --lr and --max-minutes > 0",
                        "pass positive values")
    if args.rank is not None and not 1 <= args.rank <= 784:
        raise UserError(f"--rank {args.rank} is out of range", "pass a rank between 1 and 784")
    device = torch_device(args.device)
    out = Path(args.out)
    if not out.is_dir():
        raise UserError(f"output folder {out} does not exist", "create it first or choose another --out")
    max_seconds = args.max_minutes * 60 if args.max_minutes is not None else None
    model, metrics = train_line_model(args.images, args.batch_size, args.lr, device, args.seed,
                                      max_seconds=max_seconds, held_out=args.held_out, loss=args.loss,
                                      pen=args.pen, pen_gate=args.pen_gate)
    dtype = torch.float32 if args.float32 else torch.float16
    weights = out / f"{WEIGHTS_NAME}.safetensors"
    config = {"images": args.images, "max_minutes": args.max_minutes, "loss": args.loss, "pen": args.pen, "pen_gate": args.pen_gate,
              "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed, "held_out": args.held_out,
              "device": str(device), "storage_dtype": str(dtype).removeprefix("torch."), "rank": args.rank}
    description = {"config": config, "command": shlex.join(["mnist-handwriting", *sys.argv[1:]]),
                   "machine": describe_machine(device)}
    save_line_model(model, weights, dtype, args.rank, metrics=metrics, **description)
    metrics["weights_bytes"] = weights.stat().st_size
    # Re-read what was written: checks the strict loader and measures the storage dtype's cost.
    stored = load_line_model(weights, device)
    metrics["held_out_as_stored"] = evaluate_line_model(stored, held_out_segments(args.held_out))
    save_line_model(model, weights, dtype, args.rank, metrics=metrics, **description)
    figure = Path(args.figure) if args.figure else out / f"{WEIGHTS_NAME}.png"
    with atomic_write(figure) as temp:
        image_grid(list(comparison_segments(model)), ["learned line", "exact"]).save(temp, format="PNG")
    held = metrics["held_out_as_stored"]
    print(f"wrote {weights} ({metrics['weights_bytes'] / 1e6:.1f} MB), {out / (WEIGHTS_NAME + '.json')}, {figure}")
    print(f"held-out: MSE {held['mse']:.5f}, IoU {held['iou_pen_down']:.3f}, peak ink at pen value 0.5 "
          f"{held['ink_at_half_pen']:.3f}, pen-up segments with ink >= 0.05 {held['pen_up_leak_share']:.1%} over "
          f"{held['segments']} segments")
