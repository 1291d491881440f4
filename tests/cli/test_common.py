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


def test_help_loads_neither_torch_nor_numpy():
    """`mnist-handwriting --help` took about 2 s because every subcommand imported torch at the top (issue 13)."""
    import subprocess
    import sys

    code = ("import sys; from mnist_handwriting.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('torch', 'numpy', 'PIL') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_model_options_are_the_same_everywhere(capsys):
    from mnist_handwriting.cli import main

    for command in ("convert", "draw", "write", "eval", "serve", "train"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "torch device, e.g. cpu, cuda, cuda:1 (default: cpu)" in text
        assert "(default: None)" not in text
        if command in ("convert", "write", "eval"):
            assert "digits converted at once (default: 1024)" in text


def test_points_belong_to_the_tracer(capsys, tmp_path):
    from mnist_handwriting.cli import main

    assert main(["convert", "examples/mnist-100.npz", "--points", "8", "--out", str(tmp_path / "x.npz")]) == 2
    assert "--points was given for a model" in capsys.readouterr().err


def test_convert_takes_its_input_file_positionally_like_show_and_export(tmp_path):
    from mnist_handwriting.cli import main
    from mnist_handwriting.formats import load_handwriting_file

    assert main(["convert", "examples/mnist-100.npz", "--method", "trace", "--out", str(tmp_path / "a.npz")]) == 0
    assert main(["convert", "--images", "examples/mnist-100.npz", "--method", "trace",
                 "--out", str(tmp_path / "b.npz")]) == 0
    import numpy as np

    np.testing.assert_array_equal(load_handwriting_file(tmp_path / "a.npz")[0], load_handwriting_file(tmp_path / "b.npz")[0])
