"""The per-digit model as the note's repository builds it: one LSTM whose units the label splits among the classes.

The repository (Grzego/mnist-handwriting-dataset, ``train.py``) runs three LSTM layers of 640
units and multiplies the outputs of layers 1 and 2 by the one-hot label tiled 64 times, so
unit ``j`` belongs to class ``j mod 10`` and only the label's 64 units pass on to the next
layer. Every layer also reads the label and the previous point. What the mask leaves alone:
each layer's recurrence runs over all of its units, layer 1 reads the image into all of
them, and the last layer's projection to the point reads all of its units. So this is one
3x640 network in which the label picks the units that carry information upwards, not ten
separate 3x64 models (:class:`~.ensemble.DigitEnsemble`, the note's text): about twelve
times the parameters and six times the work of the routed ensemble.

Parameters are stored per block of TensorFlow's ``[input; recurrent] -> 4H`` kernels; the
image + label part of layer 1 and the label part of layers 2.. are constant over the T steps
and computed once per sequence.
"""

from __future__ import annotations

import torch
from torch import nn

from .deferred import DeferredWeights
from .ensemble import class_slots
from .handwriting_lstm import (CLASSES, IMAGE_FEATURES, ModelConfig, PointModel, check_inputs, init_lstm_,
                               init_projection_, model_inputs, unroll)


class MaskedLSTM(PointModel):
    """Stacked LSTMs of ``config.hidden`` units (640 in the repository), the label masking what passes between layers."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config.validate()
        hidden, layers = config.hidden, config.layers
        self.static = nn.Parameter(torch.empty(IMAGE_FEATURES + CLASSES, 4 * hidden))   # layer 1: image, label
        self.label = nn.Parameter(torch.empty(layers - 1, CLASSES, 4 * hidden))         # layers 2..: label
        # step: [previous point, masked layer input (layers 2..), recurrent state] -> gates.
        recurrent = [3 if k == layers - 1 else hidden for k in range(layers)]
        inputs = [3] + [3 + hidden] * (layers - 1)
        self.step = nn.ParameterList(
            nn.Parameter(torch.empty(inputs[k] + recurrent[k], 4 * hidden)) for k in range(layers))
        self.bias = nn.Parameter(torch.empty(layers, 4 * hidden))
        self.projection = nn.Parameter(torch.empty(hidden, 3))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        hidden, init = self.config.hidden, self.config.init
        rows = [len(weight) + (IMAGE_FEATURES + CLASSES if k == 0 else CLASSES) for k, weight in enumerate(self.step)]
        init_lstm_(self.static, self.bias[0], hidden, init, rows[0])
        for k, weight in enumerate(self.step):
            init_lstm_(weight, self.bias[k], hidden, init, rows[k])
            if k:
                init_lstm_(self.label[k - 1], self.bias[k], hidden, init, rows[k])
        init_projection_(self.projection, hidden, init)

    def forward(self, images: torch.Tensor, labels: torch.Tensor, fast: bool = False) -> torch.Tensor:
        """``images: (B, 28, 28)`` in [0, 1], ``labels: (B,)`` -> ``raw: (B, T, 3)``; ``fast``: see :func:`unroll`."""
        check_inputs(images, labels, self.projection.dtype)
        config = self.config
        hidden, per_class = config.hidden, config.hidden // CLASSES
        inputs = model_inputs(images, labels, config.input_blur)
        onehot = inputs[:, IMAGE_FEATURES:]
        constant = [torch.addmm(self.bias[0], inputs, self.static)]
        constant += [torch.addmm(self.bias[k], onehot, self.label[k - 1]) for k in range(1, config.layers)]
        # The masked input (out * mask) @ W reads only the label's units, so it is computed as the
        # sample's 64 units times its class's 64 rows of W (samples grouped by class, one bmm)
        # instead of all 640 rows: 1.55x faster on a CPU. Row j of W is unit j, class j mod 10.
        slot, group = class_slots(labels)
        units = labels[:, None] + CLASSES * torch.arange(per_class, device=labels.device)   # (B, H / 10)
        # One split per layer, not three slices: a slice's backward writes a zero-filled copy of the whole weight.
        blocks = [self.step[0].split([3, len(self.step[0]) - 3])] + \
            [self.step[k].split([3, hidden, len(self.step[k]) - 3 - hidden]) for k in range(1, config.layers)]
        rest = [self.step[0]] + [torch.cat([point, state]) for point, _, state in blocks[1:]]   # point and state rows
        from_below = [block[1].view(per_class, CLASSES, -1).transpose(0, 1) for block in blocks[1:]]  # (10, H / 10, 4H)
        deferred = DeferredWeights(rest + from_below)

        def gates(k, previous, mine, state):
            base = constant[k]
            if k:   # mine: (B, H / 10), the sample's own units of the layer below
                padded = mine.new_zeros(CLASSES * group, per_class).index_copy(0, slot, mine)
                below = deferred.mm(padded.view(CLASSES, group, per_class), config.layers + k - 1)
                base = base + below.flatten(0, 1)[slot]
            return base + deferred.mm(torch.cat([previous, state], dim=1), k)

        return unroll(config, lambda width: images.new_zeros(len(images), width), gates,
                      lambda out: out @ self.projection,
                      lambda x: nn.functional.dropout(x.gather(1, units), config.dropout, self.training), fast,
                      deferred.anchor)
