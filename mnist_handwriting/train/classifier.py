"""Training the legibility classifier (:mod:`mnist_handwriting.models.classifier`) on thinned MNIST.

Light random affine jitter during training keeps it tolerant of the small displacements a
drawn stroke has from the skeleton it traces.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..models.classifier import ClassifierConfig, DigitClassifier, accuracy, as_float
from ..strokes import PIXELS


@dataclass
class TrainConfig:
    """How :func:`train_classifier` trains."""

    epochs: int = 3                        # passes over the training images
    batch_size: int = 128                  # images per step
    learning_rate: float = 3e-3            # Adam, cosine-decayed to 0 over the run
    rotate_degrees: float = 12.0           # augmentation: rotation drawn from +-this
    scale: float = 0.1                     # augmentation: zoom drawn from 1 +- this
    shift_pixels: float = 2.0              # augmentation: translation drawn from +-this, pixels
    seed: int = 0                          # initialisation, shuffling and augmentation


def augment(images: torch.Tensor, config: TrainConfig, generator: torch.Generator) -> torch.Tensor:
    """Random rotation, zoom and shift of ``images: (B, 28, 28)`` (bilinear, zero outside)."""
    count = len(images)

    def uniform(limit: float) -> torch.Tensor:
        return (torch.rand(count, generator=generator) * 2 - 1) * limit

    angle = uniform(math.radians(config.rotate_degrees))
    zoom = 1 + uniform(config.scale)
    shift = torch.stack([uniform(config.shift_pixels), uniform(config.shift_pixels)], dim=1) * 2 / PIXELS
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta.to(images), [count, 1, PIXELS, PIXELS], align_corners=False)
    return F.grid_sample(images.unsqueeze(1), grid, align_corners=False).squeeze(1)


def train_classifier(images: np.ndarray, labels: np.ndarray, test_images: np.ndarray, test_labels: np.ndarray,
                     config: TrainConfig | None = None, model_config: ClassifierConfig | None = None,
                     device: str | torch.device = "cpu", progress: bool = True) -> tuple[DigitClassifier, dict]:
    """Train a :class:`DigitClassifier` on ``images: (N, 28, 28)`` uint8 with ``labels: (N,)``.

    Returns the model (in eval mode) and metrics: ``test_accuracy`` on the test images,
    ``train_loss`` (mean of the last epoch) and ``seconds``.
    """
    config = config or TrainConfig()
    device = torch.device(device)
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model = DigitClassifier(model_config).to(device)
    pixels = as_float(images, torch.device("cpu"))
    targets = torch.from_numpy(np.asarray(labels, np.int64))
    steps_per_epoch = math.ceil(len(pixels) / config.batch_size)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, config.epochs * steps_per_epoch)
    started = datetime.datetime.now()
    model.train()
    for epoch in range(config.epochs):
        order = torch.randperm(len(pixels), generator=generator)
        losses = []
        for start in tqdm(range(0, len(pixels), config.batch_size), desc=f"epoch {epoch + 1}/{config.epochs}",
                          disable=None if progress else True):
            batch = order[start:start + config.batch_size]
            inputs = augment(pixels[batch], config, generator).to(device)
            loss = F.cross_entropy(model(inputs), targets[batch].to(device))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(loss.item())
    model.eval()
    metrics = {"test_accuracy": accuracy(model, test_images, test_labels),
               "train_loss": float(np.mean(losses)) if config.epochs else float("nan"),
               "seconds": round((datetime.datetime.now() - started).total_seconds(), 1)}
    return model, metrics
