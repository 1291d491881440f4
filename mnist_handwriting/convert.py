"""Batched, streaming conversion of digit images into pen trajectories.

A *converter* has a ``name`` and ``convert(images: (B, 28, 28) uint8, labels: (B,) int64)
-> points: (B, T, 3) float32`` in the :mod:`mnist_handwriting.strokes` convention.
:func:`load_converter` builds one from a spec: ``trace`` (the classical tracer, no
model) or a trained model (a shipped name or a path to its ``.safetensors``).
:class:`ProposalConverter` turns a proposals model (issue 16) into one whose ``convert``
returns K drawing orders per digit with their probabilities; :func:`sample_proposals`
picks one per digit by those odds, seeded.
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
    proposals: int = 1   # drawing orders it can give per digit

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

    @property
    def proposals(self) -> int:
        """Drawing orders the model gives per digit (more than 1 for a proposals model, :meth:`propose`)."""
        return self.model.config.proposals

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

    def propose(self, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A proposals model's every drawing order, in its own order: ``points: (B, K, T, 3)``, ``probabilities: (B, K)``."""
        import torch

        pixels, classes = self._tensors(images, labels)
        with torch.inference_mode():
            points, probabilities = self.model.draw_proposals(pixels, classes)
        return points.float().cpu().numpy(), probabilities.float().cpu().numpy()

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


def rank_proposals(points: np.ndarray, probabilities: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``count`` most probable of ``points: (B, K, T, 3)``, most probable first, and their probabilities
    ``(B, count)`` renormalised to sum to 1 (ties keep the model's order)."""
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :count]
    kept = np.take_along_axis(probabilities, order, axis=1)
    return (np.take_along_axis(points, order[:, :, None, None], axis=1),
            (kept / kept.sum(axis=1, keepdims=True)).astype(np.float32))


@dataclass
class ProposalConverter:
    """A proposals model (:mod:`mnist_handwriting.models.proposals`) as a converter of K drawing orders per
    digit: ``convert`` -> ``(points: (B, K, T, 3), probabilities: (B, K))``, most probable first."""

    base: ModelConverter
    proposals: int

    @classmethod
    def of(cls, converter, proposals: int | None = None) -> "ProposalConverter":
        """``converter``'s ``proposals`` most probable drawing orders (default: all the model proposes);
        a UserError for a converter that draws one, or for a count it does not propose."""
        if proposals is not None and proposals < 1:
            raise UserError(f"--proposals {proposals} is not positive", "use a count of 1 or more", "proposals")
        available = converter.proposals
        if available < 2:
            raise UserError(f"{converter.name} draws one trajectory per digit", "use a proposals model for "
                            "--proposals or --sample, e.g. --model human-proposals", "proposals")
        count = available if proposals is None else proposals
        if not 1 <= count <= available:
            raise UserError(f"--proposals {count} is not one of 1..{available}, the drawing orders "
                            f"{converter.name} proposes", f"use a count from 1 to {available}", "proposals")
        return cls(converter, count)

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def count(self) -> int:
        return self.base.count

    def convert(self, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return rank_proposals(*self.base.propose(images, labels), self.proposals)


def sample_proposals(parts: Iterator[tuple[np.ndarray, np.ndarray]], seed: int) -> Iterator[np.ndarray]:
    """One proposal per digit, drawn at random by its probability: batches of ``(points: (b, K, T, 3),
    probabilities: (b, K))`` -> ``points: (b, T, 3)``. One uniform number per digit in order from ``seed``, so
    the choice depends on neither the batch size nor the number of workers."""
    rng = np.random.default_rng(seed)
    for points, probabilities in parts:
        cumulative = np.cumsum(probabilities, axis=1)
        draws = rng.random(len(points))[:, None] * cumulative[:, -1:]
        chosen = np.minimum((cumulative <= draws).sum(axis=1), points.shape[1] - 1)
        yield points[np.arange(len(points)), chosen]


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
    """Yield ``converter.convert`` of ``images: (N, 28, 28) uint8``, ``labels: (N,)`` batch by batch, in order
    (``points: (b, T, 3)`` float32; for a :class:`ProposalConverter` with their probabilities).

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
        yield from (converter.convert(*batch) for batch in batches)
        return
    with multiprocessing.get_context("fork").Pool(workers, _start_worker, (converter,)) as pool:
        yield from pool.imap(_convert_in_worker, batches)


def _with_progress(parts: Iterator, total: int, name: str, progress: bool) -> Iterator:
    """``parts`` unchanged (arrays, or tuples of arrays), counted on a progress bar (off when not a terminal, or
    without ``progress``)."""
    with tqdm(total=total, unit="digit", disable=None if progress else True, desc=name) as bar:
        for part in parts:
            bar.update(len(part[0] if isinstance(part, tuple) else part))
            yield part


def convert_images(converter, images: Sequence, labels: Sequence, batch_size: int = 1024,
                   progress: bool = True, workers: int = 1):
    """Convert ``images: (N, 28, 28) uint8`` with ``labels: (N,)`` into ``points: (N, T, 3)`` (:func:`iter_converted`);
    for a :class:`ProposalConverter`, ``(points: (N, K, T, 3), probabilities: (N, K))``."""
    parts = list(_with_progress(iter_converted(converter, images, labels, batch_size, workers), len(images),
                                converter.name, progress))
    if isinstance(converter, ProposalConverter):
        if not parts:
            return (np.zeros((0, converter.proposals, converter.count, 3), np.float32),
                    np.zeros((0, converter.proposals), np.float32))
        return np.concatenate([p for p, _ in parts]), np.concatenate([odds for _, odds in parts])
    return np.concatenate(parts) if parts else np.zeros((0, converter.count, 3), np.float32)


def convert_to_file(converter, images: Sequence, labels: np.ndarray, path, batch_size: int = 1024,
                    progress: bool = True, workers: int = 1, sample: int | None = None) -> int:
    """Convert into the handwriting file at ``path``, batch by batch (the points are never all in memory); the count.

    A :class:`ProposalConverter` writes a proposals file, or with ``sample`` (a seed) a handwriting file of one
    proposal per digit drawn by its odds (:func:`sample_proposals`)."""
    from .formats import save_handwriting_batches

    parts = _with_progress(iter_converted(converter, images, labels, batch_size, workers), len(images),
                           converter.name, progress)
    proposals = isinstance(converter, ProposalConverter)
    if proposals and sample is not None:
        return save_handwriting_batches(path, sample_proposals(parts, sample), labels, converter.count)
    return save_handwriting_batches(path, parts, labels, converter.count, converter.proposals if proposals else 0)
