"""Batched, streaming conversion of digit images into pen trajectories.

A *converter* has a ``name`` and ``convert(images: (B, 28, 28) uint8, labels: (B,) int64)
-> points: (B, T, 3) float32`` in the :mod:`mnist_handwriting.strokes` convention.
:func:`load_converter` builds one from a spec: ``trace`` (the classical tracer, no
model) or a trained model (a shipped name or a path to its ``.safetensors``).
:func:`convert_images` runs any converter over any number of digits in fixed-size
batches, so memory stays flat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from .errors import UserError

if TYPE_CHECKING:   # torch loads only when a model is used: `--help` stays fast
    import torch

TRACE = "trace"


@dataclass
class TraceConverter:
    """The non-learned skeleton tracer (:mod:`mnist_handwriting.trace`) as a converter."""

    count: int = 20
    name: str = TRACE

    def convert(self, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
        from .trace import trace_batch

        return trace_batch(images, self.count)

    def reconstruct(self, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Exact 1-pixel render ``(B, 28, 28)`` of the traced strokes."""
        from .render.exact import draw_batch

        return draw_batch(self.convert(images, labels))


@dataclass
class ModelConverter:
    """A trained handwriting model as a converter."""

    model: torch.nn.Module
    device: torch.device
    name: str

    @property
    def count(self) -> int:
        """Points per digit: what the model was trained to draw."""
        return self.model.config.points

    def _tensors(self, images: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 ``images: (B, 28, 28)``, ``labels: (B,)`` -> the model's float32 [0, 1] and int64 inputs on its device."""
        import torch

        pixels = torch.from_numpy(np.asarray(images)).to(self.device, torch.float32).div_(255.0)
        return pixels, torch.from_numpy(np.asarray(labels, np.int64)).to(self.device)

    def convert(self, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
        import torch

        pixels, classes = self._tensors(images, labels)
        with torch.inference_mode():
            points = self.model.draw(pixels, classes)
        return points.float().cpu().numpy()

    def reconstruct(self, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """What the model was trained to match: its raw points through its own rasteriser, ``(B, 28, 28)``."""
        import torch

        pixels, classes = self._tensors(images, labels)
        with torch.inference_mode():
            raw = self.model(pixels, classes).float()
            image = self.model.rasteriser()(raw, self.model.config.compositing)
        return image.clamp(0, 1).cpu().numpy()


def load_converter(spec: str | None = None, device: str | torch.device = "cpu", count: int = 20):
    """``trace`` -> :class:`TraceConverter` (``count`` points); anything else names a model.

    ``None`` means the shipped default model. ``count`` only applies to the tracer: a
    model draws the number of points it was trained for.
    """
    if spec == TRACE:
        return TraceConverter(count)
    import torch

    from .models.registry import DEFAULT_MODEL, load_model

    name = spec or DEFAULT_MODEL
    device = torch.device(device)
    return ModelConverter(load_model(name, device=device), device, name)


def convert_images(converter, images: np.ndarray, labels: np.ndarray, batch_size: int = 1024,
                   progress: bool = True) -> np.ndarray:
    """Convert ``images: (N, 28, 28) uint8`` with ``labels: (N,)`` into ``points: (N, T, 3)``, batch by batch."""
    if batch_size < 1:
        raise UserError(f"batch size {batch_size} is not positive", "use a 'batch_size' of 1 or more", "batch_size")
    parts = []
    with tqdm(total=len(images), unit="digit", disable=None if progress else True, desc=converter.name) as bar:
        for start in range(0, len(images), batch_size):
            stop = start + batch_size
            parts.append(converter.convert(images[start:stop], labels[start:stop]))
            bar.update(len(parts[-1]))
    if not parts:
        return np.zeros((0, converter.count, 3), np.float32)
    return np.concatenate(parts).astype(np.float32, copy=False)
