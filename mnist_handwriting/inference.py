"""Running a trained module for its answers: eval mode without gradients, its training mode restored after."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import torch
from torch import nn


@contextmanager
def evaluating(module: nn.Module, grad_mode: Callable = torch.inference_mode) -> Iterator[nn.Module]:
    """``module`` in eval mode (no dropout) under ``grad_mode`` (``torch.inference_mode``, or ``torch.no_grad``
    for results that may later meet autograd) for the block; its ``training`` flag is put back afterwards."""
    was_training = module.training
    module.eval()
    try:
        with grad_mode():
            yield module
    finally:
        module.train(was_training)
