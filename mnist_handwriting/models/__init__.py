"""Handwriting models: images + labels in, point sequences out.

Every model is an ``nn.Module`` with a ``config`` (:class:`ModelConfig`), ``forward`` giving
raw points ``(B, T, 3)`` for the rasteriser and ``draw`` giving points in the
:mod:`mnist_handwriting.strokes` convention. Saving and loading: :mod:`.registry`.
"""

from __future__ import annotations

from .ensemble import DigitEnsemble
from .handwriting_lstm import HandwritingLSTM, ModelConfig, PointModel, pen_up_flags
from .masked import MaskedLSTM
from .proposals import ProposalEnsemble


def build_model(config: ModelConfig) -> PointModel:
    """A freshly initialised model for ``config`` (CPU, float32)."""
    config.validate()
    return {"ensemble": DigitEnsemble, "masked": MaskedLSTM, "proposals": ProposalEnsemble}.get(config.kind, HandwritingLSTM)(config)


__all__ = ["DigitEnsemble", "HandwritingLSTM", "MaskedLSTM", "ModelConfig", "PointModel", "ProposalEnsemble",
           "build_model", "pen_up_flags"]
