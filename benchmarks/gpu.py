"""The GPU check of issue 14 (part 3), one table: training steps, their schedules, conversion, peak memory.

    python benchmarks/gpu.py [--device cuda] [--quick] [--budget 240]      (benchmarks/gpu.sh runs it, then the CUDA tests)

For note-best, note-soft-line and human-best at batch 64 and 1024: milliseconds per training
iteration (a reconstruction step plus the configuration's interleaved human-sample or paired
step, as benchmarks/train_step.py), eagerly and then with the model compiled (``torch.compile``;
on CUDA ``mode="reduce-overhead"``, which replays the compiled step as CUDA graphs), the full
schedule that rate gives (epochs x 60,000 / batch iterations; pretraining steps, under 2%, not
counted), the compile time and the peak device memory. Then ``convert`` digits per second at
batch 8192 with the shipped default model. Synthetic digits, so no data files are needed.
``--quick`` (what the test suite runs on the CPU): batches 4 and 8 (paired steps too), one timed
step, only the first cell compiled and with the ``eager`` backend (graph capture without code
generation), 256 digits converted at 64.
Compilation stops being started once ``--budget`` seconds have passed (the table says so).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import describe_device, print_machine  # noqa: E402
from train_step import iteration, synthetic  # noqa: E402

from mnist_handwriting.convert import convert_images, load_converter  # noqa: E402
from mnist_handwriting.data.preprocess import prepare_inputs  # noqa: E402
from mnist_handwriting.formats import load_images_file  # noqa: E402
from mnist_handwriting.models import build_model  # noqa: E402
from mnist_handwriting.train.config import preset  # noqa: E402
from mnist_handwriting.train.data import HumanSamples  # noqa: E402
from mnist_handwriting.train.loop import Trainer  # noqa: E402
from mnist_handwriting.train.paired import PairedHuman  # noqa: E402

CONFIGS = ("note-best", "note-soft-line", "human-best")
TRAIN_DIGITS = 60_000
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "mnist-100.npz"


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_mib(device: torch.device) -> str:
    return f"{torch.cuda.max_memory_allocated(device) / 2 ** 20:,.0f}" if device.type == "cuda" else "-"


def best_ms(step, device: torch.device, warmup: int, repeats: int) -> tuple[float, float]:
    """(seconds of the first call, which compiles; best-of-``repeats`` milliseconds after ``warmup`` calls)."""
    sync(device)
    start = time.perf_counter()
    step()
    sync(device)
    first = time.perf_counter() - start
    for _ in range(warmup - 1):
        step()
    times = []
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        step()
        sync(device)
        times.append(time.perf_counter() - start)
    return first, 1000 * min(times)


def preset_iteration(name: str, batch: int, device: torch.device, compile_backend: str | None,
                     paired_batch: int | None = None):
    """One training iteration of preset ``name`` at ``batch`` on synthetic digits, as a callable
    (``paired_batch``: paired human digits per paired step instead of the configuration's)."""
    config = preset(name)
    torch.manual_seed(0)
    trainer = Trainer(config, build_model(config.model).to(device), device)
    if compile_backend:
        mode = "reduce-overhead" if device.type == "cuda" and compile_backend == "inductor" else None
        trainer.wrapped = torch.compile(trainer.model, backend=compile_backend, mode=mode, dynamic=False)
    images, labels, _ = synthetic(batch, config.model.points, device)
    human = HumanSamples(*synthetic(32, config.model.points, device)) if config.human.every else None
    paired = None
    if config.paired.batch:
        count = paired_batch or config.paired.batch
        paired_images, paired_labels, paired_targets = synthetic(count, config.model.points, device)
        paired = PairedHuman(paired_images, paired_labels, paired_targets, torch.ones_like(paired_labels))
    return iteration(trainer, images, labels, human, paired), config


def schedule(config, batch: int, ms: float) -> str:
    """The full schedule's time at ``ms`` per iteration: epochs x (60,000 // batch) iterations."""
    seconds = config.epochs * (TRAIN_DIGITS // batch) * ms / 1000
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.1f} s"


def convert_rate(device: torch.device, batch: int, batches: int) -> tuple[float, str]:
    """Digits per second of the default model converting ``batches`` batches of the tiled example digits."""
    images, labels = load_images_file(EXAMPLES)
    thinned = prepare_inputs(images, "auto")
    repeat = -(-batch * batches // len(thinned))
    images, labels = np.tile(thinned, (repeat, 1, 1))[:batch * batches], np.tile(labels, repeat)[:batch * batches]
    converter = load_converter(None, device)
    convert_images(converter, images[:batch], labels[:batch], batch, progress=False)   # warm-up
    reset_peak(device)
    sync(device)
    start = time.perf_counter()
    convert_images(converter, images, labels, batch, progress=False)
    sync(device)
    return len(images) / (time.perf_counter() - start), peak_mib(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true", help="tiny batches and steps (the suite's CPU smoke test)")
    parser.add_argument("--budget", type=float, default=240.0, help="seconds after which no new compilation starts")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("gpu.py: CUDA is not available here; use --device cpu --quick for the smoke test")
    started = time.perf_counter()
    batches = (4, 8) if args.quick else (64, 1024)
    warmup, repeats = (1, 1) if args.quick else (3, 10)
    backend = "eager" if args.quick else "inductor"
    logging.getLogger("torch._dynamo").setLevel(logging.ERROR)   # graph-break notes would split the table
    print_machine()
    print(f"device:  {describe_device(device)}; torch {torch.__version__}; compile backend {backend}")
    print(f"| {'config':14} | {'batch':>5} | {'mode':8} | {'ms/iter':>8} | {'schedule':>9} | {'compile':>8} | "
          f"{'peak MiB':>8} |")
    print(f"|{'-' * 16}|{'-' * 7}|{'-' * 10}|{'-' * 10}|{'-' * 11}|{'-' * 10}|{'-' * 10}|")
    for name in CONFIGS:
        for batch in batches:
            for mode in ("eager", "compiled"):
                if mode == "compiled" and args.quick and (name, batch) != (CONFIGS[0], batches[0]):
                    print(f"| {name:14} | {batch:5} | {mode:8} | skipped: --quick compiles the first cell only |")
                    continue
                if mode == "compiled" and time.perf_counter() - started > args.budget:
                    print(f"| {name:14} | {batch:5} | {mode:8} | skipped: past the {args.budget:.0f} s budget |")
                    continue
                reset_peak(device)
                try:
                    step, config = preset_iteration(name, batch, device, backend if mode == "compiled" else None,
                                                    batch if args.quick else None)
                    first, ms = best_ms(step, device, warmup, repeats)
                except Exception as error:   # one failed cell (e.g. a compiler missing) must not hide the others
                    message = str(error).strip().splitlines()[0][:90] if str(error).strip() else type(error).__name__
                    print(f"| {name:14} | {batch:5} | {mode:8} | failed: {type(error).__name__}: {message} |")
                    continue
                compile_s = f"{first:.1f} s" if mode == "compiled" else "-"
                print(f"| {name:14} | {batch:5} | {mode:8} | {ms:8.1f} | {schedule(config, batch, ms):>9} | "
                      f"{compile_s:>8} | {peak_mib(device):>8} |", flush=True)
    convert_batch, convert_batches = (64, 4) if args.quick else (8192, 16)
    rate, peak = convert_rate(device, convert_batch, convert_batches)
    print(f"| {'convert':14} | {convert_batch:5} | {'eager':8} | {rate:,.0f} digits/s ({convert_batch * convert_batches:,} "
          f"digits, default model) | peak {peak} MiB |")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
