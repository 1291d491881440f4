"""Decoding de Jong's stroke sequences: hand-made arrays, the real files, the cache, damaged files."""

from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest

from mnist_handwriting.data import stroke_sequences
from mnist_handwriting.data.cache import cache_path
from mnist_handwriting.data.stroke_sequences import decode, load_thinned_mnist, read_tar_npy
from mnist_handwriting.errors import UserError


def _padded(sequence, rows=10, padding="trailing"):
    """One digit ``(1, rows, 4)`` from its rows, zero-padded on the given side."""
    sequence = np.asarray(sequence, np.float64)
    pad = np.zeros((rows - len(sequence), 4))
    return (np.concatenate([sequence, pad]) if padding == "trailing" else np.concatenate([pad, sequence]))[None]


# Two strokes, 1-based file coordinates: (3,4)->(4,4)->(4,5), eos, jump to (10,2) -> (11,3), eos+eod.
TWO_STROKES = [[3, 4, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [6, -3, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]]
EXPECTED_PIXELS = [(2, 3), (3, 3), (3, 4), (9, 1), (10, 2)]   # 0-based (col, row)
EXPECTED_PEN = [0, 0, 1, 0, 1]


@pytest.mark.parametrize("padding", ["trailing", "leading"])
def test_decode_two_strokes(padding):
    images, points, offsets, outside = decode(_padded(TWO_STROKES, padding=padding), padding)
    assert offsets.tolist() == [0, 5] and outside == 0
    cols, rows = zip(*EXPECTED_PIXELS)
    np.testing.assert_allclose(points[:, 0] * 28, np.array(cols) + 0.5, atol=1e-5)
    np.testing.assert_allclose(points[:, 1] * 28, np.array(rows) + 0.5, atol=1e-5)
    assert points[:, 2].tolist() == EXPECTED_PEN
    expected = np.zeros((28, 28), np.uint8)
    expected[list(rows), list(cols)] = 255
    # the jump (3,4)->(9,1) is not drawn: only the five visited pixels are set
    np.testing.assert_array_equal(images[0], expected)


def test_decode_batch_resets_per_digit_and_single_point_stroke():
    # digit 0: a single-pixel stroke then a 2-pixel stroke; digit 1 starts absolute again
    first = [[5, 5, 0, 0], [0, 0, 1, 0], [3, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1]]
    second = [[20, 20, 0, 0], [-1, -1, 0, 0], [0, 0, 1, 1]]
    rows = np.concatenate([_padded(first, 8, "leading"), _padded(second, 8, "leading")])
    images, points, offsets, _ = decode(rows, "leading")
    assert offsets.tolist() == [0, 3, 5]
    np.testing.assert_allclose(points[:, :2] * 28 - 0.5, [[4, 4], [7, 4], [7, 5], [19, 19], [18, 18]], atol=1e-5)
    assert points[:, 2].tolist() == [1, 0, 1, 0, 1]
    assert images[0].sum() == 3 * 255 and images[1].sum() == 2 * 255 and images[1, 18, 18] == 255


def test_decode_clips_points_outside_the_grid():
    # 1-based x = 28 is the last column; one more step right leaves the grid and is clipped onto it
    rows = _padded([[27, 10, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1]])
    images, points, offsets, outside = decode(rows, "trailing")
    assert outside == 1 and offsets.tolist() == [0, 4]
    np.testing.assert_allclose(points[:, 0] * 28 - 0.5, [26, 27, 27, 27], atol=1e-5)
    assert points[:, :2].max() < 1.0
    assert np.flatnonzero(images[0, 9]).tolist() == [26, 27] and images[0, 10, 27] == 255


def test_decode_rejects_digit_without_end():
    with pytest.raises(ValueError, match="no end-of-digit"):
        decode(_padded([[3, 4, 0, 0], [1, 0, 0, 0]]), "trailing")


def test_read_tar_npy_damaged_file(tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((50, 117, 4)))
    data = buffer.getvalue()
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as archive:
        info = tarfile.TarInfo("x.npy")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    assert read_tar_npy(good).shape == (50, 117, 4)
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(UserError, match="bad.tar.gz: cannot read.*re-copy bad.tar.gz"):
        read_tar_npy(bad)


def test_missing_files_and_bad_split(tmp_path):
    with pytest.raises(UserError, match="stroke-sequence file not found"):
        load_thinned_mnist("train", data_dir=tmp_path, cache_dir=tmp_path)
    with pytest.raises(UserError, match="unknown split 'dev'"):
        load_thinned_mnist("dev", data_dir=tmp_path, cache_dir=tmp_path)


@pytest.fixture(scope="module")
def train(data_dir, cache_dir):
    return load_thinned_mnist("train", data_dir, cache_dir)


def test_full_train_counts_and_labels(train):
    assert len(train) == 60000 and train.images.shape == (60000, 28, 28) and train.images.dtype == np.uint8
    # MNIST's published training class counts
    assert np.bincount(train.labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert train.labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert train.offsets[-1] == len(train.points) and train.points.dtype == np.float32
    assert 0 < train.points[:, :2].min() and train.points[:, :2].max() < 1
    ends = train.offsets[1:] - 1
    assert np.all(train.points[ends, 2] == 1)
    assert set(np.unique(train.images).tolist()) == {0, 255}


def test_images_are_the_visited_pixels(train):
    for i in (0, 1, 59999):
        t = train.trajectory(i)
        cols, rows = np.floor(t[:, 0] * 28).astype(int), np.floor(t[:, 1] * 28).astype(int)
        expected = np.zeros((28, 28), np.uint8)
        expected[rows, cols] = 255
        np.testing.assert_array_equal(train.images[i], expected)


def test_full_test_split_strips_leading_padding(data_dir, cache_dir):
    test = load_thinned_mnist("test", data_dir, cache_dir)
    assert len(test) == 10000 and np.bincount(test.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958,
                                                                        1028, 974, 1009]
    assert test.labels[:5].tolist() == [7, 2, 1, 0, 4]
    # no trajectory starts at the padding's (0, 0) pixel
    starts = test.points[test.offsets[:-1]]
    assert starts[:, :2].min() > 0 and test.lengths().min() >= 2


def test_cache_hit_returns_equal_arrays(train, data_dir, cache_dir):
    folder = data_dir / stroke_sequences.SUBDIR
    path = cache_path("thinned-mnist-train", [folder / n for n in stroke_sequences.FILES["train"][:2]], cache_dir)
    assert path.is_file()
    again = load_thinned_mnist("train", data_dir, cache_dir)
    for name in ("images", "labels", "points", "offsets"):
        np.testing.assert_array_equal(getattr(again, name), getattr(train, name))
    assert again.writers is None
