"""``mnist-handwriting experiment``: the founding note's probes of a trained model."""

from __future__ import annotations

import argparse

from ..errors import UserError
from ..paths import output_path
from .common import add_model_options, converter_spec, torch_device, trace_points

EXPERIMENTS = ("constant-input",)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "experiment", help="the note's experiments (constant-input)",
        description="constant-input: draw every label from an all-black image (top row) and an all-white image "
                    "(bottom row), showing the model's average digits. Writes a PNG grid or an animated GIF.")
    parser.add_argument("name", choices=EXPERIMENTS, help="experiment to run")
    parser.add_argument("--out", required=True, metavar="OUT.png|OUT.gif", help="picture to write")
    parser.add_argument("--fps", type=int, default=10, help="GIF frames per second (default: 10)")
    add_model_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from ..convert import load_converter
    from ..experiments import constant_input

    from ..viz.animate import drawing_frames, save_gif
    from ..viz.grid import trajectory_grid

    out = output_path(args.out)
    if out.suffix.lower() not in (".png", ".gif"):
        raise UserError(f"output {out} is neither .png nor .gif", "name it OUT.png or OUT.gif")
    converter = load_converter(converter_spec(args), torch_device(args.device), trace_points(args))
    points, labels = constant_input(converter)
    if out.suffix.lower() == ".gif":
        save_gif(drawing_frames(points, labels=labels, columns=10, fps=args.fps), out, args.fps)
    else:
        from ..paths import atomic_write

        with atomic_write(out) as temp:
            trajectory_grid(points, labels, columns=10).save(temp, format="PNG")
    print(f"wrote {out}: top row from all-black images, bottom row from all-white images ({converter.name})")
