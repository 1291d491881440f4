"""Several ways to draw one digit (issue 16): K routed ensembles proposing K drawing orders, with their odds.

A picture does not say whether its writer drew a 5's bar first or last, or where on its loop a 0
began. :class:`ProposalEnsemble` holds K copies of the routed ensemble (:class:`~.ensemble.DigitEnsemble`,
``drawers``), each drawing one proposal of every image, and a small *odds* head (per class: the input
features -> ``ODDS_HIDDEN`` ReLU units -> K logits) that says how likely a person is to draw each of
them. The copies share no weights: when they shared all but a per-proposal offset of the first layer's
gates, training on different drawing orders moved the shared weights to their mean and the K proposals
stayed within half a pixel of each other (docs/RESULTS.md). Training (:mod:`mnist_handwriting.train.loop`,
``paired_step``) gives each writer's trajectory to one proposal (first by its drawing-order cluster,
:mod:`mnist_handwriting.train.orders`, then to the nearest) and teaches the odds head which one took it;
every proposal is kept faithful to the image by the reconstruction loss.

``forward`` and ``draw`` return the most probable proposal, so everything that takes a model works
with this one unchanged; :meth:`ProposalEnsemble.proposals` and :meth:`draw_proposals` return all K.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from ..inference import evaluating
from .ensemble import DigitEnsemble
from .handwriting_lstm import (CLASSES, IMAGE_FEATURES, ModelConfig, PointModel, check_inputs, model_inputs,
                               pen_up_flags)

ODDS_HIDDEN = 32
"""Hidden units per class of the odds head."""


class ProposalEnsemble(PointModel):
    """``config.proposals`` routed ensembles drawing K orders per image, and their odds."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config.validate()
        single = dataclasses.replace(config, kind="ensemble", proposals=1)
        self.drawers = nn.ModuleList(DigitEnsemble(single) for _ in range(config.proposals))
        self.odds_in = nn.Parameter(torch.empty(CLASSES, IMAGE_FEATURES + CLASSES, ODDS_HIDDEN))
        self.odds_out = nn.Parameter(torch.empty(CLASSES, ODDS_HIDDEN + 1, config.proposals))   # last row: the bias
        with torch.no_grad():
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
        check_inputs(images, labels, self.odds_in.dtype)
        inputs = model_inputs(images, labels, self.config.input_blur)
        raw = torch.stack([drawer.routed(inputs, labels, fast) for drawer in self.drawers], dim=1)
        return raw, self.odds(inputs, labels)

    def forward(self, images: torch.Tensor, labels: torch.Tensor, fast: bool = False) -> torch.Tensor:
        """The most probable proposal: ``images: (B, 28, 28)``, ``labels: (B,)`` -> ``raw: (B, T, 3)``."""
        check_inputs(images, labels, self.odds_in.dtype)
        inputs = model_inputs(images, labels, self.config.input_blur)
        best = self.odds(inputs, labels).argmax(dim=1)
        chosen = [torch.nonzero(best == k)[:, 0] for k in range(len(self.drawers))]
        # each sample drawn by its most probable proposal's ensemble only
        raw = torch.cat([drawer.routed(inputs[rows], labels[rows], fast) for drawer, rows in zip(self.drawers, chosen)])
        return raw[torch.argsort(torch.cat(chosen))]

    def draw_proposals(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Inference: ``points: (B, K, T, 3)`` (as :meth:`draw`) and ``probabilities: (B, K)``, rows summing to 1."""
        with evaluating(self, torch.no_grad):
            raw, logits = self.proposals(images, labels, fast=True)
            points = pen_up_flags(raw.float().flatten(0, 1), self.rasteriser()).view(raw.shape)
            return points, torch.softmax(logits.float(), dim=1)


__all__ = ["ProposalEnsemble", "ODDS_HIDDEN"]
