"""Handwritten MNIST, shipped with the package: all 70,000 MNIST digits as pen trajectories.

Not to be confused with :mod:`mnist_handwriting.data.datasets` (the *input* data sets).

- NumPy: ``load(split)`` -> ``Split(points, labels, mnist_index, images)`` (:mod:`.shipped`).
- PyTorch: ``HandwrittenMNIST(split, representation, ...)`` (:mod:`.handwritten`) and
  ``collate``, sketch-rnn's padded batches (:mod:`.padding`).
- Rebuilding the shipped file, every export and the card: :mod:`.build`
  (``mnist-handwriting dataset build``).

Only NumPy loads with this package; torch loads on first use of the PyTorch names.
"""

from __future__ import annotations

import importlib

from .shipped import Split, load

LAZY = {"HandwrittenMNIST": "handwritten", "REPRESENTATIONS": "handwritten", "collate": "padding", "Batch": "padding"}
"""Public names whose module imports torch, loaded when first asked for (PEP 562)."""

__all__ = ["Split", "load", *LAZY]


def __getattr__(name: str):
    if name in LAZY:
        return getattr(importlib.import_module(f"{__name__}.{LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
