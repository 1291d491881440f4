"""``mnist-handwriting draw``: image files of a digit to strokes, with a GIF of them being drawn."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..export.outputs import OUTPUT_SUFFIXES
from ..paths import output_path
from .common import add_model_options, converter_spec, torch_device, trace_points


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "draw", help="turn image files of digits into strokes",
        description="Turn image files of digits (PNG, JPEG, ...; any size; dark on light or light on dark) into pen "
                    "strokes. Each image is prepared the MNIST way (cropped, scaled into 20x20, centred, thinned). "
                    "Without --label the shipped classifier predicts the label.")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image file(s) of one digit each")
    parser.add_argument("--label", type=int, action="append", metavar="DIGIT",
                        help="the digit drawn: once for all images, or once per image (default: predicted)")
    parser.add_argument("--out", metavar="PATH",
                        help=f"output, by suffix: {', '.join(OUTPUT_SUFFIXES)} (default: IMAGE.svg for one image, "
                             "strokes.json for several)")
    parser.add_argument("--gif", metavar="PATH",
                        help="also write an animation of the drawing (default: next to --out, with .gif)")
    parser.add_argument("--fps", type=int, default=10, help="animation frames per second (default: 10)")
    parser.add_argument("--proposals", type=int, metavar="K",
                        help="with a proposals model (e.g. --model human-proposals): draw its K most probable drawing "
                             "orders side by side, each with its probability")
    add_model_options(parser)
    parser.set_defaults(func=run, parameter_flags={"labels": "--label"})


def run(args: argparse.Namespace) -> None:
    from ..convert import ProposalConverter, convert_images, load_converter
    from ..draw import choose_labels, read_digit_images, save_drawing
    from ..viz.animate import check_fps

    device = torch_device(args.device)
    first = Path(args.images[0])
    out = output_path(args.out or (f"{first.stem}.svg" if len(args.images) == 1 else "strokes.json"))
    gif = output_path(args.gif, "gif") if args.gif else (None if out.suffix.lower() == ".gif" else out.with_suffix(".gif"))
    if gif is not None or out.suffix.lower() == ".gif":
        check_fps(args.fps)   # before anything is written
    images = read_digit_images(args.images)
    labels = choose_labels(images, args.label, device)
    converter = load_converter(converter_spec(args), device, trace_points(args))
    probabilities = None
    if args.proposals is not None:
        converter = ProposalConverter.of(converter, args.proposals)
        points, probabilities = convert_images(converter, images, labels.values, progress=False)
    else:
        points = convert_images(converter, images, labels.values, progress=False)
    save_drawing(out, points, labels, args.images, args.fps, probabilities)
    if gif is not None:
        save_drawing(gif, points, labels, args.images, args.fps, probabilities)
    for n, (source, label, confidence) in enumerate(zip(args.images, labels.values, labels.confidence)):
        how = f"predicted by the shipped classifier, confidence {confidence:.0%}" if labels.predicted else "given"
        print(f"{source}: digit {label} ({how})")
        if probabilities is not None:
            print(f"  its {converter.proposals} drawing orders: " + ", ".join(f"{p:.0%}" for p in probabilities[n]))
    print(f"wrote {out}" + (f" and {gif}" if gif else "") + f" ({converter.count} points per digit, {converter.name})")
