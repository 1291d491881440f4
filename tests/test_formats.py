import numpy as np
import pytest

from mnist_handwriting import formats
from mnist_handwriting.errors import UserError
from mnist_handwriting.paths import atomic_write


def handwriting(count=3, points=5):
    rng = np.random.default_rng(0)
    data = rng.uniform(0, 1, (count, points, 3)).astype(np.float32)
    data[..., 2] = 0
    data[:, -1, 2] = 1
    return data, np.arange(count, dtype=np.int64)


def test_handwriting_file_round_trip(tmp_path):
    points, labels = handwriting()
    formats.save_handwriting_file(tmp_path / "h.npz", points, labels)
    back, back_labels = formats.load_handwriting_file(tmp_path / "h.npz")
    np.testing.assert_array_equal(back, points)
    np.testing.assert_array_equal(back_labels, labels)
    assert back.dtype == np.float32 and back_labels.dtype == np.int64


def test_images_file_round_trip_and_float_images(tmp_path):
    images = np.zeros((2, 28, 28), np.float32)
    images[0, 3, 4] = 1.0
    formats.save_images_file(tmp_path / "i.npz", images, np.array([1.0, 2.0]))
    back, labels = formats.load_images_file(tmp_path / "i.npz")
    assert back.dtype == np.uint8 and back[0, 3, 4] == 255 and back.sum() == 255
    assert labels.tolist() == [1, 2]


def test_empty_float_images_file(tmp_path):
    # An empty float array has no min/max: it must still pass as zero images, not raise ValueError.
    formats.save_images_file(tmp_path / "e.npz", np.zeros((0, 28, 28), np.float32), np.zeros(0))
    images, labels = formats.load_images_file(tmp_path / "e.npz")
    assert images.shape == (0, 28, 28) and images.dtype == np.uint8 and labels.shape == (0,)


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 10]), "label 10 is outside 0..9"),
    (np.array([0]), r"labels have shape \(1,\), expected \(2,\)"),
    (np.array([0.5, 1.0]), "expected integers"),
])
def test_bad_labels(labels, message):
    with pytest.raises(UserError, match=message):
        formats.check_labels(labels, 2, "x.npz")


@pytest.mark.parametrize("images, message", [
    (np.zeros((2, 32, 32), np.uint8), r"expected \(N, 28, 28\)"),
    (np.zeros((2, 28, 28), np.int32), "expected uint8"),
    (np.full((2, 28, 28), np.nan, np.float32), "finite"),
])
def test_bad_images(images, message):
    with pytest.raises(UserError, match=message):
        formats.check_images(images, "x.npz")


def test_bad_points():
    points, _ = handwriting()
    with pytest.raises(UserError, match="NaN"):
        formats.check_points(np.where(points > 0.5, np.nan, points), "h.npz")
    with pytest.raises(UserError, match=r"\[0, 1\]"):
        formats.check_points(points * 2, "h.npz")
    half = points.copy()
    half[0, 0, 2] = 0.5
    with pytest.raises(UserError, match="pen_up must be 0 or 1"):
        formats.check_points(half, "h.npz")


def test_missing_corrupt_and_incomplete_files(tmp_path):
    with pytest.raises(UserError, match="images file not found"):
        formats.load_images_file(tmp_path / "missing.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a readable .npz"):
        formats.load_images_file(tmp_path / "bad.npz")
    np.savez(tmp_path / "partial.npz", images=np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(UserError, match="lacks key"):
        formats.load_images_file(tmp_path / "partial.npz")


def test_output_in_missing_folder_is_refused(tmp_path):
    points, labels = handwriting()
    with pytest.raises(UserError, match="does not exist"):
        formats.save_handwriting_file(tmp_path / "nope" / "h.npz", points, labels)


def test_atomic_write_leaves_nothing_when_interrupted(tmp_path):
    target = tmp_path / "out.npz"
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(target) as temp:
            temp.write_bytes(b"half")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_handwriting_batches_write_the_same_file_and_nothing_on_a_short_stream(tmp_path):
    points = np.zeros((5, 4, 3), np.float32)
    points[..., 0] = np.arange(5)[:, None] / 10
    points[:, -1, 2] = 1
    labels = np.arange(5)
    assert formats.save_handwriting_batches(tmp_path / "h.npz", [points[:2], points[2:]], labels, 4) == 5
    read, read_labels = formats.load_handwriting_file(tmp_path / "h.npz")
    np.testing.assert_array_equal(read, points)
    np.testing.assert_array_equal(read_labels, labels)
    with pytest.raises(ValueError, match="2 digits written for 5 labels"):
        formats.save_handwriting_batches(tmp_path / "short.npz", [points[:2]], labels, 4)
    bad = points[:2].copy()
    bad[0, 0, 2] = 0.5
    with pytest.raises(UserError, match="pen_up must be 0 or 1"):
        formats.save_handwriting_batches(tmp_path / "bad.npz", [bad], labels, 4)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["h.npz"]
