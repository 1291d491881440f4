"""Training losses (note, "Generating handwriting" and "Different losses").

All take raw model output ``raw: (B, T, 3)`` (x, y in the unit square).
"""

from __future__ import annotations

import torch

DIRECTION_EPS = 1e-7
"""Added under the square root when normalising segment directions (the note's value)."""


def reconstruction_loss(rendered: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """MSE between ``rendered: (B, 28, 28)`` and the thinned inputs ``images: (B, 28, 28)`` in [0, 1]."""
    return reconstruction_errors(rendered, images).mean()


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
    return point_errors(raw, target).mean()


UNREACHABLE = 1e10
"""Soft-DTW cost of cells outside the table: finite (an infinity would give NaN gradients through
``logsumexp``) and far above any real cost (squared distances in the unit square are <= 2)."""
PEN_LOGIT_SCALE = 4.0
"""Slope of the pen-down logit in log-peak units (see :func:`pen_errors`)."""


def point_errors(raw: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Direct point loss of each sample ``(B,)``: MSE on x, y, point i against point i of ``target: (B, T, 3)``
    (arc-length resampled)."""
    return torch.mean((raw[..., :2].float() - target[..., :2]) ** 2, dim=(1, 2))


def soft_dtw(a: torch.Tensor, b: torch.Tensor, gamma: float) -> torch.Tensor:
    """Soft-DTW (Cuturi & Blondel 2017) between ``a: (B, n, 2)`` and ``b: (B, m, 2)``, squared Euclidean cost -> ``(B,)``.

    ``R[i, j] = C[i, j] + softmin_gamma(R[i-1, j-1], R[i-1, j], R[i, j-1])`` with
    ``softmin_gamma(v) = -gamma * logsumexp(-v / gamma)``; computed one anti-diagonal at a
    time, batched over the samples (n + m - 1 small steps for T = 20..48).
    """
    batch, n, m = a.shape[0], a.shape[1], b.shape[1]
    cost = ((a[:, :, None, :] - b[:, None, :, :]) ** 2).sum(-1)          # (B, n, m)
    big = cost.new_tensor(UNREACHABLE)
    # Anti-diagonal d holds R[i, d - i]; rows of the (n + 1) x (m + 1) table with the boundary.
    previous2 = cost.new_full((batch, n + 1), UNREACHABLE)                         # diagonal d - 2
    previous2[:, 0] = 0.0                                                  # R[0, 0] = 0
    previous1 = cost.new_full((batch, n + 1), UNREACHABLE)                         # diagonal d - 1 (all boundary)
    rows = torch.arange(n + 1, device=a.device)
    for diagonal in range(2, n + m + 1):
        i = rows[1:]                                                       # candidate rows 1..n
        j = diagonal - i
        valid = (j >= 1) & (j <= m)
        c = cost[:, (i - 1).clamp(0, n - 1), (j - 1).clamp(0, m - 1)]        # (B, n)
        options = torch.stack([previous2[:, :-1], previous1[:, :-1], previous1[:, 1:]], dim=-1)
        # diag (i-1, j-1) is on d - 2 at row i - 1; up (i-1, j) on d - 1 at row i - 1; left (i, j-1) on d - 1 at row i.
        value = c - gamma * torch.logsumexp(-options / gamma, dim=-1)
        current = torch.cat([cost.new_full((batch, 1), UNREACHABLE), torch.where(valid, value, big)], dim=1)
        previous2, previous1 = previous1, current
    return previous1[:, n]


def soft_dtw_divergences(raw: torch.Tensor, target: torch.Tensor, gamma: float) -> torch.Tensor:
    """DTW-aligned point loss of each sample ``(B,)``: the soft-DTW divergence (Blondel et al. 2021) on x, y, per point.

    ``sdtw(a, b) - (sdtw(a, a) + sdtw(b, b)) / 2`` is 0 for identical sequences and small for
    a copy sampled at another speed, so the model is not punished for where along its path
    it puts its points; divided by ``T`` to be on the scale of :func:`point_errors` (x2).
    """
    a, b = raw[..., :2].float(), target[..., :2].float()
    divergence = soft_dtw(a, b, gamma) - (soft_dtw(a, a, gamma) + soft_dtw(b, b, gamma)) / 2
    return divergence / a.shape[1]


def pen_logits(segments: torch.Tensor) -> torch.Tensor:
    """Pen-down logits ``(B, T - 1)`` from rendered ``segments: (B, T - 1, S, S)``.

    Calibrated on the drawing rule (:func:`mnist_handwriting.models.pen_up_flags`): a segment
    is pen-down iff its peak intensity reaches ``PEN_DRAWN``, so the logit is
    ``PEN_LOGIT_SCALE * log(peak / PEN_DRAWN)``: positive exactly when ``draw`` says pen-down.
    """
    from ..models.handwriting_lstm import PEN_DRAWN

    peaks = segments.amax(dim=(-2, -1)).clamp_min(1e-6)
    return PEN_LOGIT_SCALE * torch.log(peaks / PEN_DRAWN)


def pen_errors(segments: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Pen-up as classification, per sample ``(B,)``: BCE of :func:`pen_logits` against ``target: (B, T, 3)``'s
    pen lifts (segment i is pen-down iff ``target[:, i, 2] == 0``)."""
    down = 1.0 - target[:, :-1, 2].float()
    return torch.nn.functional.binary_cross_entropy_with_logits(pen_logits(segments.float()), down,
                                                                reduction="none").mean(dim=1)


def reconstruction_errors(rendered: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """:func:`reconstruction_loss` of each sample: ``(B,)``."""
    return torch.mean((rendered.float() - images) ** 2, dim=(1, 2))
