"""Training data as tensors: thinned MNIST, the 32 human samples, and the batch order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..data.digits import DigitSet


@dataclass
class Digits:
    """Images ``(N, 28, 28)`` float32 in [0, 1] and labels ``(N,)`` int64, on one device."""

    images: torch.Tensor
    labels: torch.Tensor

    @classmethod
    def from_set(cls, digits: DigitSet, device, count: int = 0) -> "Digits":
        """The first ``count`` digits of ``digits`` (all when 0), images scaled from 0/255 to [0, 1]."""
        chosen = digits.subset(slice(0, count or None))
        images = torch.from_numpy(chosen.images.astype(np.float32) / 255.0)
        return cls(images.to(device), torch.from_numpy(chosen.labels.astype(np.int64)).to(device))

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class HumanSamples:
    """The 32 human samples: their rendered thinned images, labels and targets ``(32, T, 3)``."""

    images: torch.Tensor
    labels: torch.Tensor
    targets: torch.Tensor

    @classmethod
    def from_set(cls, digits: DigitSet, points: int, device) -> "HumanSamples":
        """Resample each human trajectory to ``points`` points by arc length (pen lifts kept)."""
        base = Digits.from_set(digits, device)
        return cls(base.images, base.labels, torch.from_numpy(digits.resampled(points)).to(device))


def steps_per_epoch(digits: int, batch_size: int) -> int:
    """Full batches per epoch (the last partial batch is dropped); at least 1."""
    return max(1, digits // batch_size)


def batch_indices(step: int, digits: int, batch_size: int, seed: int, rank: int = 0, world: int = 1,
                  reshuffle: bool = True) -> torch.Tensor:
    """Indices ``(batch_size / world,)`` of this process's share of global step ``step``.

    Each epoch is a fresh permutation drawn from ``(seed, epoch)`` alone (with ``reshuffle=False``,
    every epoch repeats the first one's), so any step can be recomputed after a resume without
    replaying earlier ones.
    """
    per_epoch = steps_per_epoch(digits, batch_size)
    epoch, within = divmod(step, per_epoch)
    generator = torch.Generator().manual_seed(seed * 100_003 + (epoch if reshuffle else 0))
    order = torch.randperm(digits, generator=generator)
    start = within * batch_size
    return order[start:start + batch_size][rank::world]
