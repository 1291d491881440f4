"""``mnist-handwriting eval``: reconstruction, human-likeness, legibility and speed of a converter."""

from __future__ import annotations

import argparse
import json

from ..errors import UserError
from ..paths import atomic_write, output_path
from .common import (add_batch_option, add_data_options, add_model_options, converter_spec, locations, torch_device,
                     trace_points)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval", help="measure a model (or the tracer) and print the results table",
        description="Evaluate a converter on the thinned MNIST test digits (reconstruction, legibility, speed), the "
                    "pendigits development writers 25-30 and the 32 human samples (human-likeness); print the "
                    "overall and per-class markdown tables.")
    parser.add_argument("--all", action="store_true",
                        help="evaluate `trace` and every shipped model; one row each")
    parser.add_argument("--subset", type=int, metavar="N",
                        help="only the first N test digits and N pendigits development digits (default: all)")
    add_batch_option(parser)
    parser.add_argument("--classifier", metavar="PATH",
                        help="legibility classifier .safetensors (default: the shipped one)")
    parser.add_argument("--dev-pen-width", type=float, metavar="PX",
                        help="measure human-likeness on thick renders (PX pixels wide, e.g. 2.5) of the development "
                             "writers, thinned by our own preprocessing, instead of their thin renders")
    parser.add_argument("--per-writer", action="store_true",
                        help="also print the human-likeness of each development writer and their direction "
                             "agreement per digit")
    parser.add_argument("--out", metavar="REPORT.json", help="also write the full report (overall and per class)")
    parser.add_argument("--table", metavar="TABLE.md", help="also write the overall markdown table")
    add_model_options(parser)
    add_data_options(parser)
    parser.set_defaults(func=run)


def _specs(args: argparse.Namespace) -> list[str | None]:
    if not args.all:
        return [converter_spec(args)]
    if args.model or args.method == "trace":
        raise UserError("--all was given with --model or --method", "drop --model/--method, or drop --all")
    from ..models.registry import shipped_models

    return ["trace", *shipped_models()]


def run(args: argparse.Namespace) -> None:
    from ..convert import load_converter
    from ..eval.report import direction_table, evaluate, markdown_table
    from ..models.classifier import load_classifier

    if args.subset is not None and args.subset < 1:
        raise UserError(f"--subset {args.subset} is not positive", "pass --subset 1 or more, or leave it out")
    if args.dev_pen_width is not None and not 0 < args.dev_pen_width <= 8:
        raise UserError(f"--dev-pen-width {args.dev_pen_width} is outside (0, 8] pixels", "use e.g. 2.5")
    if args.batch_size < 1:
        raise UserError(f"--batch-size {args.batch_size} is not positive", "pass --batch-size 1 or more")
    outputs = [output_path(path, name) for name, path in (("out", args.out), ("table", args.table)) if path]
    device = torch_device(args.device)
    classifier = load_classifier(device, args.classifier)
    reports = {}
    for spec in _specs(args):
        converter = load_converter(spec, device, trace_points(args))
        reports[converter.name] = evaluate(converter, locations=locations(args),
                                           subset=args.subset, batch_size=args.batch_size, classifier=classifier,
                                           dev_pen_width=args.dev_pen_width)
    table = markdown_table({name: report["overall"] for name, report in reports.items()})
    print(table, end="")
    if not args.all:
        report = next(iter(reports.values()))
        print(f"\nper class ({report['name']}):\n")
        print(markdown_table(report["per_class"], first="digit"), end="")
    for name, report in reports.items() if args.per_writer else ():
        print(f"\nper development writer ({name}):\n")
        print(markdown_table(report["per_writer"], first="writer"), end="")
        print(f"\ndirection agreement by writer and digit ({name}):\n")
        print(direction_table(report["direction_by_writer"]), end="")
    if args.out:
        with atomic_write(outputs[0]) as temp:
            temp.write_text(json.dumps(reports if args.all else next(iter(reports.values())), indent=2) + "\n")
    if args.table:
        with atomic_write(outputs[-1]) as temp:
            temp.write_text(table)
