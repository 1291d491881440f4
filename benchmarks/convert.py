"""Convert throughput: the built-in thinned MNIST (70,000 digits) end to end, phase by phase.

    python benchmarks/convert.py [--model NAME | --method trace] [--dataset mnist-all] [--device cpu]
        [--batch-size 1024] [--repeat 3]

Prints the machine first, then seconds for load (from the cache), conversion and
writing the handwriting file, the digits per second of each, the peak resident memory,
and the model's forward pass alone (best of --repeat).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import describe_device, print_machine  # noqa: E402

from mnist_handwriting.convert import convert_images, load_converter  # noqa: E402
from mnist_handwriting.data.datasets import dataset_images  # noqa: E402
from mnist_handwriting.formats import save_handwriting_file  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model name or path (default: the shipped default)")
    parser.add_argument("--method", choices=("model", "trace"), default="model")
    parser.add_argument("--dataset", default="mnist-all")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    device = torch.device(args.device)
    print_machine()
    print(f"device:  {describe_device(device)}")

    started = time.perf_counter()
    images, labels = dataset_images(args.dataset)
    loaded = time.perf_counter()
    converter = load_converter("trace" if args.method == "trace" else args.model, device)
    ready = time.perf_counter()
    points = convert_images(converter, images, labels, args.batch_size, progress=False)
    converted = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        save_handwriting_file(Path(folder) / "out.npz", points, labels)
    written = time.perf_counter()
    count = len(images)
    print(f"converter: {converter.name}, {count} digits, batch {args.batch_size}")
    print(f"load data     {loaded - started:7.2f} s")
    print(f"load model    {ready - loaded:7.2f} s")
    print(f"convert       {converted - ready:7.2f} s  ({count / (converted - ready):,.0f} digits/s)")
    print(f"write         {written - converted:7.2f} s")
    print(f"end to end    {written - started:7.2f} s  ({count / (written - started):,.0f} digits/s)")
    print(f"peak memory   {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:7.0f} MiB (resident, whole process)")

    if args.method == "model":
        model = converter.model
        batch = torch.from_numpy(images[: args.batch_size]).to(device, torch.float32) / 255
        classes = torch.from_numpy(np.asarray(labels[: args.batch_size])).to(device)
        times = []
        for _ in range(args.repeat):
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            with torch.inference_mode():
                model(batch, classes)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            times.append(time.perf_counter() - start)
        print(f"forward only  {len(batch) / min(times):,.0f} digits/s (best of {args.repeat}, batch {len(batch)})")


if __name__ == "__main__":
    main()
