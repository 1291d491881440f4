"""A small untrained proposals model (issue 16) saved for the tests of the commands, the server and the page."""

from pathlib import Path

import torch

from mnist_handwriting.models import ModelConfig, ProposalEnsemble
from mnist_handwriting.models.registry import save_model


def save_proposals_model(path: Path) -> Path:
    """K = 3, 3x8 ensembles drawing 6 points, odds that differ by class and image; written to ``path``."""
    torch.manual_seed(0)
    model = ProposalEnsemble(ModelConfig(kind="proposals", proposals=3, hidden=8, points=6, third_activation="exp"))
    with torch.no_grad():
        model.odds_out.normal_(0.0, 2.0)
    save_model(model, path, metrics={}, command="test")
    return path
