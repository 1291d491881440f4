"""The note's handwriting model: stacked LSTMs unrolled for T steps, one point per step.

Input at each step (note, "But how?"): [flattened 28x28 image, one-hot label, previous
point]; the first previous point is zeros. The last layer is an LSTM cell with an output
projection to 3 (TensorFlow's ``LSTMCell(num_proj=3)``): its recurrent state is the
projected 3-vector. Raw outputs are ``sigmoid(x), sigmoid(y)`` and a third value for the
rasteriser (softness or pen-up probability) through a named activation.

Also holds :class:`ModelConfig` and the parts shared with the per-digit ensemble.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import UserError
from ..inference import evaluating
from .deferred import DeferredWeights

IMAGE_FEATURES = 28 * 28
CLASSES = 10
THIRD_ACTIVATIONS = ("sigmoid", "exp")
KINDS = ("lstm", "ensemble", "masked", "proposals")
INITS = ("torch", "tensorflow")
FEEDBACKS = ("squashed", "raw")
PEN_DRAWN = 0.05
"""A segment counts as drawn (pen down) when its rendered peak intensity reaches this: over 3x
the uniform 1/64 that a fully lifted soft-line segment (softness -> 0) leaves on every pixel.
Peaks are dense around it: of the 190,000 segments of the routed ensemble's test drawings, 1,555 peak in
[0.045, 0.05) and 1,162 in [0.05, 0.055) (``benchmarks/pen_lifts.py``), so the decision must be exact."""


@dataclass
class ModelConfig:
    """Everything needed to rebuild a handwriting model (saved inside its weights file)."""

    kind: str = "lstm"                  # "lstm" (one model for all digits), "ensemble" (one per digit class),
                                        # "masked" (the note's repository: one LSTM whose units are split among the classes)
                                        # or "proposals" (the ensemble drawing K orders with their odds, issue 16)
    hidden: int = 512                   # LSTM units per layer (per class for the ensemble)
    layers: int = 3                     # stacked LSTM layers; the last one projects to 3 outputs
    points: int = 20                    # T: points emitted per digit (T - 1 segments)
    third_activation: str = "sigmoid"   # activation of the third output: "sigmoid" (0..1) or "exp" (softness >= 0)
    dropout: float = 0.0                # dropout probability on the inputs of layers 2.. (note: "Dropout")
    rasteriser: str = "soft-line"       # rasteriser that gives the third output its meaning (render.make_rasteriser)
    compositing: str = "sum"            # how segment images merge into the digit: "sum" or "max"
    input_blur: float = 0.0             # Gaussian blur (sigma, px) of the image before the input layer; 0 = none
    init: str = "torch"                 # "torch" (uniform +-1/sqrt(H)) or "tensorflow" (TF1 LSTMCell: Glorot kernels, zero bias)
    feedback: str = "squashed"          # point fed to the next step: "squashed" (x, y, sigmoid(third)) or "raw" (as emitted)
    proposals: int = 1                  # K drawing orders per image (kind "proposals": the ensemble with K proposals and their odds)

    def validate(self) -> "ModelConfig":
        """Raise UserError on a value no model can be built from; return self."""
        def bad(field, value, expected):
            raise UserError(f"model.{field} = {value!r} is invalid", f"use {expected}")
        if self.kind not in KINDS:
            bad("kind", self.kind, " or ".join(KINDS))
        if self.hidden < 1:
            bad("hidden", self.hidden, "a positive integer")
        if self.layers < 1:
            bad("layers", self.layers, "a positive integer")
        if self.points < 2:
            bad("points", self.points, "an integer >= 2")
        if self.third_activation not in THIRD_ACTIVATIONS:
            bad("third_activation", self.third_activation, " or ".join(THIRD_ACTIVATIONS))
        if not 0.0 <= self.dropout < 1.0:
            bad("dropout", self.dropout, "a probability in [0, 1)")
        if self.compositing not in ("sum", "max"):
            bad("compositing", self.compositing, "sum or max")
        if not 0.0 <= self.input_blur <= 4.0:
            bad("input_blur", self.input_blur, "a blur in [0, 4] pixels")
        if self.init not in INITS:
            bad("init", self.init, " or ".join(INITS))
        if self.feedback not in FEEDBACKS:
            bad("feedback", self.feedback, " or ".join(FEEDBACKS))
        if (self.kind == "proposals") != (self.proposals > 1) or self.proposals < 1:
            bad("proposals", self.proposals, "2 or more with model.kind=proposals, else 1")
        if self.kind == "masked" and self.hidden % CLASSES:
            bad("hidden", self.hidden, f"a multiple of {CLASSES} for the masked model (units are split among the classes)")
        return self


def check_inputs(images: torch.Tensor, labels: torch.Tensor, dtype: torch.dtype) -> None:
    """Checks at the model boundary: ``images: (B, 28, 28)`` of the weights' ``dtype``, ``labels: (B,)`` int64 in 0..9."""
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise UserError(f"images must have shape (B, 28, 28), got {tuple(images.shape)}",
                        "pass a batch of 28x28 images scaled to [0, 1]")
    if images.dtype != dtype:
        raise UserError(f"images are {images.dtype} but the model's weights are {dtype}",
                        f"pass images as {dtype} scaled to [0, 1] (uint8 images: images.to({dtype}) / 255)")
    if labels.shape != images.shape[:1]:
        raise UserError(f"labels must have shape ({images.shape[0]},), got {tuple(labels.shape)}",
                        "pass one label per image")
    if labels.dtype != torch.int64:
        raise UserError(f"labels are {labels.dtype}, not torch.int64", "pass labels.long()")
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= CLASSES):
        raise UserError("labels must be digits 0..9", "fix the labels")


def blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """``images: (B, H, W)`` convolved with a normalised Gaussian of ``sigma`` px (zero padding); 0 = unchanged.

    Separable, as weighted sums of shifted copies: six times faster on a CPU than ``conv2d``
    with one channel, which made the blur cost a third of the model's forward pass.
    """
    if sigma <= 0:
        return images
    radius = max(1, math.ceil(3 * sigma))
    taps = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-taps ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    height, width = images.shape[-2:]
    padded = nn.functional.pad(images, (radius, radius))
    rows = sum(weight * padded[..., k:k + width] for k, weight in enumerate(kernel))
    padded = nn.functional.pad(rows, (0, 0, radius, radius))
    return sum(weight * padded[..., k:k + height, :] for k, weight in enumerate(kernel))


def model_inputs(images: torch.Tensor, labels: torch.Tensor, input_blur: float = 0.0) -> torch.Tensor:
    """``(B, 28, 28)``, ``(B,)`` -> the per-sequence constant input ``(B, 794)``: (blurred) image, one-hot label."""
    onehot = nn.functional.one_hot(labels, CLASSES).to(images.dtype)
    return torch.cat([blur(images, input_blur).flatten(1), onehot], dim=1)


def lstm_update(gates: torch.Tensor, cell: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM state update from pre-activations ``gates: (..., 4H)`` (order i, f, g, o)."""
    i, f, g, o = gates.chunk(4, dim=-1)
    # TensorFlow's LSTMCell adds forget_bias=1.0 here; we initialise the forget bias to 1 instead.
    cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(cell), cell


def fast_lstm_update(gates: torch.Tensor, cell: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`lstm_update` with ``tanh(z) = 2 sigmoid(2z) - 1``: one sigmoid over all four gates and fused
    multiply-adds, 1.3-1.7x the forward pass on a CPU (issue 14); equal within float rounding (points move
    < 1e-5 px). Scales ``gates``' g block in place. :meth:`PointModel.draw` uses it; training keeps the other."""
    hidden = cell.shape[-1]
    gates[..., 2 * hidden:3 * hidden] *= 2
    i, f, g, o = torch.sigmoid(gates).chunk(4, dim=-1)
    cell = torch.addcmul(f * cell, i, g * 2 - 1)
    return o * (torch.sigmoid(cell * 2) * 2 - 1), cell


def activate(projected: torch.Tensor, activation: str, feedback: str = "squashed") -> tuple[torch.Tensor, torch.Tensor]:
    """Projected ``(..., 3)`` -> (raw output point, point fed back to the next step).

    ``feedback="squashed"`` feeds ``(x, y, sigmoid(third))`` back for both activations, so
    the input stays in [0, 1] even when the softness is ``exp`` and large; ``"raw"`` feeds
    the raw output itself (the note's repository: its exp softness, often in the hundreds).
    """
    squashed = torch.sigmoid(projected)
    if activation == "sigmoid":
        return squashed, squashed
    raw = torch.cat([squashed[..., :2], torch.exp(projected[..., 2:])], dim=-1)
    return raw, (raw if feedback == "raw" else squashed)


def unroll(config: ModelConfig, new_zeros, gates, project, dropout, fast: bool = False,
           anchor=None) -> torch.Tensor:
    """The recurrence every model runs: ``config.points`` steps through ``config.layers`` LSTM layers.

    ``new_zeros(width)``: a zero state ``(..., width)``; ``gates(k, previous, x, state)``:
    layer ``k``'s pre-activation gates ``(..., 4H)`` from the previous point ``(..., 3)``, the
    output ``x`` of the layer below (``None`` for the first) and the layer's own state;
    ``project(out)``: the top layer's ``(..., H)`` output to ``(..., 3)``; ``dropout(x)``:
    applied between layers; ``fast``: :func:`fast_lstm_update` instead of :func:`lstm_update`;
    ``anchor(zeros)``: applied to the zero states and point the recurrence starts from, on which
    every step depends (:meth:`~.deferred.DeferredWeights.anchor`). Returns ``raw: (..., T, 3)`` stacked on the second-to-last axis.
    """
    update = fast_lstm_update if fast else lstm_update
    last = config.layers - 1
    start = new_zeros(config.hidden + 6)   # every zero state at once, so that one anchor covers them
    if anchor is not None:
        start = anchor(start)
    zeros, last_state, previous = start.split([config.hidden, 3, 3], dim=-1)
    cells = [zeros] * config.layers
    states = [zeros] * last + [last_state]
    outputs = []
    for _ in range(config.points):
        x = None
        for k in range(config.layers):
            if k:
                x = dropout(x)
            out, cells[k] = update(gates(k, previous, x, states[k]), cells[k])
            states[k] = project(out) if k == last else out
            x = states[k]
        raw, previous = activate(x, config.third_activation, config.feedback)
        outputs.append(raw)
    return torch.stack(outputs, dim=-2)


def init_lstm_(weight: torch.Tensor, bias: torch.Tensor, hidden: int, init: str = "torch", rows: int = 0) -> None:
    """Initialise one LSTM layer's ``weight`` (a block of its kernel) and ``bias``; the forget-gate bias is 1.

    ``init="torch"``: PyTorch's uniform(+-1/sqrt(H)) for weights and biases. ``"tensorflow"``:
    TF1 ``LSTMCell``'s defaults, Glorot uniform over its one ``[input; recurrent] -> 4H`` kernel
    of ``rows`` rows (every block of it gets the same bound) and zero biases; TensorFlow adds its
    ``forget_bias=1`` in the cell, which a forget bias that starts at 1 matches exactly.
    """
    with torch.no_grad():
        if init == "tensorflow":
            bound = math.sqrt(6.0 / (rows + 4 * hidden))
            weight.uniform_(-bound, bound)
            bias.zero_()
        else:
            bound = 1.0 / math.sqrt(hidden)
            weight.uniform_(-bound, bound)
            bias.uniform_(-bound, bound)
        bias[..., hidden:2 * hidden] = 1.0


def init_projection_(projection: torch.Tensor, hidden: int, init: str = "torch") -> None:
    """The output projection (hidden -> 3): uniform(+-1/sqrt(H)) like a linear layer, or Glorot (``"tensorflow"``)."""
    bound = math.sqrt(6.0 / (hidden + 3)) if init == "tensorflow" else 1.0 / math.sqrt(hidden)
    with torch.no_grad():
        projection.uniform_(-bound, bound)


class PointModel(nn.Module):
    """What every handwriting model shares: ``config``, ``forward`` -> raw points, and :meth:`draw`."""

    config: ModelConfig

    def draw(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Inference: ``images: (B, 28, 28)`` in [0, 1], ``labels: (B,)`` -> ``points: (B, T, 3)``.

        Points follow :mod:`mnist_handwriting.strokes` (x, y clipped to [0, 1], pen_up 0/1,
        last point 1); see :func:`pen_up_flags` for how the raw third value becomes pen_up.
        """
        with evaluating(self, torch.no_grad):
            return pen_up_flags(self(images, labels, fast=True).float(), self.rasteriser())

    def rasteriser(self) -> nn.Module:
        """The rasteriser that gives the third output its meaning, built once per device (not a submodule:
        its weights, if any, are not the model's)."""
        from ..render import make_rasteriser

        device = next(self.parameters()).device
        cached = self.__dict__.get("_rasteriser")
        if cached is None or cached[0] != device:
            cached = self.__dict__["_rasteriser"] = (device, make_rasteriser(self.config.rasteriser).to(device))
        return cached[1]


def pen_up_flags(raw: torch.Tensor, rasteriser: nn.Module) -> torch.Tensor:
    """Raw model output ``(B, T, 3)`` -> points ``(B, T, 3)`` with pen_up flags 0/1.

    Rule, the same for every rasteriser: the segment from point i to i + 1 is pen-down
    iff the rasteriser renders it with a peak intensity of at least ``PEN_DRAWN`` (0.05),
    i.e. iff it leaves a visible line in the reconstruction the model was trained on,
    not a faint haze. The rule comes from the rasteriser itself (``rasteriser.drawn``)
    instead of a per-rasteriser constant (soft-line: a low softness spreads the segment
    into a near-uniform 1/64; learned-line: a pen-up probability near 1 renders no line);
    the soft line decides it from closed-form peak bounds without rendering.
    The last point is always pen_up = 1.
    """
    pen_up = torch.ones(raw.shape[:2], dtype=raw.dtype, device=raw.device)
    pen_up[:, :-1] = (~rasteriser.drawn(raw, PEN_DRAWN)).to(raw.dtype)
    return absorb_dots(torch.cat([raw[..., :2].clamp(0.0, 1.0), pen_up.unsqueeze(-1)], dim=-1))


def absorb_dots(points: torch.Tensor) -> torch.Tensor:
    """Turn lone pen-down points into pen moves: ``points: (B, T, 3)`` -> same shape, no dots.

    A point with pen lifts on both sides is a stroke of one point: the exact renderer
    would draw it as a dot, but the model only used it to move the pen (its segments are
    invisible in the reconstruction; most often the first point). Each such point moves
    onto the next point and joins its stroke, so the trajectory keeps its T points and
    its image but draws no dot. Lone points at the end (no stroke after them) all move onto
    the end of the last stroke before them and join it. Only a trajectory of lone points
    alone is left as one dot (all its points at the first).
    """
    points = points.clone()
    pen_up = points[..., 2] > 0.5
    lone = pen_up & torch.cat([torch.ones_like(pen_up[:, :1]), pen_up[:, :-1]], dim=1)
    # tail[:, i]: points i.. are all lone (a suffix cumulative "all"); point 0 never moves back.
    tail = lone.flip(1).int().cumprod(dim=1).flip(1).bool()
    for i in range(1, points.shape[1]):
        rows = tail[:, i]
        points[rows, i, :2] = points[rows, i - 1, :2]
        points[rows, i - 1, 2] = 0.0
        pen_up[rows, i - 1] = False
    for i in range(points.shape[1] - 2, -1, -1):
        lone = pen_up[:, i] & (pen_up[:, i - 1] if i > 0 else torch.ones_like(pen_up[:, i]))
        points[lone, i, :2] = points[lone, i + 1, :2]
        points[lone, i, 2] = 0.0
        pen_up[lone, i] = False
    return points


class HandwritingLSTM(PointModel):
    """Stacked LSTMs (``config.layers`` x ``config.hidden``), the last projecting to 3 (note, "But how?")."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config.validate()
        hidden, layers = config.hidden, config.layers
        # The image + label part of layer 1's input is constant over the T steps, so its
        # projection is computed once per sequence (static) and only the previous point and
        # the recurrent state are multiplied at every step (step).
        self.static = nn.Linear(IMAGE_FEATURES + CLASSES, 4 * hidden)
        recurrent = [3 if layer == layers - 1 else hidden for layer in range(layers)]
        inputs = [3] + [hidden] * (layers - 1)
        self.step = nn.ParameterList(
            nn.Parameter(torch.empty(inputs[k] + recurrent[k], 4 * hidden)) for k in range(layers))
        self.bias = nn.ParameterList(nn.Parameter(torch.empty(4 * hidden)) for _ in range(layers - 1))
        self.projection = nn.Parameter(torch.empty(hidden, 3))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        hidden, init = self.config.hidden, self.config.init
        rows = [IMAGE_FEATURES + CLASSES + len(weight) if k == 0 else len(weight) for k, weight in enumerate(self.step)]
        init_lstm_(self.static.weight, self.static.bias, hidden, init, rows[0])
        for k, weight in enumerate(self.step):
            init_lstm_(weight, self.bias[k - 1] if k else self.static.bias, hidden, init, rows[k])
        init_projection_(self.projection, hidden, init)

    def forward(self, images: torch.Tensor, labels: torch.Tensor, fast: bool = False) -> torch.Tensor:
        """``images: (B, 28, 28)`` in [0, 1], ``labels: (B,)`` -> ``raw: (B, T, 3)``; ``fast``: see :func:`unroll`."""
        check_inputs(images, labels, self.projection.dtype)
        config = self.config
        static = self.static(model_inputs(images, labels, self.config.input_blur))
        deferred = DeferredWeights(list(self.step))

        def gates(k, previous, x, state):
            joined = torch.cat([previous if k == 0 else x, state], dim=1)
            return (static if k == 0 else self.bias[k - 1]) + deferred.mm(joined, k)

        return unroll(config, lambda width: images.new_zeros(len(images), width), gates,
                      lambda out: out @ self.projection,
                      lambda x: nn.functional.dropout(x, config.dropout, self.training), fast, deferred.anchor)
