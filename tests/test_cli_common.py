"""Options shared by the subcommands: --device parsing."""

from __future__ import annotations

import pytest
import torch

from mnist_handwriting.cli.common import torch_device
from mnist_handwriting.errors import UserError


def test_torch_device_accepts_cpu_and_rejects_nonsense():
    assert torch_device("cpu") == torch.device("cpu")
    with pytest.raises(UserError, match="unknown device 'gpu'"):
        torch_device("gpu")


def test_torch_device_rejects_a_missing_cuda_index(monkeypatch):
    # cuda:3 on a one-GPU machine passed the check and failed later with a CUDA traceback.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert torch_device("cuda") == torch.device("cuda")
    assert torch_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(UserError, match="only 1 CUDA device"):
        torch_device("cuda:3")
