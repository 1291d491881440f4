"""``HandwrittenMNIST``: the shipped (or any) handwriting file as a PyTorch dataset, in torchvision's manner."""

from __future__ import annotations

import os
from typing import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import UserError
from ..strokes import to_offsets, to_stroke5
from .padding import Batch, collate
from .shipped import load

REPRESENTATIONS = ("points", "stroke3", "stroke5")
"""``points``: ``(T, 3)`` x, y, pen_up; ``stroke3``: ``(T, 3)`` dx, dy, pen_up (first row from the
origin); ``stroke5``: ``(T, 5)`` dx, dy, p1, p2, p3 (:func:`mnist_handwriting.strokes.to_stroke5`)."""


def check_representation(representation: str) -> str:
    """``representation`` if it is one of :data:`REPRESENTATIONS`, else a UserError naming ``representation``."""
    if representation not in REPRESENTATIONS:
        raise UserError(f"unknown representation {representation!r}",
                        f"use a 'representation' of {', '.join(REPRESENTATIONS)}", "representation")
    return representation


def represent(points: np.ndarray, representation: str) -> np.ndarray:
    """``points: (N, T, 3)`` in ``representation`` (see :data:`REPRESENTATIONS`), ``(N, T, 3 or 5)`` float32."""
    if check_representation(representation) == "points":
        return points
    offsets = to_offsets(points)
    return offsets if representation == "stroke3" else to_stroke5(offsets)


class HandwrittenMNIST(Dataset):
    """Handwritten MNIST ``split`` (``train``, ``valid``, ``test``, ``all``; see :mod:`.shipped`).

    ``dataset[i]`` is ``(sequence, label)``, or ``(sequence, label, image)`` ``with_image``:
    ``sequence`` a float32 tensor ``(T, 3)`` or ``(T, 5)`` in ``representation``, ``label`` an
    int, ``image`` the thinned input ``(28, 28)`` float32 in [0, 1]. ``transform`` is applied to
    the sequence, ``target_transform`` to the label. ``source``: a handwriting file of the
    user's instead of the shipped file (offline either way). Batches: ``collate_fn=dataset.collate``.
    """

    def __init__(self, split: str = "train", representation: str = "points", with_image: bool = False,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 source: str | os.PathLike | None = None):
        check_representation(representation)   # a bad name fails before loading
        data = load(split, source=source, with_image=with_image)
        self.split, self.representation = split, representation
        self.transform, self.target_transform = transform, target_transform
        self.sequences = torch.from_numpy(represent(data.points, representation))
        self.labels = data.labels
        self.mnist_index = data.mnist_index
        self.images = None if data.images is None else torch.from_numpy(data.images).float().div_(255)

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, index: int) -> tuple:
        sequence, label = self.sequences[index], int(self.labels[index])
        if self.transform is not None:
            sequence = self.transform(sequence)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return (sequence, label) if self.images is None else (sequence, label, self.images[index])

    def collate(self, batch: list[tuple]) -> Batch:
        """sketch-rnn's padded batch of this dataset's stroke-3 or stroke-5 items (:func:`.padding.collate`)."""
        return collate(batch, self.representation)

    def __repr__(self) -> str:
        return f"HandwrittenMNIST(split={self.split!r}, representation={self.representation!r}, {len(self)} digits)"
