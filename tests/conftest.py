"""Shared fixtures: the shared data folder and a per-session cache.

Tests that need ``../shared/data`` take the ``data_dir`` fixture. Without the data they
are skipped on a user's machine, but fail under CI (``CI=true``), where the data is
always present, so a broken data path can never pass silently.
"""

from __future__ import annotations

import os

import pytest

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
