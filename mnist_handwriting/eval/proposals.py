"""Scoring K proposed drawing orders per digit against the writers' own trajectories (issue 16).

For each digit, every proposal is scored as a single drawing is (:func:`.report.human_scores`);
the proposal *closest* to the writer is the one of least LDTW. Best-of-K says how well the
proposals cover the ways people draw; whether the most probable proposal is the closest one, and
the probability given to the closest one, say how well the odds are calibrated.
"""

from __future__ import annotations

import numpy as np

from .report import human_scores


def proposal_scores(points: np.ndarray, probabilities: np.ndarray, human: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Per-digit scores of ``points: (N, K, T, 3)`` with ``probabilities: (N, K)`` against ``human`` (N arrays
    ``(T_i, 3)``): ``best_ldtw`` and ``best_direction_agreement`` (the closest proposal's), ``top1_closest``
    (1 where the most probable proposal is the closest) and ``closest_probability``."""
    count, proposals = points.shape[:2]
    if probabilities.shape != (count, proposals) or len(human) != count:
        raise ValueError(f"points {points.shape}, probabilities {probabilities.shape} and {len(human)} human "
                         "trajectories do not match")
    each = [human_scores(points[:, k], human) for k in range(proposals)]
    ldtw = np.stack([scores["ldtw"] for scores in each], axis=1)                        # (N, K)
    direction = np.stack([scores["direction_agreement"] for scores in each], axis=1)
    rows = np.arange(count)
    closest = ldtw.argmin(axis=1)
    return {"best_ldtw": ldtw[rows, closest], "best_direction_agreement": direction[rows, closest],
            "top1_closest": (probabilities.argmax(axis=1) == closest).astype(np.float64),
            "closest_probability": probabilities[rows, closest].astype(np.float64)}


def calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the odds: ``confidence: (N,)``, the most probable proposal's probability,
    against ``correct: (N,)``, 1 where it is the closest; the bin-size-weighted mean of |frequency - confidence|
    over ``bins`` equal bins of [0, 1]."""
    which = np.minimum((np.asarray(confidence) * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(which):
        chosen = which == b
        total += chosen.sum() * abs(float(np.mean(correct[chosen])) - float(np.mean(confidence[chosen])))
    return total / max(len(confidence), 1)


__all__ = ["calibration_error", "proposal_scores"]
