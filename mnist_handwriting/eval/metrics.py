"""Evaluation metrics (pure NumPy), all distances in pixels of the 28x28 image.

Image metrics take binary images ``(N, 28, 28)`` (any non-zero pixel is ink). Trajectory
metrics take ``points: (T, 3)`` in the :mod:`mnist_handwriting.strokes` convention and
multiply coordinates by 28, so 1.0 in a result means one pixel.
"""

from __future__ import annotations

import numpy as np

from ..strokes import PIXELS, resample, stroke_count

EMPTY_CHAMFER = float(np.hypot(PIXELS, PIXELS))
"""Chamfer distance given when exactly one of the two images is empty: the image diagonal."""


def _as_binary(images: np.ndarray, name: str) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[None]
    if images.ndim != 3:
        raise ValueError(f"{name}: expected images (N, H, W), got shape {images.shape}")
    return images > 0


def _dilate(images: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation of ``images: (N, H, W)`` by a (2r+1)x(2r+1) square (chessboard distance <= r)."""
    if radius <= 0:
        return images.copy()
    height, width = images.shape[1:]
    padded = np.pad(images, ((0, 0), (radius, radius), (radius, radius)))
    out = np.zeros_like(images)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            out |= padded[:, dy:dy + height, dx:dx + width]
    return out


def pixel_scores(predicted: np.ndarray, target: np.ndarray,
                 tolerance: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 per image of drawn pixels, each ``(N,)`` float64.

    ``predicted``, ``target``: (N, H, W) binary. A predicted pixel is correct if a target
    pixel lies within ``tolerance`` pixels (chessboard distance); a target pixel is found
    if a predicted pixel lies within ``tolerance``. Empty cases: nothing predicted gives
    precision 1 (nothing wrong was drawn); an empty target gives recall 1; F1 is 1 when
    both are empty and 0 when exactly one is.
    """
    predicted, target = _as_binary(predicted, "predicted"), _as_binary(target, "target")
    if predicted.shape != target.shape:
        raise ValueError(f"predicted {predicted.shape} and target {target.shape} differ in shape")
    drawn = predicted.sum(axis=(1, 2))
    wanted = target.sum(axis=(1, 2))
    correct = (predicted & _dilate(target, tolerance)).sum(axis=(1, 2))
    found = (target & _dilate(predicted, tolerance)).sum(axis=(1, 2))
    precision = np.where(drawn > 0, correct / np.maximum(drawn, 1), 1.0)
    recall = np.where(wanted > 0, found / np.maximum(wanted, 1), 1.0)
    total = precision + recall
    f1 = np.where(total > 0, 2 * precision * recall / np.where(total > 0, total, 1.0), 0.0)
    f1 = np.where((drawn == 0) & (wanted == 0), 1.0, np.where((drawn == 0) | (wanted == 0), 0.0, f1))
    return precision, recall, f1


def chamfer_distance(predicted: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Symmetric Chamfer distance per image ``(N,)`` in pixels.

    The mean Euclidean distance from each predicted pixel to the nearest target pixel
    and from each target pixel to the nearest predicted pixel, averaged:
    ``(mean_p min_t |p - t| + mean_t min_p |t - p|) / 2``. Both empty gives 0; exactly
    one empty gives :data:`EMPTY_CHAMFER` (the image diagonal, the worst possible).
    """
    predicted, target = _as_binary(predicted, "predicted"), _as_binary(target, "target")
    if predicted.shape != target.shape:
        raise ValueError(f"predicted {predicted.shape} and target {target.shape} differ in shape")
    out = np.empty(len(predicted))
    for i, (p, t) in enumerate(zip(predicted, target)):
        a, b = np.argwhere(p).astype(np.float64), np.argwhere(t).astype(np.float64)
        if len(a) == 0 or len(b) == 0:
            out[i] = 0.0 if len(a) == len(b) else EMPTY_CHAMFER
            continue
        distances = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
        out[i] = (distances.min(axis=1).mean() + distances.min(axis=0).mean()) / 2
    return out


def reverse(points: np.ndarray) -> np.ndarray:
    """The same trajectory ``(T, 3)`` drawn backwards (strokes in reverse order, each reversed)."""
    points = np.asarray(points, dtype=np.float32)
    backwards = points[::-1].copy()
    # Forwards, a lift after point i separates i and i + 1; backwards it follows i + 1.
    backwards[:-1, 2] = points[:-1, 2][::-1]
    backwards[-1, 2] = 1.0
    return backwards


def dtw_batch(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DTW between point sequences ``a: (N, n, D)`` and ``b: (N, m, D)`` with Euclidean cost.

    Returns the accumulated cost of the cheapest warping path ``(N,)`` and that path's
    length in cells ``(N,)`` (between max(n, m) and n + m - 1). Steps are (1, 1), (1, 0)
    and (0, 1); on equal cost the first of those wins. Vectorised over the batch and over
    the anti-diagonals of the cost matrix.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    count, n, m = len(a), a.shape[1], b.shape[1]
    cost = np.sqrt(((a[:, :, None, :] - b[:, None, :, :]) ** 2).sum(-1))
    total = np.full((count, n + 1, m + 1), np.inf)
    cells = np.zeros((count, n + 1, m + 1))
    total[:, 0, 0] = 0.0
    rows = np.arange(count)[:, None]
    for diagonal in range(2, n + m + 1):
        i = np.arange(max(1, diagonal - m), min(n, diagonal - 1) + 1)
        j = diagonal - i
        before = np.stack([total[:, i - 1, j - 1], total[:, i - 1, j], total[:, i, j - 1]], axis=-1)
        lengths = np.stack([cells[:, i - 1, j - 1], cells[:, i - 1, j], cells[:, i, j - 1]], axis=-1)
        choice = before.argmin(axis=-1)
        columns = np.arange(len(i))[None, :]
        total[:, i, j] = cost[:, i - 1, j - 1] + before[rows, columns, choice]
        cells[:, i, j] = lengths[rows, columns, choice] + 1
    return total[:, n, m], cells[:, n, m]


def _xy_pixels(points: np.ndarray, count: int) -> np.ndarray:
    """``points: (T, 3)`` resampled by arc length to ``(count, 2)`` pixel coordinates."""
    return resample(np.asarray(points, np.float32), count)[:, :2].astype(np.float64) * PIXELS


def ldtw_batch(a: np.ndarray, b: np.ndarray, count: int = 32) -> np.ndarray:
    """:func:`ldtw` for ``a``, ``b``: sequences of N trajectories ``(T_i, 3)``; returns ``(N,)``."""
    if len(a) != len(b):
        raise ValueError(f"ldtw_batch: {len(a)} trajectories against {len(b)}")
    if len(a) == 0:
        return np.zeros(0)
    first = np.stack([_xy_pixels(p, count) for p in a])
    second = np.stack([_xy_pixels(p, count) for p in b])
    total, cells = dtw_batch(first, second)
    return total / cells


def ldtw(a: np.ndarray, b: np.ndarray, count: int = 32) -> float:
    """Length-independent DTW between two trajectories ``(T, 3)``, in pixels.

    Definition: resample both by arc length to ``count`` points each
    (:func:`mnist_handwriting.strokes.resample`, pen lifts kept, so points are spread
    over the strokes by length), scale to pixels (x 28), run DTW with Euclidean cost
    and steps (1, 1), (1, 0), (0, 1) from the first pair of points to the last, and
    divide the cheapest path's total cost by the number of cells on that path. The
    result is the mean distance between matched points: 0 for identical trajectories,
    ``d`` for a copy shifted by ``d`` pixels. The pen-up jump between strokes carries
    no points, so only the order of the strokes matters, not the jump.
    """
    return float(ldtw_batch([a], [b], count)[0])


def start_error(a: np.ndarray, b: np.ndarray) -> float:
    """Distance in pixels between the first points of trajectories ``a`` and ``b`` ``(T, 3)``."""
    return float(np.hypot(*((np.asarray(a)[0, :2] - np.asarray(b)[0, :2]) * PIXELS)))


def direction_agreement(predicted: np.ndarray, human: np.ndarray, count: int = 32) -> bool:
    """True if ``predicted`` is closer (LDTW) to ``human`` than ``predicted`` drawn backwards is."""
    forwards, backwards = ldtw_batch([predicted, reverse(predicted)], [human, human], count)
    return bool(forwards < backwards)


def stroke_count_error(predicted: np.ndarray, human: np.ndarray) -> int:
    """``|strokes(predicted) - strokes(human)|`` for trajectories ``(T, 3)``."""
    return int(abs(int(stroke_count(predicted)) - int(stroke_count(human))))


def overdraw(points: np.ndarray) -> float:
    """Pixels drawn more than once by the pen-down segments of ``points: (T, 3)``, per pixel drawn.

    Each segment's 1-pixel line counts once per pixel, less the pixel it shares with the
    segment before when the pen stays down; a polyline that never crosses or retraces itself
    scores 0, one drawn twice over scores about 1 (the note: the learned line model "draws
    lines several times" to push pixels towards 1).
    """
    from skimage.draw import line

    from ..render.exact import pixel_coords

    points = np.asarray(points, np.float64)
    pixels = pixel_coords(points[:, :2], PIXELS)
    down = points[:-1, 2] <= 0.5
    drawn, union = 0, set()
    for i in np.flatnonzero(down):
        rows, cols = line(pixels[i, 1], pixels[i, 0], pixels[i + 1, 1], pixels[i + 1, 0])
        drawn += len(rows) - (i > 0 and down[i - 1])
        union.update(zip(rows.tolist(), cols.tolist()))
    return (drawn - len(union)) / len(union) if union else 0.0


def phantom_segments(points: np.ndarray, image: np.ndarray, distance: float = 1.0) -> float:
    """Share of the pen-down segments of ``points: (T, 3)`` that lie off the input ``image: (28, 28)``.

    A segment is a phantom when more than half of its 1-pixel line is farther than ``distance`` px
    from the image's ink (> 0.5 on a 0..1 or 0..255 scale): the trajectory draws it, yet the
    reconstruction the model matched to the image cannot show it (the note's learned-line artefact,
    "segments drawn but missing from the reconstruction"). 0 without pen-down segments.
    """
    from scipy.ndimage import distance_transform_edt
    from skimage.draw import line

    from ..render.exact import pixel_coords

    image = np.asarray(image, np.float64)
    ink = image > (0.5 * 255 if image.max() > 1 else 0.5)
    far = distance_transform_edt(~ink) > distance if ink.any() else np.ones_like(ink)
    points = np.asarray(points, np.float64)
    pixels = pixel_coords(points[:, :2], PIXELS)
    down = np.flatnonzero(points[:-1, 2] <= 0.5)
    phantoms = 0
    for i in down:
        rows, cols = line(pixels[i, 1], pixels[i, 0], pixels[i + 1, 1], pixels[i + 1, 0])
        phantoms += far[rows, cols].mean() > 0.5
    return phantoms / len(down) if len(down) else 0.0


def axis_aligned_share(points: np.ndarray, degrees: float = 5.0, shortest: float = 1.5) -> float:
    """Share of the pen-down segments of ``points: (T, 3)`` at least ``shortest`` px long that lie
    within ``degrees`` of horizontal or vertical: the note's "stairway" segments."""
    points = np.asarray(points, np.float64)
    steps = np.diff(points[:, :2], axis=0)[points[:-1, 2] <= 0.5] * PIXELS
    steps = steps[np.hypot(*steps.T) >= shortest]
    if not len(steps):
        return 0.0
    angle = np.degrees(np.arctan2(np.abs(steps[:, 1]), np.abs(steps[:, 0])))   # 0..90
    return float(np.mean((angle <= degrees) | (angle >= 90 - degrees)))
