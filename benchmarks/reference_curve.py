"""Our training loss next to the note's reference implementation's, iteration by iteration.

The reference log (``../shared/reference/reference-training-log.jsonl``, see its README) has
one line per iteration: the MNIST loss (image MSE + 0.01 x segment length + 0.01 x angle) of
its 64-digit step. Our runs log, every ``log_every`` steps, the mean of each loss term over
those steps; this prints both, averaged over the same windows of iterations, for every run
given (each run's loss is recomputed with its own auxiliary weights, so runs without the
auxiliary losses compare their image MSE plus what those terms would add).

    python benchmarks/reference_curve.py runs/A runs/B [--at 100 460 937 1874 4685]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

REFERENCE = Path("reference") / "reference-training-log.jsonl"
AT = (20, 100, 200, 460, 937, 1874, 2811, 3748, 4685)


def reference_losses(shared: Path) -> list[float]:
    """The reference's MNIST loss of each iteration, in order."""
    with open(shared / REFERENCE) as lines:
        return [json.loads(line)["loss"] for line in lines]


def run_losses(run: Path) -> dict[int, float]:
    """Step -> our mean training loss (recon + 0.01 distance + 0.01 angle, the reference's sum) over the logged window."""
    windows = {}
    with open(run / "log.jsonl") as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("phase") == "train":
                windows[record["step"]] = record["recon"] + 0.01 * record.get("distance", 0.0) \
                    + 0.01 * record.get("angle", 0.0)
    return windows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="training run folders (with log.jsonl)")
    parser.add_argument("--at", nargs="+", type=int, default=list(AT), help="iterations to print")
    parser.add_argument("--window", type=int, default=20, help="iterations averaged (our log_every)")
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("MNIST_HANDWRITING_SHARED", "../shared")))
    args = parser.parse_args()
    reference = reference_losses(args.shared)
    runs = {run.name: run_losses(run) for run in args.runs}
    print("| iteration | reference | " + " | ".join(runs) + " |")
    print("| ---: | ---: |" + " ---: |" * len(runs))
    for step in args.at:
        window = reference[max(0, step - args.window):step]
        cells = []
        for losses in runs.values():   # the last logged window ending at or just before ``step``
            logged = max((s for s in losses if step - args.window < s <= step), default=None)
            cells.append(f"{losses[logged]:.4f}" if logged else "")
        print(f"| {step} | {sum(window) / len(window):.4f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
