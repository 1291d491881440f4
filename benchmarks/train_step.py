"""Milliseconds per training step at batch 64 for every named config, and the ensemble routed vs masked.

A step is what the training loop does per reconstruction step: forward, rasterise, losses,
backward, Adam; configs with human samples add their interleaved 32-sample supervised step
(the note's iteration), human-best its step on 64 paired human digits. Synthetic thin
digits, so no data files are needed.

    OMP_NUM_THREADS=2 python benchmarks/train_step.py [--device cuda] [--repeats 10] [--compare-products]

``--compare-products`` also times every step with autograd's per-step weight gradients
(:func:`mnist_handwriting.models.deferred.per_step_products`) and prints the ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import describe_device, print_machine  # noqa: E402

from mnist_handwriting.errors import UserError  # noqa: E402
from mnist_handwriting.models import build_model  # noqa: E402
from mnist_handwriting.models.deferred import per_step_products  # noqa: E402
from mnist_handwriting.render.exact import draw_trajectory  # noqa: E402
from mnist_handwriting.train.config import PRESETS, preset  # noqa: E402
from mnist_handwriting.train.data import HumanSamples  # noqa: E402
from mnist_handwriting.train.loop import Trainer  # noqa: E402
from mnist_handwriting.train.paired import PairedHuman  # noqa: E402


def synthetic(count: int, points: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random 5-point polylines drawn 1 pixel thin: images (count, 28, 28), labels, targets (count, points, 3)."""
    rng = np.random.default_rng(0)
    corners = rng.uniform(0.15, 0.85, (count, 5, 3)).astype(np.float32)
    corners[..., 2] = 0
    corners[:, -1, 2] = 1
    images = np.stack([draw_trajectory(c) for c in corners])
    targets = np.repeat(corners, points // 5 + 1, axis=1)[:, :points]
    return (torch.from_numpy(images).to(device), torch.from_numpy(rng.integers(0, 10, count)).to(device),
            torch.from_numpy(targets).to(device))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def iteration(trainer: Trainer, images, labels, human: HumanSamples | None = None, paired: PairedHuman | None = None):
    """One training iteration as a callable: a reconstruction step, then the interleaved human or paired step."""
    def step():
        trainer.reconstruction_step(images, labels)
        if human is not None:
            trainer.human_step(human)
        if paired is not None:
            trainer.paired_step(paired)
    return step


def time_steps(trainer: Trainer, images, labels, repeats: int, human: HumanSamples | None = None,
               paired: PairedHuman | None = None) -> float:
    """Best-of-``repeats`` milliseconds of one reconstruction step, plus the interleaved human or paired step.

    The minimum, not the median: on a shared machine other processes only ever add time.
    """
    step = iteration(trainer, images, labels, human, paired)
    for _ in range(3):
        step()
    times = []
    for _ in range(repeats):
        sync(trainer.device)
        start = time.perf_counter()
        step()
        sync(trainer.device)
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--configs", nargs="*", default=list(PRESETS))
    parser.add_argument("--compare-products", action="store_true",
                        help="also time autograd's per-step weight gradients instead of the deferred ones")
    args = parser.parse_args()
    device = torch.device(args.device)
    print_machine()
    print(f"device:  {describe_device(device)} (best of {args.repeats} steps)")
    images, labels, _ = synthetic(64, 20, device)
    human_images, human_labels, human_targets = synthetic(32, 20, device)
    human = HumanSamples(human_images, human_labels, human_targets)
    paired_images, paired_labels, paired_targets = synthetic(64, 20, device)
    paired = PairedHuman(paired_images, paired_labels, paired_targets, torch.ones_like(paired_labels))
    for name in args.configs:
        config = preset(name)
        torch.manual_seed(0)
        try:
            trainer = Trainer(config, build_model(config.model).to(device), device)
        except UserError as error:
            print(f"{name:18} skipped: {error}")
            continue
        extras = (human if config.human.every else None, paired if config.paired.batch else None)
        ms = time_steps(trainer, images, labels, args.repeats, *extras)
        extra = (" (+ 32 human samples)" if config.human.every else "") + \
            (f" (+ {config.paired.batch} paired human digits)" if config.paired.batch else "")
        if args.compare_products:
            with per_step_products():
                plain = time_steps(trainer, images, labels, args.repeats, *extras)
            extra += f"; per-step weight gradients {plain:8.1f} ms ({plain / ms:.2f}x)"
        print(f"{name:18} {ms:8.1f} ms/step{extra}")
    config = preset("routed-ensemble")
    for mode in ("routed", "all-ten"):   # all-ten: every sample through all ten models, outputs masked
        torch.manual_seed(0)
        model = build_model(config.model).to(device)
        if mode == "all-ten":
            model.forward = model.masked_forward
        trainer = Trainer(config, model, device)
        print(f"ensemble {mode:9} {time_steps(trainer, images, labels, args.repeats):8.1f} ms/step")


if __name__ == "__main__":
    main()
