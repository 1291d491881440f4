"""Fixtures shared by the synthesis tests."""

from __future__ import annotations

import pytest

from synthesis_toy import trained_toy_model


@pytest.fixture(scope="session")
def trained():
    """The tiny network after 150 steps on the toy hand (its end-of-stroke logits are far from 0); do not train it further."""
    return trained_toy_model(steps=150)[0]
