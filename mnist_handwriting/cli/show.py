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
                    "animates the drawing point by point. A proposals file (convert --proposals K) draws one row per "
                    "digit: its K drawing orders, most probable first, each with its probability.")
    parser.add_argument("input", metavar="IN.npz",
                        help="handwriting file (points (N, T, 3), labels (N,)) or proposals file (points (N, K, T, 3), "
                             "probabilities (N, K), labels (N,))")
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
    from ..formats import load_images_file, load_proposals_file, output_suffix
    from ..viz.animate import check_fps, drawing_frames, save_gif
    from ..viz.grid import pick, proposal_captions, trajectory_grid

    out = output_path(args.out)
    suffix = output_suffix(out, (".png", ".gif"))
    check_fps(args.fps)
    if args.count < 1:
        raise UserError(f"--count {args.count} is not positive", "draw at least one digit")
    points, probabilities, labels = load_proposals_file(args.input)
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
    proposals = points.shape[1]
    cells, columns, captions = points[chosen, 0], args.columns, None
    if proposals > 1:   # one row per digit: its proposals side by side
        cells, columns = points[chosen].reshape(-1, *points.shape[2:]), proposals
        captions = proposal_captions(labels[chosen], probabilities[chosen])
        images = None if images is None else images.repeat(proposals, axis=0)
    cell_labels = labels[chosen].repeat(proposals)
    if suffix == ".gif":
        save_gif(drawing_frames(cells, args.cell, cell_labels, columns, args.fps, captions), out, args.fps)
    else:
        grid = trajectory_grid(cells, cell_labels, images, columns, args.cell, captions=captions)
        with atomic_write(out) as temp:
            grid.save(temp, format="PNG", optimize=True)
    print(f"wrote {len(chosen)} digits" + (f" x {proposals} proposals" if proposals > 1 else "") + f" to {Path(out)}")
