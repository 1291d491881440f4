"""Training the note's learned line model: random segments, exact targets, the loop, evaluation, storage.

The note saw 1.6 million images and pen values 0 and 1 only; ``pen="soft"`` also trains on
pen values in between, with the line's ink scaled by ``1 - e1``, so that a model whose pen
outputs sit near 0.5 still gets a gradient. The network and its strict loader live in
:mod:`mnist_handwriting.render.learned_line`.
"""

from __future__ import annotations

import math
import os
import time

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from ..render.exact import draw_trajectory
from ..render.learned_line import FACTORED, KIND, LineModel
from ..safeweights import save_weights
from ..strokes import PIXELS

NOTE_IMAGES = 1_600_000
PEN_UP_PROBABILITY = 0.2
SOFT_PEN_FRACTION = 0.4
"""With ``pen="soft"``: the fraction of pen values drawn uniformly from (0, 1) instead of 0 or 1."""
PEN_MODES = ("binary", "soft")
LEAK_INK = 0.05
"""Peak ink at which a pen-up segment counts as drawn (the level ``pen_up_flags`` uses)."""
LOSSES = {"mse": F.mse_loss, "bce": F.binary_cross_entropy}


def random_segments(count: int, generator: torch.Generator, pen: str = "binary") -> torch.Tensor:
    """``(count, 6)`` float32 rows (x1, y1, e1, x2, y2, e2): uniform ends, pen-up flags with
    probability :data:`PEN_UP_PROBABILITY` (the note's ``random() > 0.8``). ``pen="soft"``
    replaces :data:`SOFT_PEN_FRACTION` of the pen values by uniform ones in (0, 1)."""
    if pen not in PEN_MODES:
        raise ValueError(f"unknown pen mode {pen!r}; expected one of {PEN_MODES}")
    ends = torch.rand(count, 2, 2, generator=generator)
    flags = (torch.rand(count, 2, 1, generator=generator) < PEN_UP_PROBABILITY).float()
    if pen == "soft":
        soft = torch.rand(count, 2, 1, generator=generator) < SOFT_PEN_FRACTION
        flags = torch.where(soft, torch.rand(count, 2, 1, generator=generator), flags)
    return torch.cat([ends, flags], dim=-1).reshape(count, 6)


def exact_segment_images(segments: torch.Tensor) -> torch.Tensor:
    """The training targets: ``segments: (B, 6)`` -> exact 1-pixel lines ``(B, 28, 28)`` with ink ``1 - e1``
    (blank if ``e1 = 1``; the note's 0/1 pen values give full or no ink)."""
    rows = segments.detach().cpu().numpy().reshape(-1, 2, 3)
    images = np.zeros((len(rows), PIXELS, PIXELS), np.float32)
    for i, (start, end) in enumerate(rows):
        if start[2] < 1.0:
            images[i] = (1.0 - start[2]) * draw_trajectory(np.array([[*start[:2], 0.0], [*end[:2], 1.0]]), PIXELS)
    return torch.from_numpy(images)


def evaluate_line_model(model: LineModel, segments: torch.Tensor) -> dict[str, float]:
    """MSE against exact lines over ``segments: (N, 6)``, and IoU of the image thresholded
    at 0.5 with the exact line over the pen-down ones (its mean; of the pen-up ones the largest
    ink and the share peaking at :data:`LEAK_INK` or more), and the mean peak ink of the pen-down ones redrawn with ``e1 = 0.5``
    (0.5 is right with ``pen="soft"``; near 0, a fresh model's pen outputs get no gradient)."""
    device = next(model.parameters()).device

    def draw(rows: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([model(chunk.to(device)).float().cpu() for chunk in rows.split(1024)]) \
                if len(rows) else torch.zeros(0, PIXELS, PIXELS)

    drawn = draw(segments)
    exact = exact_segment_images(segments)
    down = segments[:, 2] < 0.5
    half_pen = segments[down].clone()
    half_pen[:, 2] = 0.5
    ink, truth = drawn[down] > 0.5, exact[down] > 0.5
    iou = (ink & truth).sum((1, 2)).float() / (ink | truth).sum((1, 2)).clamp_min(1).float()
    return {
        "mse": float(((drawn - exact) ** 2).mean()),
        "iou_pen_down": float(iou.mean()),
        "max_ink_pen_up": float(drawn[~down].max()) if (~down).any() else 0.0,
        "pen_up_leak_share": float((drawn[~down].amax((1, 2)) >= LEAK_INK).float().mean()) if (~down).any() else 0.0,
        "ink_at_half_pen": float(draw(half_pen).amax((1, 2)).mean()) if down.any() else 0.0,
        "segments": len(segments),
    }


def held_out_segments(count: int = 2000, seed: int = 20171121) -> torch.Tensor:
    """The fixed evaluation set ``(count, 6)`` (its own seed, never used for training)."""
    return random_segments(count, torch.Generator().manual_seed(seed))


def train_line_model(images: int = NOTE_IMAGES, batch_size: int = 64, lr: float = 1e-3,
                     device: torch.device | str = "cpu", seed: int = 0, progress: bool = True,
                     max_seconds: float | None = None, held_out: int = 2000,
                     loss: str = "mse", pen: str = "binary", pen_gate: bool = False) -> tuple[LineModel, dict]:
    """Train a :class:`LineModel` with Adam on ``images`` random segments drawn exactly.

    ``loss``: ``"mse"`` (the note's) or ``"bce"`` (binary cross-entropy). With MSE the
    sigmoid output first collapses to ~0 (98.5% of target pixels are 0) and its gradient
    p(1-p) on the line pixels vanishes: on a 2-core CPU, 155k images at batch 256 never left
    that plateau (held-out IoU 0); BCE's gradient p - y does not vanish there.

    ``pen``: ``"binary"`` (the note's 0/1 pen values) or ``"soft"`` (:func:`random_segments`).
    ``pen_gate``: train a :class:`LineModel` whose image is multiplied by ``1 - e1`` (no leak
    from lifted segments by construction; the note's network has no such factor).
    Segments and targets are generated on the CPU from ``seed`` and moved to ``device``.
    ``max_seconds`` stops early (a wall-time budget); ``images_seen`` records how far it got.
    ``held_out``: size of the fixed evaluation set (:func:`held_out_segments`).
    The progress bar shows the running loss. Returns the model (eval mode) and metrics: the
    held-out evaluation (:func:`evaluate_line_model`), images seen, final running loss, seconds.
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(LOSSES)}")
    if pen not in PEN_MODES:
        raise ValueError(f"unknown pen mode {pen!r}; expected one of {PEN_MODES}")
    device = torch.device(device)
    torch.manual_seed(seed)
    model = LineModel(pen_gate).to(device)
    # Fused Adam: one pass over the 4.9M weights instead of several (a step 1.2-1.5x faster on the CPU).
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, fused=device.type in ("cpu", "cuda"))
    generator = torch.Generator().manual_seed(seed)
    steps = math.ceil(images / batch_size)
    running, seen = None, 0
    started = time.perf_counter()
    bar = tqdm(total=images, desc="train-renderer", unit="img", unit_scale=True, disable=None if progress else True)
    for step in range(steps):
        count = min(batch_size, images - step * batch_size)
        segments = random_segments(count, generator, pen)
        target = exact_segment_images(segments).to(device)
        value = LOSSES[loss](model(segments.to(device)), target)
        optimiser.zero_grad(set_to_none=True)
        value.backward()
        optimiser.step()
        running = value.item() if running is None else 0.98 * running + 0.02 * value.item()
        seen += count
        bar.update(count)
        if step % 10 == 0:
            bar.set_postfix(loss=f"{running:.5f}")
        if max_seconds is not None and time.perf_counter() - started > max_seconds:
            break
    bar.close()
    model.eval()
    metrics = {"images_seen": seen, "final_running_loss": running, "seconds": time.perf_counter() - started,
               "held_out": evaluate_line_model(model, held_out_segments(held_out))}
    return model, metrics


def save_line_model(model: LineModel, path: str | os.PathLike, dtype: torch.dtype = torch.float16,
                    rank: int | None = None, *, config: dict | None = None, metrics: dict | None = None,
                    command: str = "", machine: str | None = None) -> None:
    """Write the weights as safetensors (``dtype`` storage; float16 halves the ~20 MB of float32)
    with the description of :mod:`mnist_handwriting.safeweights` and its ``.json`` side file.

    ``rank``: store the 784 -> 6272 dense weight (99.9% of the parameters) as its truncated
    SVD, ``d2.weight.left: (6272, rank)`` @ ``d2.weight.right: (rank, 784)``; the loader
    multiplies them back. ``config``: the settings that made it (training and storage).
    """
    tensors = {name: value.detach().float().cpu() for name, value in model.state_dict().items()}
    if rank is not None:
        if not 1 <= rank <= min(tensors[FACTORED].shape):
            raise ValueError(f"rank must be in [1, {min(tensors[FACTORED].shape)}], got {rank}")
        u, singular, vh = torch.linalg.svd(tensors.pop(FACTORED), full_matrices=False)
        tensors[FACTORED + ".left"], tensors[FACTORED + ".right"] = u[:, :rank] * singular[:rank], vh[:rank]
    save_weights(path, tensors, kind=KIND, config=config or {}, metrics=metrics or {}, command=command,
                 machine=machine, dtype=dtype)


def comparison_segments(model: LineModel, count: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` pen-down held-out segments drawn by ``model`` and exactly: two ``(count, 28, 28)``
    arrays for :func:`mnist_handwriting.viz.images.image_grid`."""
    segments = held_out_segments()
    segments = segments[segments[:, 2] < 0.5][:count]
    with torch.no_grad():
        drawn = model(segments.to(next(model.parameters()).device)).float().cpu().numpy()
    return drawn, exact_segment_images(segments).numpy()
