"""The founding note's first line renderer: a small network that draws one segment, and its rasteriser.

``LineModel`` maps ``(x1, y1, e1, x2, y2, e2): (B, 6)`` to a 28x28 image of the 1-pixel
line from (x1, y1) to (x2, y2), blank when ``e1 = 1`` (pen lifted at the first point);
``e2`` is an input but never changes the target (note, "Drawing lines"). With ``pen_gate``
(our addition, recorded in the weights' config) the image is multiplied by ``1 - e1``, so a
lifted pen draws exactly nothing and a half-lifted one half the ink. It is trained on
random segments drawn exactly on the fly (:mod:`mnist_handwriting.train.line_model`), then
frozen inside :class:`LearnedLineRasteriser`.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ..errors import UserError
from ..paths import WEIGHTS_DIR
from ..safeweights import build_checked, read_weights
from ..strokes import PIXELS
from .base import Rasteriser
from .geometry import check_points

WEIGHTS_NAME = "learned-line"
KIND = "line-model"
FACTORED = "d2.weight"
"""The dense weight that may be stored as two factors (``d2.weight.left`` @ ``d2.weight.right``)."""
FIX = "re-create it with `mnist-handwriting train-renderer`, or restore the shipped file from git"


class LineModel(nn.Module):
    """The note's renderer: dense 784 (ELU), dense 784*8 (ELU), reshape to 8x28x28,
    5x5 conv to 16 channels (ELU), 3x3 conv to 1 channel (sigmoid).

    ``segments: (B, 6)`` -> ``images: (B, 28, 28)`` in [0, 1]. ``pen_gate``: multiply the
    image by ``1 - e1`` (clipped to [0, 1]): no ink from lifted segments by construction.
    """

    channels = 8

    def __init__(self, pen_gate: bool = False):
        super().__init__()
        self.pen_gate = pen_gate
        self.d1 = nn.Linear(6, PIXELS * PIXELS)
        self.d2 = nn.Linear(PIXELS * PIXELS, PIXELS * PIXELS * self.channels)
        self.c1 = nn.Conv2d(self.channels, 16, kernel_size=5, padding=2)
        self.c2 = nn.Conv2d(16, 1, kernel_size=3, padding=1)

    def forward(self, segments: torch.Tensor) -> torch.Tensor:
        hidden = F.elu(self.d2(F.elu(self.d1(segments))))
        hidden = F.elu(self.c1(hidden.view(-1, self.channels, PIXELS, PIXELS)))
        images = torch.sigmoid(self.c2(hidden)).squeeze(1)
        if self.pen_gate:
            images = images * (1 - segments[:, 2]).clamp(0, 1)[:, None, None]
        return images


def _unfactor(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Replace ``d2.weight.left`` and ``.right`` (see :func:`mnist_handwriting.train.line_model.save_line_model`) by their product."""
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
    multiplied back (:func:`mnist_handwriting.train.line_model.save_line_model`); ``config.pen_gate``
    (absent: off, as the files written before it) sets :attr:`LineModel.pen_gate`. Missing, extra
    or misshapen keys, non-finite values or an unreadable file raise ``UserError`` naming the file.
    """
    path = Path(path or WEIGHTS_DIR / f"{WEIGHTS_NAME}.safetensors")
    tensors, description = read_weights(path, KIND, FIX)
    _unfactor(tensors, path)
    pen_gate = description.get("config", {}).get("pen_gate", False)
    if not isinstance(pen_gate, bool):
        raise UserError(f"line model weights {path}: config.pen_gate must be true or false, got {pen_gate!r}", FIX)
    model = build_checked(lambda: LineModel(pen_gate), tensors, path, "line model weights", FIX)
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
