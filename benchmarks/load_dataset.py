"""Loading the shipped handwritten-MNIST split into memory (target: under 1 s for train).

    python benchmarks/load_dataset.py [--split train] [--repeat 5]

Prints the machine and its load average, then the seconds of ``mnist_handwriting.datasets.load``
(checksum, decompression, dequantisation: NumPy arrays) and of ``HandwrittenMNIST`` (the same plus
the torch tensors), first call and median of ``--repeat``; the import of the package is not counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_machine  # noqa: E402

from mnist_handwriting.datasets import HandwrittenMNIST, load  # noqa: E402


def timed(function, repeat: int) -> tuple[float, float]:
    """Seconds of the first call of ``function`` and the median of ``repeat`` more."""
    times = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="train")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print_machine()
    print("load average: " + " ".join(f"{value:.2f}" for value in os.getloadavg()))
    for name, function in (("load (NumPy)", lambda: load(args.split)),
                           ("HandwrittenMNIST", lambda: HandwrittenMNIST(args.split, representation="stroke5"))):
        first, median = timed(function, args.repeat)
        print(f"{name:18s} {args.split}: first {first:.3f} s, median of {args.repeat} {median:.3f} s")
    print(f"{len(load(args.split).labels):,} digits")


if __name__ == "__main__":
    main()
