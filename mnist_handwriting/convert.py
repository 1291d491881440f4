"""Batched, streaming conversion of digit images into pen trajectories.

A *converter* has a ``name`` and ``convert(images: (B, 28, 28) uint8, labels: (B,) int64)
-> points: (B, T, 3) float32`` in the :mod:`mnist_handwriting.strokes` convention.
:func:`load_converter` builds one from a spec: ``trace`` (the classical tracer, no
model) or a trained model (a shipped name or a path to its ``.safetensors``).
:func:`iter_converted` runs any converter over any number of digits in fixed-size
batches, in order, optionally in worker processes (one per core on a CPU), so memory stays
flat in the number of digits; :func:`convert_images` collects them into one array.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
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


def default_workers(device: str | torch.device = "cpu") -> int:
    """Worker processes that use every core this process may run on (CPU), or 1 (CUDA, or no ``fork``)."""
    if str(device).startswith("cuda") or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_worker_converter = None
"""The converter of a worker process (set by :func:`_start_worker` in the worker only)."""


def _start_worker(converter) -> None:
    """Pool initialiser: one thread per worker (the workers are the parallelism), the converter inherited by fork."""
    global _worker_converter
    import torch

    torch.set_num_threads(1)
    _worker_converter = converter


def _convert_in_worker(batch: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return _worker_converter.convert(*batch)


def iter_converted(converter, images: Sequence, labels: Sequence, batch_size: int = 1024,
                   workers: int = 1) -> Iterator[np.ndarray]:
    """Yield ``points: (b, T, 3)`` float32 for ``images: (N, 28, 28) uint8``, ``labels: (N,)``, batch by batch, in order.

    ``images`` and ``labels`` need only ``len`` and slicing (arrays, memory maps). ``workers > 1``
    converts batches in that many forked processes of one thread each, at most a few batches
    ahead of the consumer; 1 converts in this process.
    """
    if batch_size < 1:
        raise UserError(f"batch size {batch_size} is not positive", "use a 'batch_size' of 1 or more", "batch_size")
    if workers < 1:
        raise UserError(f"{workers} workers is not positive", "use a 'workers' count of 1 or more", "workers")
    batches = ((images[start:start + batch_size], labels[start:start + batch_size])
               for start in range(0, len(images), batch_size))
    workers = min(workers, -(-len(images) // batch_size))
    if workers <= 1:
        for batch in batches:
            yield np.asarray(converter.convert(*batch), np.float32)
        return
    with multiprocessing.get_context("fork").Pool(workers, _start_worker, (converter,)) as pool:
        for points in pool.imap(_convert_in_worker, batches):
            yield np.asarray(points, np.float32)


def _with_progress(parts: Iterator[np.ndarray], total: int, name: str, progress: bool) -> Iterator[np.ndarray]:
    """``parts`` unchanged, counted on a progress bar (off when not a terminal, or without ``progress``)."""
    with tqdm(total=total, unit="digit", disable=None if progress else True, desc=name) as bar:
        for part in parts:
            bar.update(len(part))
            yield part


def convert_images(converter, images: Sequence, labels: Sequence, batch_size: int = 1024,
                   progress: bool = True, workers: int = 1) -> np.ndarray:
    """Convert ``images: (N, 28, 28) uint8`` with ``labels: (N,)`` into ``points: (N, T, 3)`` (:func:`iter_converted`)."""
    points = np.empty((len(images), converter.count, 3), np.float32)
    done = 0
    for part in _with_progress(iter_converted(converter, images, labels, batch_size, workers), len(images),
                               converter.name, progress):
        points[done:done + len(part)] = part
        done += len(part)
    return points


def convert_to_file(converter, images: Sequence, labels: np.ndarray, path, batch_size: int = 1024,
                    progress: bool = True, workers: int = 1) -> int:
    """Convert into the handwriting file at ``path``, batch by batch (the points are never all in memory); the count."""
    from .formats import save_handwriting_batches

    parts = iter_converted(converter, images, labels, batch_size, workers)
    return save_handwriting_batches(path, _with_progress(parts, len(images), converter.name, progress), labels,
                                    converter.count)
