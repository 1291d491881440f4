"""Training losses (note, "Generating handwriting" and "Different losses").

All take raw model output ``raw: (B, T, 3)`` (x, y in the unit square).
"""

from __future__ import annotations

import torch

DIRECTION_EPS = 1e-7
"""Added under the square root when normalising segment directions (the note's value)."""


def reconstruction_loss(rendered: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """MSE between ``rendered: (B, 28, 28)`` and the thinned inputs ``images: (B, 28, 28)`` in [0, 1]."""
    return torch.mean((rendered.float() - images) ** 2)


def distance_loss(raw: torch.Tensor) -> torch.Tensor:
    """Mean length of the ``T - 1`` segments (note: penalises very long lines)."""
    return torch.linalg.vector_norm(raw[:, 1:, :2] - raw[:, :-1, :2], dim=-1).mean()


def angle_loss(raw: torch.Tensor) -> torch.Tensor:
    """``1 - mean cosine`` between consecutive segment directions (note: penalises sharp turns)."""
    vectors = raw[:, 1:, :2] - raw[:, :-1, :2]
    vectors = vectors / torch.sqrt((vectors ** 2).sum(-1, keepdim=True) + DIRECTION_EPS)
    return 1.0 - (vectors[:, 1:] * vectors[:, :-1]).sum(-1).mean()


def human_loss(raw: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MSE on x, y between ``raw: (B, T, 3)`` and human samples ``target: (B, T, 3)`` resampled to T."""
    return torch.mean((raw[..., :2].float() - target[..., :2]) ** 2)
