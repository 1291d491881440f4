"""Throughput of each rasteriser: segments per second, forward and forward + backward.

    OMP_NUM_THREADS=1 python benchmarks/rasterise.py [--batch 64 1024] [--device cpu cuda]

Prints the machine, torch version and device first. Memory: on CUDA the peak allocated
during forward + backward; on CPU the bytes autograd saves for backward (the memory a
training step keeps alive), measured with saved-tensor hooks.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import describe_device, print_machine  # noqa: E402

from mnist_handwriting.errors import UserError  # noqa: E402
from mnist_handwriting.render import RASTERISERS, make_rasteriser  # noqa: E402

THIRD_COLUMN = {"soft-line": 20.0 * 28, "learned-line": 0.0, "distance-field": 0.0}
"""A drawing value of each rasteriser's third column (softness, pen-up, pen-up)."""


def timed(step, device: torch.device, repeats: int) -> float:
    """Median seconds of ``step()`` over ``repeats`` runs after one warm-up."""
    step()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def saved_bytes(step) -> int:
    """Bytes of the tensors autograd saves for backward during ``step()``."""
    total = 0

    def pack(tensor):
        nonlocal total
        total += tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        step()
    return total


def bench(name: str, batch: int, segments: int, device: torch.device, repeats: int) -> str:
    rasteriser = make_rasteriser(name).to(device)
    points = torch.rand(batch, segments + 1, 3, device=device)
    points[..., 2] = THIRD_COLUMN[name]
    leaf = points.clone().requires_grad_()

    def forward():
        with torch.no_grad():
            rasteriser(points)

    def forward_backward():
        rasteriser(leaf).square().mean().backward()

    count = batch * segments
    fwd = count / timed(forward, device, repeats)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    both = count / timed(forward_backward, device, repeats)
    if device.type == "cuda":
        memory = f"peak {torch.cuda.max_memory_allocated(device) / 2 ** 20:8.1f} MiB"
    else:
        memory = f"saved {saved_bytes(lambda: rasteriser(leaf).sum()) / 2 ** 20:8.1f} MiB"
    return f"{name:15s} {batch:6d} x {segments:3d}  {fwd:12,.0f} {both:14,.0f}   {memory}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[64], help="digits per batch (default: 64)")
    parser.add_argument("--segments", type=int, default=19, help="segments per digit (default: 19)")
    parser.add_argument("--device", nargs="+", default=["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print_machine()
    for device_name in args.device:
        device = torch.device(device_name)
        print(f"\ndevice: {describe_device(device)}")
        print(f"{'rasteriser':15s} {'batch x segs':>14s}  {'fwd seg/s':>12s} {'fwd+bwd seg/s':>14s}   memory")
        for name in RASTERISERS:
            for batch in args.batch:
                try:
                    print(bench(name, batch, args.segments, device, args.repeats), flush=True)
                except UserError as error:   # e.g. no shipped learned-line weights
                    print(f"{name:15s} skipped: {error}")


if __name__ == "__main__":
    main()
