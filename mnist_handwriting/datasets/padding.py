"""Padded batches of stroke-3 or stroke-5 sequences, the way sketch-rnn pads them.

magenta's ``DataLoader.pad_batch`` (``models/sketch_rnn/utils.py``): a batch of sequences
of lengths ``l_i`` becomes ``(B, L + 1, 5)`` with ``L = max l_i``: row 0 is the start token
``S0 = (0, 0, 1, 0, 0)``, rows ``1..l_i`` the sequence, and the rows after it end-of-sketch
rows ``(0, 0, 0, 0, 1)``. The lengths ``l_i`` (start token not counted) come back with it.
A stroke-3 batch is padded alike with ``(0, 0, 0)`` first (the start token's pen stays down)
and ``(0, 0, 1)`` after the end (no move, pen lifted: a padded batch draws nothing extra).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ..errors import UserError

START = {"stroke3": (0.0, 0.0, 0.0), "stroke5": (0.0, 0.0, 1.0, 0.0, 0.0)}
"""The start token of each representation."""
END = {"stroke3": (0.0, 0.0, 1.0), "stroke5": (0.0, 0.0, 0.0, 0.0, 1.0)}
"""The end-of-sketch padding row of each representation."""


class Batch(NamedTuple):
    """``sequences: (B, L + 1, C)`` float32 (C = 3 or 5), ``lengths: (B,)`` int64, ``labels: (B,)`` int64,
    ``images: (B, 28, 28)`` float32 or None."""

    sequences: torch.Tensor
    lengths: torch.Tensor
    labels: torch.Tensor
    images: torch.Tensor | None = None


def collate(batch: list[tuple], representation: str = "stroke5") -> Batch:
    """Pad dataset items ``(sequence (l, C), label[, image])`` into one :class:`Batch` (see the module docstring)."""
    if representation not in START:
        raise UserError(f"cannot pad {representation!r} sequences", "collate 'representation' stroke3 or stroke5; "
                        "points batches need no padding (torch's default collate)", "representation")
    sequences = [torch.as_tensor(item[0], dtype=torch.float32) for item in batch]
    width = len(START[representation])
    wrong = [tuple(s.shape) for s in sequences if s.ndim != 2 or s.shape[1] != width]
    if wrong:
        raise UserError(f"a {representation} sequence has shape {wrong[0]}, expected (length, {width})",
                        "give the collate the 'representation' of the dataset")
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.int64)
    padded = torch.tensor(END[representation]).repeat(len(batch), max(lengths.tolist(), default=0) + 1, 1)
    padded[:, 0] = torch.tensor(START[representation])
    for row, sequence in enumerate(sequences):
        padded[row, 1:len(sequence) + 1] = sequence
    labels = torch.tensor([int(item[1]) for item in batch], dtype=torch.int64)
    images = torch.stack([torch.as_tensor(item[2]) for item in batch]) if batch and len(batch[0]) > 2 else None
    return Batch(padded, lengths, labels, images)
