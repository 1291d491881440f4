"""The note's best model as its text describes it: one small LSTM per digit class (note, "Separate model for each digit").

Per class: ``config.layers`` LSTM layers of ``config.hidden`` units (64 in the note), the
last projecting to 3; every layer (not just the first) also receives the previous point
and the one-hot label. The weights of the ten models are stacked on a leading class axis.

The batch is regrouped by class once per sequence (each class's samples in one padded group)
and every step is one batched matmul of each group with its own class's weights only.
:meth:`masked_forward` runs all ten models on every sample and masks the outputs by the
label: the reference the routed computation must equal. This is *not* the note's repository,
whose 640-unit layers share their recurrence across the classes (:mod:`.masked`).
"""

from __future__ import annotations


import torch
from torch import nn

from .handwriting_lstm import (CLASSES, IMAGE_FEATURES, ModelConfig, PointModel, activate, check_inputs,
                               init_lstm_, init_projection_, lstm_update, model_inputs, unroll)


def class_slots(labels: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Route a batch by class: ``labels: (B,)`` -> (``slot: (B,)``, ``G``).

    Sample b goes to row ``slot[b]`` of a ``(10 * G, ...)`` tensor viewed as ``(10, G, ...)``:
    its class's group, groups padded to the largest class count ``G``, so every step is one
    batched matmul (10, G, in) x (10, in, out) that reads each class's weights once. Padding
    rows compute on zeros and are never read.
    """
    counts = torch.bincount(labels, minlength=CLASSES)
    group = max(int(counts.max()), 1)   # counts has 10 entries even for an empty batch
    order = torch.argsort(labels, stable=True)
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.empty_like(labels)
    rank[order] = torch.arange(len(labels), device=labels.device) - starts[labels[order]]
    return labels * group + rank, group


class DigitEnsemble(PointModel):
    """Ten per-class handwriting LSTMs with routed computation."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config.validate()
        hidden, layers = config.hidden, config.layers
        # static: image + label of layer 1, applied once per sequence.
        self.static = nn.Parameter(torch.empty(CLASSES, IMAGE_FEATURES + CLASSES, 4 * hidden))
        # label: the one-hot label input of layers 2.. (constant per sequence, so a per-class bias).
        self.label = nn.Parameter(torch.empty(CLASSES, layers - 1, CLASSES, 4 * hidden))
        # step: [previous point, layer input (layers 2..), recurrent state] -> gates, per class.
        recurrent = [3 if k == layers - 1 else hidden for k in range(layers)]
        inputs = [3] + [3 + hidden] * (layers - 1)
        self.step = nn.ParameterList(
            nn.Parameter(torch.empty(CLASSES, inputs[k] + recurrent[k], 4 * hidden)) for k in range(layers))
        self.bias = nn.Parameter(torch.empty(CLASSES, layers, 4 * hidden))
        self.projection = nn.Parameter(torch.empty(CLASSES, hidden, 3))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        hidden, init = self.config.hidden, self.config.init
        # Rows of each class's whole layer kernel (for the "tensorflow" Glorot bound): layer 1
        # [image, label, point, state], layers 2.. [point, input, state] plus the label block.
        rows = [weight.shape[1] + (IMAGE_FEATURES + CLASSES if k == 0 else CLASSES) for k, weight in enumerate(self.step)]
        init_lstm_(self.static, self.bias, hidden, init, rows[0])
        if init == "tensorflow":   # one Glorot bound per layer
            for k in range(1, self.config.layers):
                init_lstm_(self.label[:, k - 1], torch.empty(4 * hidden), hidden, init, rows[k])
        else:                      # one call, so seeded torch inits stay what they were
            init_lstm_(self.label, torch.empty(4 * hidden), hidden)
        for k, weight in enumerate(self.step):
            init_lstm_(weight, torch.empty(4 * hidden), hidden, init, rows[k])
        init_projection_(self.projection, hidden, init)

    def forward(self, images: torch.Tensor, labels: torch.Tensor, fast: bool = False) -> torch.Tensor:
        """``images: (B, 28, 28)`` in [0, 1], ``labels: (B,)`` -> ``raw: (B, T, 3)``; ``fast``: see :func:`unroll`."""
        check_inputs(images, labels, self.projection.dtype)
        return self.routed(model_inputs(images, labels, self.config.input_blur), labels, fast=fast)

    def routed(self, inputs: torch.Tensor, labels: torch.Tensor, fast: bool = False) -> torch.Tensor:
        """The routed recurrence on checked ``inputs: (B, 794)`` (:func:`model_inputs`) -> ``raw: (B, T, 3)``."""
        config = self.config
        slot, group = class_slots(labels)
        padded = inputs.new_zeros(CLASSES * group, inputs.shape[1]).index_copy(0, slot, inputs)
        padded = padded.view(CLASSES, group, -1)
        label_rows = self.label[torch.arange(CLASSES), :, torch.arange(CLASSES)]   # (10, L - 1, 4H)
        constant = [torch.bmm(padded, self.static) + self.bias[:, None, 0]]
        constant += [(label_rows[:, k - 1] + self.bias[:, k])[:, None] for k in range(1, config.layers)]

        def gates(k, previous, x, state):
            joined = torch.cat([previous, state] if k == 0 else [previous, x, state], dim=2)
            return torch.baddbmm(constant[k], joined, self.step[k])

        raw = unroll(config, lambda width: inputs.new_zeros(CLASSES, group, width), gates,
                     lambda out: torch.bmm(out, self.projection),
                     lambda x: nn.functional.dropout(x, config.dropout, self.training), fast)
        return raw.view(CLASSES * group, config.points, 3)[slot]

    def masked_forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """All ten models on every sample, outputs masked by label (the ten separate models' plain computation).

        Ten times the work of :meth:`forward`; kept as its reference (tests, benchmark).
        No dropout. ``images: (B, 28, 28)``, ``labels: (B,)`` -> ``raw: (B, T, 3)``.
        """
        check_inputs(images, labels, self.projection.dtype)
        config = self.config
        batch, hidden, last = len(images), config.hidden, config.layers - 1
        inputs = model_inputs(images, labels, config.input_blur)
        onehot = inputs[:, IMAGE_FEATURES:]
        mask = onehot.unsqueeze(-1)                                               # (B, 10, 1)
        constant = [torch.einsum("bi,cio->bco", inputs, self.static) + self.bias[:, 0]]
        constant += [torch.einsum("bi,cio->bco", onehot, self.label[:, k - 1]) + self.bias[:, k]
                     for k in range(1, config.layers)]
        zeros = images.new_zeros(batch, CLASSES, hidden)
        cells = [zeros] * config.layers
        states = [zeros] * last + [images.new_zeros(batch, CLASSES, 3)]
        previous = images.new_zeros(batch, 3)
        outputs = []
        for _ in range(config.points):
            x = None
            shared = previous.unsqueeze(1).expand(batch, CLASSES, 3)
            for k in range(config.layers):
                joined = torch.cat([shared, states[k]] if k == 0 else [shared, x, states[k]], dim=2)
                gates = constant[k] + torch.einsum("bci,cio->bco", joined, self.step[k])
                out, cells[k] = lstm_update(gates, cells[k])
                states[k] = torch.einsum("bch,cho->bco", out, self.projection) if k == last else out
                x = states[k]
            raw, fed = activate(x, config.third_activation, config.feedback)
            previous = (fed * mask).sum(dim=1)
            outputs.append((raw * mask).sum(dim=1))
        return torch.stack(outputs, dim=1)
