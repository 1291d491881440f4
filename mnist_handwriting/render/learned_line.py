"""The founding note's first line renderer: a small network trained to draw one segment.

``LineModel`` maps ``(x1, y1, e1, x2, y2, e2): (B, 6)`` to a 28x28 image of the 1-pixel
line from (x1, y1) to (x2, y2), blank when ``e1 = 1`` (pen lifted at the first point);
``e2`` is an input but never changes the target (note, "Drawing lines"). It is trained on
random segments drawn exactly on the fly (:func:`train_line_model`), then frozen inside
:class:`LearnedLineRasteriser`. The note saw 1.6 million images and pen values 0 and 1 only;
``pen="soft"`` also trains on pen values in between, with the line's ink scaled by
``1 - e1``, so that a model whose pen outputs sit near 0.5 still gets a gradient.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from ..errors import UserError
from ..paths import WEIGHTS_DIR
from ..safeweights import check_tensors, read_weights, save_weights
from ..strokes import PIXELS
from .base import Rasteriser
from .exact import draw_trajectory
from .geometry import check_points

WEIGHTS_NAME = "learned-line"
KIND = "line-model"
NOTE_IMAGES = 1_600_000
PEN_UP_PROBABILITY = 0.2
SOFT_PEN_FRACTION = 0.4
"""With ``pen="soft"``: the fraction of pen values drawn uniformly from (0, 1) instead of 0 or 1."""
PEN_MODES = ("binary", "soft")
FACTORED = "d2.weight"
LOSSES = {"mse": F.mse_loss, "bce": F.binary_cross_entropy}
FIX = "re-create it with `mnist-handwriting train-renderer --out DIR`, or restore the shipped file from git"


class LineModel(nn.Module):
    """The note's renderer: dense 784 (ELU), dense 784*8 (ELU), reshape to 8x28x28,
    5x5 conv to 16 channels (ELU), 3x3 conv to 1 channel (sigmoid).

    ``segments: (B, 6)`` -> ``images: (B, 28, 28)`` in [0, 1].
    """

    channels = 8

    def __init__(self):
        super().__init__()
        self.d1 = nn.Linear(6, PIXELS * PIXELS)
        self.d2 = nn.Linear(PIXELS * PIXELS, PIXELS * PIXELS * self.channels)
        self.c1 = nn.Conv2d(self.channels, 16, kernel_size=5, padding=2)
        self.c2 = nn.Conv2d(16, 1, kernel_size=3, padding=1)

    def forward(self, segments: torch.Tensor) -> torch.Tensor:
        hidden = F.elu(self.d2(F.elu(self.d1(segments))))
        hidden = F.elu(self.c1(hidden.view(-1, self.channels, PIXELS, PIXELS)))
        return torch.sigmoid(self.c2(hidden)).squeeze(1)


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
    at 0.5 with the exact line over the pen-down ones (its mean, and the largest ink of the
    pen-up ones), and the mean peak ink of the pen-down ones redrawn with ``e1 = 0.5``
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
        "ink_at_half_pen": float(draw(half_pen).amax((1, 2)).mean()) if down.any() else 0.0,
        "segments": len(segments),
    }


def held_out_segments(count: int = 2000, seed: int = 20171121) -> torch.Tensor:
    """The fixed evaluation set ``(count, 6)`` (its own seed, never used for training)."""
    return random_segments(count, torch.Generator().manual_seed(seed))


def train_line_model(images: int = NOTE_IMAGES, batch_size: int = 64, lr: float = 1e-3,
                     device: torch.device | str = "cpu", seed: int = 0, progress: bool = True,
                     max_seconds: float | None = None, held_out: int = 2000,
                     loss: str = "mse", pen: str = "binary") -> tuple[LineModel, dict]:
    """Train a :class:`LineModel` with Adam on ``images`` random segments drawn exactly.

    ``loss``: ``"mse"`` (the note's) or ``"bce"`` (binary cross-entropy). With MSE the
    sigmoid output first collapses to ~0 (98.5% of target pixels are 0) and its gradient
    p(1-p) on the line pixels vanishes: on a 2-core CPU, 155k images at batch 256 never left
    that plateau (held-out IoU 0); BCE's gradient p - y does not vanish there.

    ``pen``: ``"binary"`` (the note's 0/1 pen values) or ``"soft"`` (:func:`random_segments`).
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
    model = LineModel().to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
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


def _unfactor(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Replace ``d2.weight.left`` and ``.right`` (see :func:`save_line_model`) by their product."""
    left, right = tensors.pop(FACTORED + ".left", None), tensors.pop(FACTORED + ".right", None)
    if left is None and right is None:
        return
    if left is None or right is None or left.ndim != 2 or right.ndim != 2 or left.shape[1] != right.shape[0]:
        raise UserError(f"line model weights {path}: {FACTORED}.left and .right must both be present with "
                        f"matching rank", FIX)
    tensors[FACTORED] = left.float() @ right.float()


def load_line_model(path: str | os.PathLike | None = None, device: torch.device | str = "cpu") -> LineModel:
    """Strictly load a :class:`LineModel` (float32, eval mode, frozen) from safetensors.

    Default: the shipped ``weights/learned-line.safetensors``. A factored dense weight is
    multiplied back (:func:`save_line_model`). Missing, extra or misshapen keys, non-finite values or an unreadable file raise ``UserError`` naming the file.
    """
    path = Path(path or WEIGHTS_DIR / f"{WEIGHTS_NAME}.safetensors")
    tensors, _ = read_weights(path, KIND, FIX)
    _unfactor(tensors, path)
    model = LineModel()
    model.load_state_dict(check_tensors(tensors, model, path, "line model weights", FIX))
    return model.to(device).eval().requires_grad_(False)


class LearnedLineRasteriser(Rasteriser):
    """A frozen :class:`LineModel` run on every segment at once (28x28 only).

    ``points[..., 2]`` is the pen-up value of the segment's first point: 1 draws (almost)
    nothing, 0 draws the line. Gradients flow to the points, not to the model.
    ``weights``: a safetensors file (default: the shipped one).
    """

    def __init__(self, size: int = PIXELS, weights: str | os.PathLike | None = None):
        super().__init__(size)
        if size != PIXELS:
            raise ValueError(f"the learned line model draws {PIXELS}x{PIXELS} images only, not size {size}")
        self.model = load_line_model(weights)

    def segments(self, points: torch.Tensor) -> torch.Tensor:
        """``points: (B, T, 3)`` -> ``segments: (B, T - 1, 28, 28)``: one batched model call."""
        check_points(points)
        pairs = torch.cat([points[:, :-1], points[:, 1:]], dim=-1)   # (B, K, 6) = x1 y1 e1 x2 y2 e2
        drawn = self.model.to(points.device)(pairs.reshape(-1, 6).float())
        return drawn.view(*pairs.shape[:2], PIXELS, PIXELS).to(points.dtype)


def line_model_figure(model: LineModel, count: int = 12):
    """A PIL image: the first ``count`` pen-down held-out segments drawn by ``model`` above the exact lines."""
    from .figures import image_grid

    segments = held_out_segments()
    segments = segments[segments[:, 2] < 0.5][:count]
    with torch.no_grad():
        drawn = model(segments.to(next(model.parameters()).device)).float().cpu().numpy()
    return image_grid([drawn, exact_segment_images(segments).numpy()], ["learned line", "exact"])
