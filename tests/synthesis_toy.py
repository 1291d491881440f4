"""A toy hand for the synthesis tests: each character of ``0123`` is five offsets of its own shape.

Small enough that a tiny :class:`SynthesisNetwork` learns it in a second on one CPU thread.
"""

from __future__ import annotations

import numpy as np
import torch

from mnist_handwriting.synthesis.model import SynthesisConfig, SynthesisNetwork
from mnist_handwriting.synthesis.training import collate, train_step

TOY_CHARACTERS = "0123"
POINTS = 5
TINY = SynthesisConfig(layers=2, hidden=24, window=3, mixtures=3)


def toy_samples(count: int, seed: int = 0, noise: float = 0.05) -> list[tuple[str, np.ndarray]]:
    """``count`` texts of 1 to 3 toy characters and their offsets ``(5 * U, 3)``; the pen lifts after each character."""
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, POINTS, endpoint=False)
    samples = []
    for _ in range(count):
        text = "".join(rng.choice(list(TOY_CHARACTERS), rng.integers(1, 4)))
        rows = []
        for char in text:
            turn = int(char) * np.pi / 2
            move = np.stack([np.cos(angles + turn), np.sin(angles + turn)], axis=1) * 0.5
            pen = np.zeros((POINTS, 1))
            pen[-1] = 1.0
            rows.append(np.concatenate([move + rng.normal(0, noise, move.shape), pen], axis=1))
        samples.append((text, np.concatenate(rows).astype(np.float32)))
    return samples


def trained_toy_model(steps: int = 150, seed: int = 0) -> tuple[SynthesisNetwork, list[float]]:
    """A :data:`TINY` network trained ``steps`` Adam steps on toy batches of 16; and its losses."""
    torch.manual_seed(seed)
    model = SynthesisNetwork(TINY)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    data = toy_samples(16 * 8, seed)
    losses = [train_step(model, optimizer, collate(data[16 * (i % 8):16 * (i % 8 + 1)]), 10.0)["loss"]
              for i in range(steps)]
    return model.eval(), losses
