"""Several ways to draw one digit (issue 16): the per-digit ensemble proposing K drawing orders with their odds.

A picture does not say whether its writer drew a 5's bar first or last, or where on its loop a 0
began. :class:`ProposalEnsemble` is the routed ensemble (:class:`~.ensemble.DigitEnsemble`) plus,
per class, K learned *proposal* vectors added to its first layer's gates, so the same network
draws K trajectories of one image, and a small *odds* head (per class: the input features ->
``ODDS_HIDDEN`` ReLU units -> K logits) that says how likely a person is to draw each of them.
Training (:mod:`mnist_handwriting.train.loop`, ``paired_step``) lets the proposal closest to the
writer's own trajectory take the trajectory losses (winner takes all, the others a small share)
and teaches the odds head which proposal won; every proposal is kept faithful to the image by the
reconstruction loss.

``forward`` and ``draw`` return the most probable proposal, so everything that takes a model works
with this one unchanged; :meth:`ProposalEnsemble.proposals` and :meth:`draw_proposals` return all K.
"""

from __future__ import annotations

import torch
from torch import nn

from ..inference import evaluating
from .ensemble import DigitEnsemble
from .handwriting_lstm import CLASSES, IMAGE_FEATURES, ModelConfig, check_inputs, model_inputs, pen_up_flags

ODDS_HIDDEN = 32
"""Hidden units per class of the odds head."""
PROPOSAL_INIT = 0.5
"""Standard deviation of proposals 1..K-1 at initialisation (gate pre-activation units): large enough that the K
proposals start apart, so that the winner-takes-all training can let them specialise. Proposal 0 starts at zero,
so a model started from an ensemble (``init_model``) first draws exactly what that ensemble draws."""


class ProposalEnsemble(DigitEnsemble):
    """:class:`DigitEnsemble` with ``config.proposals`` drawing orders per image and their odds."""

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        count = config.proposals
        self.proposal = nn.Parameter(torch.empty(CLASSES, count, 4 * config.hidden))
        self.odds_in = nn.Parameter(torch.empty(CLASSES, IMAGE_FEATURES + CLASSES, ODDS_HIDDEN))
        self.odds_out = nn.Parameter(torch.empty(CLASSES, ODDS_HIDDEN + 1, count))   # last row: the bias
        with torch.no_grad():
            self.proposal.normal_(0.0, PROPOSAL_INIT)
            self.proposal[:, 0] = 0.0   # proposal 0, the most probable at even odds, starts as the ensemble itself
            self.odds_in.uniform_(-1.0, 1.0).mul_((IMAGE_FEATURES + CLASSES) ** -0.5)
            self.odds_out.zero_()   # even odds until training says otherwise

    def odds(self, inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Proposal logits ``(B, K)`` from ``inputs: (B, 794)`` (:func:`model_inputs`) and ``labels: (B,)``."""
        hidden = torch.relu(torch.einsum("bi,bih->bh", inputs, self.odds_in[labels]))
        out = self.odds_out[labels]
        return torch.einsum("bh,bhk->bk", hidden, out[:, :-1]) + out[:, -1]

    def proposals(self, images: torch.Tensor, labels: torch.Tensor,
                  fast: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Every proposal: ``images: (B, 28, 28)``, ``labels: (B,)`` -> ``raw: (B, K, T, 3)`` and ``logits: (B, K)``."""
        check_inputs(images, labels, self.projection.dtype)
        count = self.config.proposals
        inputs = model_inputs(images, labels, self.config.input_blur)
        repeated = labels.repeat_interleave(count)
        offset = self.proposal[labels].flatten(0, 1)                     # (B * K, 4H), proposal k of sample b at b * K + k
        raw = self.routed(inputs.repeat_interleave(count, dim=0), repeated, offset, fast)
        return raw.view(len(labels), count, *raw.shape[1:]), self.odds(inputs, labels)

    def forward(self, images: torch.Tensor, labels: torch.Tensor, fast: bool = False) -> torch.Tensor:
        """The most probable proposal: ``images: (B, 28, 28)``, ``labels: (B,)`` -> ``raw: (B, T, 3)``."""
        check_inputs(images, labels, self.projection.dtype)
        inputs = model_inputs(images, labels, self.config.input_blur)
        best = self.odds(inputs, labels).argmax(dim=1)
        return self.routed(inputs, labels, self.proposal[labels, best], fast)

    def draw_proposals(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Inference: ``points: (B, K, T, 3)`` (as :meth:`draw`) and ``probabilities: (B, K)``, rows summing to 1."""
        with evaluating(self, torch.no_grad):
            raw, logits = self.proposals(images, labels, fast=True)
            points = pen_up_flags(raw.float().flatten(0, 1), self.rasteriser()).view(raw.shape)
            return points, torch.softmax(logits.float(), dim=1)


__all__ = ["ProposalEnsemble", "ODDS_HIDDEN", "PROPOSAL_INIT"]
