"""Drawing-order clusters of the paired human digits (issue 16): a warm start that lets K proposals specialise.

Winner-takes-all training of K proposals that start almost equal collapses: the proposal nearest to each
writer's trajectory is chosen by noise, every proposal learns the same mean drawing, and the odds head
has nothing to predict. So the first ``paired.order_steps`` paired steps name the winner instead: per
class, the writers' trajectories are split into K clusters by k-means on their points (resampled by arc
length, centred on and scaled by their bounding box, so that the clusters follow where the pen starts
and which way it runs more than the digit's size or place), and proposal k learns cluster k. Clusters
are numbered by size, largest first, so proposal 0 (which starts as the model it extends) takes the
most common order.
"""

from __future__ import annotations

import numpy as np

RESTARTS = 8
"""k-means runs per class (k-means++ starts); the one of least inertia is kept."""
ITERATIONS = 50
"""Lloyd iterations per run at most."""


def order_features(targets: np.ndarray) -> np.ndarray:
    """``targets: (N, T, 3)`` (x, y, pen; resampled by arc length) -> ``(N, 2 T)``: x, y centred on the
    bounding box and divided by its longer side."""
    xy = targets[..., :2].astype(np.float64)
    low, high = xy.min(axis=1, keepdims=True), xy.max(axis=1, keepdims=True)
    side = np.maximum((high - low).max(axis=2, keepdims=True), 1e-6)
    return ((xy - (low + high) / 2) / side).reshape(len(xy), -1)


def kmeans(features: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Cluster index ``(N,)`` of each row of ``features: (N, D)``, ``count`` clusters numbered by size, largest first."""
    if len(features) <= count:
        return np.arange(len(features))
    best, best_inertia = None, np.inf
    for _ in range(RESTARTS):
        centres = features[[rng.integers(len(features))]]
        while len(centres) < count:   # k-means++: the next centre drawn in proportion to the squared distance
            distance = ((features[:, None] - centres[None]) ** 2).sum(axis=2).min(axis=1)
            centres = np.concatenate([centres, features[[rng.choice(len(features), p=distance / distance.sum())]]])
        for _ in range(ITERATIONS):
            assigned = ((features[:, None] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
            moved = np.stack([features[assigned == k].mean(axis=0) if (assigned == k).any() else centres[k]
                              for k in range(count)])
            if np.allclose(moved, centres):
                break
            centres = moved
        inertia = ((features - centres[assigned]) ** 2).sum()
        if inertia < best_inertia:
            best, best_inertia = assigned, inertia
    by_size = np.argsort(-np.bincount(best, minlength=count), kind="stable")
    return np.argsort(by_size)[best]


def drawing_orders(targets: np.ndarray, labels: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """Drawing-order cluster ``(N,)`` in ``0..count-1`` of each of ``targets: (N, T, 3)`` within its class (``labels: (N,)``)."""
    rng = np.random.default_rng(seed)
    features = order_features(targets)
    orders = np.zeros(len(labels), dtype=np.int64)
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        orders[rows] = kmeans(features[rows], count, rng)
    return orders


__all__ = ["drawing_orders", "kmeans", "order_features"]
