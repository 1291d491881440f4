"""Paired human data (issue 7): pendigits digits of the training writers as (thin image, trajectory).

Writers 25-30 (:data:`mnist_handwriting.data.human.DEV_WRITERS`) are the development split that
every reported number is measured on: they never enter this module's training set. The last
``holdout`` of the 24 training writers form a validation split for choosing loss weights.
Targets are the trajectories resampled by arc length to the model's T points (pen lifts kept).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from ..data.digits import DigitSet
from ..data.human import DEV_WRITERS, split_by_writer
from ..strokes import resample
from .augment import augment
from .orders import drawing_orders

TRAIN_WRITERS = range(1, 25)
"""Writers whose digits may be trained on (pendigits writers are 1..30)."""


@dataclass
class PairedHuman:
    """Paired digits on one device.

    images: (N, 28, 28) in [0, 1]; labels: (N,); targets: (N, T, 3); writers: (N,); orders: (N,) each
    trajectory's drawing-order cluster (:mod:`.orders`) or None
    """

    images: torch.Tensor
    labels: torch.Tensor
    targets: torch.Tensor
    writers: torch.Tensor
    orders: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, indices: torch.Tensor) -> "PairedHuman":
        """The digits at ``indices`` (a batch)."""
        return PairedHuman(self.images[indices], self.labels[indices], self.targets[indices], self.writers[indices],
                           None if self.orders is None else self.orders[indices])


def split_writers(digits: DigitSet, holdout: int = 0) -> tuple[DigitSet, DigitSet]:
    """pendigits -> (train, validation): writers 1..24-holdout and the last ``holdout`` of 1..24.

    The development writers are in neither (checked, not assumed).
    """
    training, _ = split_by_writer(digits, DEV_WRITERS)
    cut = TRAIN_WRITERS.stop - holdout
    train, val = split_by_writer(training, range(cut, TRAIN_WRITERS.stop))
    if np.isin(train.writers, list(DEV_WRITERS)).any() or np.isin(val.writers, list(DEV_WRITERS)).any():
        raise AssertionError("a development writer reached the paired training data")
    return train, val


def paired_set(digits: DigitSet, points: int, device, *, copies: int = 0, affine: float = 0.0, width: float = 0.0,
               noise: float = 0.0, seed: int = 0, orders: int = 0, progress: bool = True) -> PairedHuman:
    """Every digit of ``digits`` as it is, plus ``copies`` augmented copies of each (:func:`.augment.augment`);
    ``orders > 0``: with each trajectory's drawing-order cluster out of that many (:func:`.orders.drawing_orders`,
    an augmented copy in its original's)."""
    trajectories = [digits.trajectory(i) for i in range(len(digits))]
    images, targets = [digits.images], [digits.resampled(points)]
    rng = np.random.default_rng(seed)
    for _ in tqdm(range(copies), desc="augmenting human digits", disable=None if progress else True, leave=False):
        pairs = [augment(t, rng, affine, width, noise) for t in trajectories]
        images.append(np.stack([image for _, image in pairs]))
        targets.append(np.stack([resample(moved, points) for moved, _ in pairs]))
    repeat = copies + 1
    clusters = None
    if orders:
        clusters = torch.from_numpy(np.tile(drawing_orders(targets[0], digits.labels, orders, seed), repeat)).to(device)
    return PairedHuman(torch.from_numpy(np.concatenate(images).astype(np.float32) / 255.0).to(device),
                       torch.from_numpy(np.tile(digits.labels, repeat)).to(device),
                       torch.from_numpy(np.concatenate(targets).astype(np.float32)).to(device),
                       torch.from_numpy(np.tile(digits.writers, repeat)).to(device), clusters)


def load_paired(config, device, locations=None, seed: int = 0) -> tuple[PairedHuman, DigitSet]:
    """The paired training set for ``config`` (a TrainConfig) and the validation writers' digits.

    ``locations``: a :class:`mnist_handwriting.data.datasets.Locations` (default: the usual folders).
    """
    from ..data.datasets import load

    train, val = split_writers(load("pendigits", locations), config.paired.holdout)
    augment = config.augment
    paired = paired_set(train, config.model.points, device, copies=augment.copies, affine=augment.affine,
                        width=augment.width, noise=augment.noise, seed=seed,
                        orders=config.model.proposals if config.paired.order_steps else 0)
    return paired, val


def _batches(digits: DigitSet, device, batch_size: int):
    """``digits`` as model inputs, batch by batch: ``images: (b, 28, 28)`` in [0, 1] and ``labels: (b,)`` on ``device``."""
    for start in range(0, len(digits), batch_size):
        images = torch.from_numpy(digits.images[start:start + batch_size].astype(np.float32) / 255.0).to(device)
        yield images, torch.from_numpy(digits.labels[start:start + batch_size]).to(device)


def _means(scores: dict[str, np.ndarray]) -> dict[str, float]:
    return {name: float(np.mean(values)) for name, values in scores.items()}


def human_validation(model, digits: DigitSet, device, batch_size: int = 512) -> dict[str, float]:
    """Mean LDTW, start error, direction agreement and stroke-count error of ``model`` on ``digits`` (thin images)."""
    from ..eval.report import human_scores

    parts = [model.draw(images, labels).float().cpu().numpy() for images, labels in _batches(digits, device, batch_size)]
    points = np.concatenate(parts) if parts else np.zeros((0, 2, 3), np.float32)
    return _means(human_scores(points, [digits.trajectory(i) for i in range(len(digits))]))


def proposal_validation(model, digits: DigitSet, device, batch_size: int = 512) -> dict[str, float]:
    """A proposals model's K drawings of ``digits`` against the writers' own: best-of-K mean LDTW and direction
    agreement (the proposal nearest by LDTW), and how often the most probable proposal is that nearest one."""
    from ..eval.proposals import proposal_scores

    drawn = [model.draw_proposals(images, labels) for images, labels in _batches(digits, device, batch_size)]
    points = np.concatenate([p.float().cpu().numpy() for p, _ in drawn])
    probabilities = np.concatenate([odds.float().cpu().numpy() for _, odds in drawn])
    return _means(proposal_scores(points, probabilities, [digits.trajectory(i) for i in range(len(digits))]))
