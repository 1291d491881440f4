"""Export speed and size of every format for a handwriting file of N digits.

    python benchmarks/export.py [--digits 70000] [--points 20] [--formats npz stroke3 ...]

Uses random trajectories (two strokes per digit) so no model or data is needed; prints
the machine first, then per format the seconds to write, to read back, and the size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_machine  # noqa: E402

from mnist_handwriting.export import FORMAT_NAMES, export, read_export  # noqa: E402


def random_handwriting(count: int, points: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random digits of ``points`` points, pen lifted in the middle and at the end."""
    rng = np.random.default_rng(0)
    data = rng.uniform(0.1, 0.9, (count, points, 3)).astype(np.float32)
    data[..., 2] = 0
    data[:, points // 2, 2] = 1
    data[:, -1, 2] = 1
    return data, rng.integers(0, 10, count)


def size_of(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--digits", type=int, default=70000)
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--formats", nargs="+", default=list(FORMAT_NAMES), choices=FORMAT_NAMES)
    args = parser.parse_args()
    print_machine()
    points, labels = random_handwriting(args.digits, args.points)
    print(f"{args.digits} digits x {args.points} points")
    print(f"{'format':8} {'write s':>8} {'read s':>8} {'size MB':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.formats:
            out = Path(folder) / name
            start = time.perf_counter()
            written = export(points, labels, name, out, progress=False)
            wrote = time.perf_counter()
            read_export(written, name)
            read = time.perf_counter()
            print(f"{name:8} {wrote - start:8.1f} {read - wrote:8.1f} {size_of(written) / 1e6:8.1f}")


if __name__ == "__main__":
    main()
