"""Convert throughput (issue 14): the whole command from process start, today's path against the new one.

    python benchmarks/convert.py [--model NAME] [--dataset mnist-all] [--batch-size 1024] [--memory-repeat 10]
        [--today-tree DIR] [--skip-memory] [--skip-bf16] [--bf16-digits 4096]

In this one process, on this machine, side by side:

1. the fp32 matrix-product rate of ``torch.mm`` on 2048x2048 matrices (all cores);
2. ``today``: a fresh Python process converts the dataset the way the code did before issue 14
   (one process, torch's own threads, every segment rendered to decide its pen lift) and writes
   the handwriting file; with ``--today-tree DIR`` (e.g. ``git archive 85bfa9c | tar -x -C DIR``)
   it is that tree's own ``mnist-handwriting convert``; ``new``: a fresh process runs ``mnist-handwriting convert`` (peak bounds,
   one worker per core, streamed to the file). Seconds from process start to exit, digits/s, the
   ratio, whether the points agree, and the new path's share of the matrix-product rate by the
   model's matrix-product FLOPs per digit (counted from its weight shapes);
3. peak resident memory of the new path converting the dataset once and ``--memory-repeat`` times;
4. bf16 autocast of the forward pass against fp32: speed, largest point difference, pen flags.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_machine  # noqa: E402

CLI = "from mnist_handwriting.cli import main; main()"
BF16_TOLERANCE_PX = 0.05
"""Issue 14: bf16 is kept only if every point moves less than this (pixels) and the pen flags are equal."""


def mm_rate(size: int = 2048, repeat: int = 5) -> float:
    """Best-of-``repeat`` GFLOP/s of an fp32 ``size`` x ``size`` matrix product with torch's threads."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    best = min(timed(lambda: torch.mm(a, b)) for _ in range(repeat))
    return 2 * size ** 3 / best / 1e9


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def matmul_flops(model) -> int:
    """Matrix-product FLOPs per digit from the weight shapes: the image projection once, every step's kernels
    and the output projection ``points`` times (a routed ensemble counts one class; elementwise work is not counted)."""
    def rows_by_cols(weight):
        return weight.shape[-2] * weight.shape[-1]
    static = model.static.weight.T if isinstance(model.static, torch.nn.Linear) else model.static
    per_step = sum(rows_by_cols(weight) for weight in model.step) + rows_by_cols(model.projection)
    return 2 * (rows_by_cols(static) + model.config.points * per_step)


def run_today(args) -> None:
    """Child: the conversion as it was before issue 14, the dataset into ``args.out``."""
    from mnist_handwriting.convert import convert_images, load_converter
    from mnist_handwriting.data.datasets import dataset_images
    from mnist_handwriting.formats import save_handwriting_file
    from mnist_handwriting.render import Rasteriser, SoftLineRasteriser

    SoftLineRasteriser.drawn = Rasteriser.drawn   # every segment rendered, its peak compared
    images, labels = dataset_images(args.dataset)
    converter = load_converter(args.model)
    save_handwriting_file(args.out, convert_images(converter, images, labels, args.batch_size, progress=False), labels)


class Repeated:
    """``times`` copies of ``array`` end to end, sliced on demand (only the slice is ever copied)."""

    def __init__(self, array: np.ndarray, times: int):
        self.array, self.times = array, times

    def __len__(self) -> int:
        return len(self.array) * self.times

    def __getitem__(self, part: slice) -> np.ndarray:
        return self.array[np.arange(*part.indices(len(self))) % len(self.array)]


def run_stream(args) -> None:
    """Child: the new path over the dataset repeated ``args.memory_repeat`` times, then its peak memory."""
    from mnist_handwriting.convert import convert_to_file, default_workers, load_converter
    from mnist_handwriting.data.datasets import dataset_images

    images, labels = dataset_images(args.dataset)
    converter = load_converter(args.model)
    count = convert_to_file(converter, Repeated(images, args.memory_repeat), Repeated(labels, args.memory_repeat)[:],
                            args.out, args.batch_size, progress=False, workers=default_workers())
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{count} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {children:.0f}")


def child(mode: str, args, out: Path, *extra: str) -> tuple[float, str]:
    """Run one path in a fresh Python process: (seconds from start to exit, its stdout)."""
    env = dict(os.environ)
    if mode == "new" or (mode == "today" and args.today_tree):
        command = [sys.executable, "-c", CLI, "convert", "--dataset", args.dataset, "--out", str(out),
                   "--batch-size", str(args.batch_size)] + (["--model", args.model] if args.model else [])
        if mode == "today":
            env["PYTHONPATH"] = str(Path(args.today_tree).resolve())
    else:
        command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--out", str(out), "--dataset", args.dataset,
                   "--batch-size", str(args.batch_size), *extra] + (["--model", args.model] if args.model else [])
    start = time.perf_counter()
    # Run from the output's folder: with `-c`, the current folder comes first on sys.path and would
    # shadow a --today-tree on PYTHONPATH with this checkout's package.
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=out.parent)
    seconds = time.perf_counter() - start
    if result.returncode:
        sys.exit(f"{mode} failed: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode}")
    return seconds, result.stdout


def compare_bf16(model, images: np.ndarray, labels: np.ndarray, batch_size: int) -> None:
    """Forward passes and pen lifts in fp32 and under CPU bf16 autocast, on the same digits."""
    pixels, classes = torch.from_numpy(images).float() / 255, torch.from_numpy(labels)
    results = {}
    for name, dtype in (("fp32", None), ("bf16", torch.bfloat16)):
        def draw():
            with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
                results[name] = torch.cat([model.draw(p, c) for p, c in zip(pixels.split(batch_size),
                                                                          classes.split(batch_size))])
        seconds = timed(draw)
        print(f"  {name}: {len(images) / seconds:10,.0f} digits/s (forward + pen lifts, {len(images)} digits)")
    moved = float((results["bf16"][..., :2] - results["fp32"][..., :2]).abs().max()) * 28
    same = bool(torch.equal(results["bf16"][..., 2], results["fp32"][..., 2]))
    kept = moved < BF16_TOLERANCE_PX and same
    print(f"  bf16 moves points by up to {moved:.3f} px; pen flags {'equal' if same else 'differ'}; "
          f"{'kept' if kept else 'not kept'} (needs < {BF16_TOLERANCE_PX} px and equal flags)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model name or path (default: the shipped default)")
    parser.add_argument("--dataset", default="mnist-all")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--memory-repeat", type=int, default=10)
    parser.add_argument("--today-tree", help="a checkout of the code before issue 14, run as today's path")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-bf16", action="store_true")
    parser.add_argument("--bf16-digits", type=int, default=4096, help="digits of the bf16 comparison")
    parser.add_argument("--child", choices=("today", "stream"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_today(args) if args.child == "today" else run_stream(args)

    from mnist_handwriting.data.datasets import dataset_images
    from mnist_handwriting.formats import load_handwriting_file
    from mnist_handwriting.models.registry import DEFAULT_MODEL, load_model

    print_machine()
    print(f"load:    {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min averages, before the runs)")
    rate = mm_rate()
    print(f"torch.mm 2048x2048 fp32: {rate:,.1f} GFLOP/s ({torch.get_num_threads()} threads)")
    images, labels = dataset_images(args.dataset)   # decoded into the cache once, so both paths read the cache
    model = load_model(args.model or DEFAULT_MODEL)
    flops = matmul_flops(model)
    with tempfile.TemporaryDirectory() as folder:
        outputs = {mode: Path(folder) / f"{mode}.npz" for mode in ("today", "new")}
        seconds = {mode: child(mode, args, outputs[mode])[0] for mode in ("today", "new")}
        points = {mode: load_handwriting_file(path)[0] for mode, path in outputs.items()}
        count = len(images)
        print(f"whole command, {count} digits of {args.dataset}, {args.model or DEFAULT_MODEL}, batch {args.batch_size}:")
        for mode in ("today", "new"):
            achieved = count * flops / seconds[mode] / 1e9
            print(f"  {mode:5} {seconds[mode]:7.2f} s  {count / seconds[mode]:9,.0f} digits/s  "
                  f"{achieved:6.1f} GFLOP/s = {achieved / rate:5.1%} of torch.mm")
        print(f"  new / today: {seconds['today'] / seconds['new']:.2f}x  ({flops / 1e6:.2f} MFLOP per digit)")
        moved = np.abs(points["new"][..., :2] - points["today"][..., :2]).max() * 28
        flags = int((points["new"][..., 2] != points["today"][..., 2]).sum())
        print(f"  points: largest difference {moved:.2e} px, pen flags differing: {flags}")
        if not args.skip_memory:
            print("peak resident memory of the new path (streamed to the file):")
            for times in (1, args.memory_repeat):
                took, out = child("stream", args, Path(folder) / "stream.npz", "--memory-repeat", str(times))
                digits, own, workers = out.split()
                print(f"  {int(digits):9,} digits: {own:>6} MiB main process, {workers:>6} MiB largest worker "
                      f"({int(digits) / took:,.0f} digits/s)")
    if not args.skip_bf16:
        print("bf16 autocast on the CPU (this process, torch's threads):")
        compare_bf16(model, images[:args.bf16_digits], labels[:args.bf16_digits], args.batch_size)


if __name__ == "__main__":
    main()
