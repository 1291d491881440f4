"""Store a trained handwriting model in another storage type, measuring what the change does.

    python scripts/store_weights.py runs/note-repository/model.safetensors \
        mnist_handwriting/weights/note-best.safetensors --dtype int8

reads IN (any storage), writes OUT with ``--dtype`` storage (``mnist_handwriting.safeweights``:
int8 keeps every matrix as int8 with a float32 scale per row) and the same description, with
the test MSE re-measured on the weights as stored (the 10,000 thinned test digits, the
model's own rasteriser). Then it converts the test digits with both and prints how far the
points moved (px) and how many pen flags changed, so a storage that changes what the model
draws is seen before it ships; ``metrics.storage`` records all of it, IN and IN's command.
Bad input: one line, exit 2.
"""

from __future__ import annotations

import argparse
import copy
import sys

import numpy as np
import torch

from mnist_handwriting.convert import ModelConverter, convert_images
from mnist_handwriting.data.datasets import load
from mnist_handwriting.errors import UserError
from mnist_handwriting.models.registry import load_description, load_model, save_model
from mnist_handwriting.safeweights import as_stored
from mnist_handwriting.train.config import SAVE_DTYPES, TrainConfig
from mnist_handwriting.train.data import Digits
from mnist_handwriting.train.loop import Trainer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="the trained model's .safetensors")
    parser.add_argument("out", help="where to write the re-stored model")
    parser.add_argument("--dtype", choices=SAVE_DTYPES, required=True, help="storage of OUT")
    parser.add_argument("--digits", type=int, default=10000, help="test digits to measure on (default: all)")
    args = parser.parse_args(argv)
    try:
        original = load_model(args.source)
        info = load_description(args.source)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    dtype = getattr(torch, args.dtype)
    stored = copy.deepcopy(original)
    with torch.no_grad():
        for parameter in stored.parameters():
            parameter.copy_(as_stored(parameter, dtype))

    test = load("mnist-test")
    test = test.subset(slice(0, args.digits))
    digits = Digits.from_set(test, "cpu")
    source_mse = Trainer(TrainConfig(model=original.config), original, torch.device("cpu")).evaluate(digits)
    trainer = Trainer(TrainConfig(model=stored.config), stored, torch.device("cpu"))
    test_mse = trainer.evaluate(digits)
    original.eval()
    stored.eval()
    before = convert_images(ModelConverter(original, torch.device("cpu"), "source"), test.images, test.labels)
    after = convert_images(ModelConverter(stored, torch.device("cpu"), "stored"), test.images, test.labels)
    moved = np.linalg.norm(after[..., :2] - before[..., :2], axis=-1)
    storage = {"dtype": args.dtype, "from": str(args.source), "source_command": info.get("command", ""),
               "source_test_mse": source_mse, "points_moved_mean_px": float(moved.mean()),
               "points_moved_p99_px": float(np.percentile(moved, 99)), "points_moved_max_px": float(moved.max()),
               "pen_flags_changed": int((after[..., 2] != before[..., 2]).sum()), "pen_flags": int(after[..., 2].size)}
    metrics = dict(info["metrics"], test_mse=test_mse, test_digits=len(test), storage=storage)
    save_model(stored, args.out, metrics=metrics, command=" ".join(["python"] + sys.argv), dtype=dtype,
               train=info.get("train"), machine=info.get("machine"))
    print(f"{args.out}: {args.dtype}, test MSE {source_mse:.6f} -> {test_mse:.6f} on {len(test)} test digits")
    print(f"points moved: mean {storage['points_moved_mean_px']:.4f} px, 99th percentile "
          f"{storage['points_moved_p99_px']:.4f} px, max {storage['points_moved_max_px']:.4f} px; "
          f"pen flags changed: {storage['pen_flags_changed']} of {storage['pen_flags']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
