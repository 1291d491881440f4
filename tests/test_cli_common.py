"""Options shared by the subcommands: --device parsing, flags named in error messages."""

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


def test_library_errors_name_the_parameter_and_the_cli_its_flag(tmp_path, capsys):
    """The web page and Python callers see 'batch_size'; the command line sees --batch-size (issue 13)."""
    import numpy as np

    from mnist_handwriting.cli import main
    from mnist_handwriting.convert import convert_images, load_converter

    with pytest.raises(UserError, match="use a 'batch_size' of 1 or more") as error:
        convert_images(load_converter("trace"), np.zeros((1, 28, 28), np.uint8), np.zeros(1, np.int64), 0)
    assert error.value.parameters == ("batch_size",)
    assert main(["convert", "--images", "examples/mnist-100.npz", "--method", "trace", "--batch-size", "0",
                 "--out", str(tmp_path / "x.npz")]) == 2
    assert "use a --batch-size of 1 or more" in capsys.readouterr().err


def test_training_parameters_without_a_flag_are_named_as_set_overrides():
    import argparse

    from mnist_handwriting.cli import cli_message

    args = argparse.Namespace(flags={"overrides": "--set", "out": "--out"})
    assert cli_message(UserError("training diverged", "lower 'lr' or check the config", "lr"), args) \
        == "training diverged. lower --set lr=... or check the config"
    assert cli_message(UserError("x", "write e.g. lr=0.001 in 'overrides'", "overrides"), args).endswith("in --set")
