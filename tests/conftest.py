"""Shared fixtures: the shared data folder, a per-session cache, and the devices to test on.

Tests that need ``../shared/data`` take the ``data_dir`` fixture. Without the data they
are skipped on a user's machine, but fail under CI (``CI=true``), where the data is
always present, so a broken data path can never pass silently. ``device`` runs a test on
the CPU and, where a GPU is present, again on CUDA; ``cuda`` is for tests of CUDA alone.
``trained`` is the toy synthesis network the synthesis and web-page tests share.
"""

from __future__ import annotations

import os

import pytest
import torch

from mnist_handwriting.paths import data_dir as resolve_data_dir


@pytest.fixture(scope="session")
def data_dir():
    """The shared data folder (see ``mnist_handwriting.paths.data_dir``)."""
    found = resolve_data_dir(required=False)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI=true but no shared data folder was found; set MNIST_HANDWRITING_DATA")
        pytest.skip("shared data folder not found; set MNIST_HANDWRITING_DATA to run this test")
    return found


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """A fresh cache folder for the whole test session (decoded data is cached here once)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(params=["cpu", "cuda"])
def device(request) -> torch.device:
    """Each test that takes it runs on the CPU and on CUDA (skipped without a GPU)."""
    if request.param == "cuda" and not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    return torch.device(request.param)


@pytest.fixture
def cuda() -> torch.device:
    """The CUDA device, for tests of CUDA-only behaviour (skipped without a GPU)."""
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    return torch.device("cuda")


@pytest.fixture(scope="session")
def weights(tmp_path_factory):
    """A randomly initialised LineModel saved as float16, and the model."""
    from mnist_handwriting.render.learned_line import LineModel
    from mnist_handwriting.train.line_model import save_line_model

    torch.manual_seed(0)
    model = LineModel()
    path = tmp_path_factory.mktemp("line") / "line.safetensors"
    save_line_model(model, path)
    return path, model


@pytest.fixture(scope="session")
def trained():
    """The tiny synthesis network after 150 steps on the toy hand (its end-of-stroke logits are far from 0);
    do not train it further."""
    from synthesis_toy import trained_toy_model

    return trained_toy_model(steps=150)[0]
