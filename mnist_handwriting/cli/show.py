"""``mnist-handwriting show``: a PNG grid (or an animated GIF) of the digits of a handwriting file."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UserError
from ..paths import atomic_write, output_path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "show", help="draw a grid of trajectories as PNG (or animated GIF)",
        description="Draw digits of a handwriting file as a grid: strokes coloured by order (purple first, "
                    "yellow last), the start point ringed, pen-up jumps dashed grey. An --out ending in .gif "
                    "animates the drawing point by point.")
    parser.add_argument("input", metavar="IN.npz", help="handwriting file (points (N, T, 3), labels (N,))")
    parser.add_argument("--out", required=True, metavar="FILE", help="output .png (or .gif)")
    parser.add_argument("--count", type=int, default=100, help="number of digits to draw (default: 100)")
    parser.add_argument("--columns", type=int, default=10, help="digits per row (default: 10)")
    parser.add_argument("--cell", type=int, default=84, help="cell side in pixels (default: 84)")
    parser.add_argument("--images", metavar="IMAGES.npz",
                        help="images file with the same digits in the same order, drawn underneath in grey")
    parser.add_argument("--seed", type=int,
                        help="draw a random sample chosen with this seed (default: the first --count digits)")
    parser.add_argument("--fps", type=int, default=10, help="frames per second of a .gif (default: 10)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from ..formats import load_handwriting_file, load_images_file, output_suffix

    from ..viz.animate import check_fps, drawing_frames, save_gif
    from ..viz.grid import pick, trajectory_grid

    out = output_path(args.out)
    suffix = output_suffix(out, (".png", ".gif"))
    check_fps(args.fps)
    if args.count < 1:
        raise UserError(f"--count {args.count} is not positive", "draw at least one digit")
    points, labels = load_handwriting_file(args.input)
    if len(points) == 0:
        raise UserError(f"{args.input} holds no digits", "give a handwriting file with at least one digit")
    chosen = pick(len(points), args.count, args.seed)
    images = None
    if args.images:
        images, image_labels = load_images_file(args.images)
        if len(images) != len(points) or (image_labels != labels).any():
            raise UserError(f"{args.images} does not hold the same digits as {args.input} (count or labels differ)",
                            "give the images file the handwriting file was converted from")
        images = images[chosen]
    if suffix == ".gif":
        save_gif(drawing_frames(points[chosen], args.cell, labels[chosen], args.columns, args.fps), out, args.fps)
    else:
        grid = trajectory_grid(points[chosen], labels[chosen], images, args.columns, args.cell)
        with atomic_write(out) as temp:
            grid.save(temp, format="PNG", optimize=True)
    print(f"wrote {len(chosen)} digits to {Path(out)}")
