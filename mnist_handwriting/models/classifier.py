"""The legibility classifier: a small CNN that reads thinned 28x28 digits (issue 6, "Legibility").

Trained once on the thinned MNIST training images and shipped as
``weights/classifier.safetensors`` (+ ``classifier.json``). Its accuracy on exact renders
of converted digits, next to its accuracy on the thinned test images, says how legible
the drawn strokes are. Its training loop is :mod:`mnist_handwriting.train.classifier`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import UserError
from ..inference import evaluating
from ..paths import WEIGHTS_DIR
from ..safeweights import build_checked, read_weights, save_weights
from ..strokes import PIXELS

KIND = "classifier"
NAME = "classifier"


@dataclass
class ClassifierConfig:
    """Architecture of :class:`DigitClassifier`."""

    channels: tuple[int, int] = (16, 32)   # feature maps of the two 3x3 conv blocks (each halves the size)
    hidden: int = 64                       # width of the fully connected layer
    dropout: float = 0.2                   # dropout before the output layer (training only)


class DigitClassifier(nn.Module):
    """Two conv blocks and an MLP: ``images: (B, 28, 28)`` in [0, 1] -> logits ``(B, 10)``."""

    def __init__(self, config: ClassifierConfig | None = None):
        super().__init__()
        self.config = config or ClassifierConfig()
        first, second = self.config.channels
        self.features = nn.Sequential(
            nn.Conv2d(1, first, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(first, second, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(second * (PIXELS // 4) ** 2, self.config.hidden), nn.ReLU(),
            nn.Dropout(self.config.dropout), nn.Linear(self.config.hidden, 10))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images.unsqueeze(1)))


def as_float(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """``images: (N, 28, 28)``, uint8 0..255 or float [0, 1] -> float32 [0, 1] on ``device``."""
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (PIXELS, PIXELS):
        raise UserError(f"classifier: images have shape {images.shape}, expected (N, 28, 28)",
                        "give 28x28 thinned digit images")
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    return torch.from_numpy(images.astype(np.float32) / scale).to(device)


def predict(classifier: DigitClassifier, images: np.ndarray,
            batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Classify ``images: (N, 28, 28)`` (uint8 0..255 or float [0, 1]).

    Returns labels ``(N,)`` int64 and class probabilities ``(N, 10)`` float32.
    """
    device = next(classifier.parameters()).device
    pixels = as_float(images, device)
    chunks = []
    with evaluating(classifier):
        for start in range(0, len(pixels), batch_size):
            chunks.append(torch.softmax(classifier(pixels[start:start + batch_size]), dim=1).float().cpu())
    probabilities = torch.cat(chunks).numpy() if chunks else np.zeros((0, 10), np.float32)
    return probabilities.argmax(axis=1).astype(np.int64), probabilities


def accuracy(classifier: DigitClassifier, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of ``images`` classified as ``labels``."""
    return float((predict(classifier, images)[0] == np.asarray(labels)).mean())


def save_classifier(model: DigitClassifier, folder: str | os.PathLike, *, metrics: dict, train, command: str,
                    machine: str | None = None) -> Path:
    """Write ``classifier.safetensors`` and ``classifier.json`` (config, train, metrics, command, date, machine)
    into ``folder``; return the weights path. ``train``: the training settings, a dataclass
    (:class:`mnist_handwriting.train.classifier.TrainConfig`)."""
    return save_weights(Path(folder) / f"{NAME}.safetensors", model.state_dict(), kind=KIND,
                        config=dataclasses.asdict(model.config), train=dataclasses.asdict(train), metrics=metrics,
                        command=command, machine=machine, dtype=torch.float32)


def load_classifier(device: str | torch.device = "cpu", path: str | os.PathLike | None = None) -> DigitClassifier:
    """Load the shipped classifier (or the one at ``path``) strictly, in eval mode on ``device``.

    A missing or corrupt file, a file of another kind, missing or extra tensors, wrong
    shapes and non-finite values are all ``UserError``.
    """
    path = Path(path).expanduser() if path else WEIGHTS_DIR / f"{NAME}.safetensors"
    fix = "retrain it with `mnist-handwriting train-classifier`, or reinstall the package"
    tensors, info = read_weights(path, KIND, fix)
    try:
        config = ClassifierConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in info["config"].items()})
    except (TypeError, ValueError) as error:
        raise UserError(f"{path}: unreadable classifier config ({error})", fix) from None
    model = build_checked(lambda: DigitClassifier(config), tensors, path, "classifier weights", fix)
    return model.to(torch.device(device)).eval()
