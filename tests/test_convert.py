import numpy as np
import pytest

from mnist_handwriting import convert
from mnist_handwriting.data import datasets
from mnist_handwriting.errors import UserError


class RecordingConverter:
    """Returns each digit's label as its x coordinate, and records the batch sizes it saw."""

    name = "recording"
    count = 4

    def __init__(self):
        self.batches = []

    def convert(self, images, labels):
        self.batches.append(len(images))
        points = np.zeros((len(images), self.count, 3), np.float32)
        points[:, :, 0] = labels[:, None] / 10
        points[:, -1, 2] = 1
        return points


def test_convert_images_streams_in_batches_and_keeps_order():
    images = np.zeros((10, 28, 28), np.uint8)
    labels = np.arange(10) % 10
    converter = RecordingConverter()
    points = convert.convert_images(converter, images, labels, batch_size=4, progress=False)
    assert converter.batches == [4, 4, 2]
    assert points.shape == (10, 4, 3) and points.dtype == np.float32
    np.testing.assert_allclose(points[:, 0, 0], labels / 10)


def test_convert_images_rejects_bad_batch_size():
    with pytest.raises(UserError, match="batch size 0"):
        convert.convert_images(RecordingConverter(), np.zeros((1, 28, 28), np.uint8), np.zeros(1), 0)


def test_thinned_inputs_are_used_as_they_are():
    images = np.zeros((2, 28, 28), np.uint8)
    images[:, 5:20, 10] = 255
    assert convert.prepare_inputs(images, "thinned") is images


def test_auto_mode_thins_only_thick_images():
    images = np.zeros((2, 28, 28), np.uint8)
    images[0, 5:20, 10] = 255          # already a 1-pixel line
    images[1, 5:20, 8:13] = 200         # a thick bar
    prepared = convert.prepare_inputs(images, "auto")
    np.testing.assert_array_equal(prepared[0], images[0])
    middle_rows = prepared[1, 8:17] > 0
    assert middle_rows.sum(axis=1).tolist() == [1] * 9, "a 5-pixel bar thins to a line 1 pixel wide"
    assert middle_rows[:, 10].all(), "along the bar's centre column"
    assert set(np.unique(prepared[1])) <= {0, 255}


def test_unknown_input_mode_and_dataset():
    with pytest.raises(UserError, match="unknown input mode 'fat'"):
        convert.prepare_inputs(np.zeros((1, 28, 28), np.uint8), "fat")
    with pytest.raises(UserError, match="unknown dataset 'emnist'"):
        datasets.dataset_images("emnist")


def test_trace_converter_draws_the_skeleton():
    images = np.zeros((1, 28, 28), np.uint8)
    images[0, 4:24, 14] = 255
    points = convert.load_converter("trace", count=10).convert(images, np.array([1]))
    assert points.shape == (1, 10, 3)
    np.testing.assert_allclose(points[0, :, 0], 14.5 / 28, atol=1e-6)
    assert points[0, :, 2].tolist() == [0] * 9 + [1]


def test_no_digits_give_an_empty_array_of_the_converters_length():
    points = convert.convert_images(convert.load_converter(), np.zeros((0, 28, 28), np.uint8), np.zeros(0), 8)
    assert points.shape == (0, 20, 3)


def test_raw_mnist_datasets_come_from_the_idx_files_thinned(tmp_path):
    from mnist_handwriting.data.idx import FILES, write_idx

    images = np.zeros((10000, 28, 28), np.uint8)
    images[7, 5:20, 10:15] = 200                       # one thick bar
    labels = np.arange(10000) % 10
    (tmp_path / "mnist").mkdir()
    (image_name, _, _), (label_name, _, _) = FILES["test"]
    write_idx(tmp_path / "mnist" / image_name, images)
    write_idx(tmp_path / "mnist" / label_name, labels.astype(np.uint8))
    thinned, read_labels = datasets.dataset_images("raw-mnist-test", cache_dir=tmp_path)
    np.testing.assert_array_equal(read_labels, labels)
    assert thinned.shape == (10000, 28, 28) and thinned.sum() == thinned[7].sum()
    assert (thinned[7, 8:17] > 0).sum(axis=1).tolist() == [1] * 9, "the bar is thinned to one pixel"


def test_missing_shared_data_points_to_the_raw_dataset(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_HANDWRITING_DATA", str(tmp_path / "none"))
    with pytest.raises(UserError, match="raw-mnist-test after `mnist-handwriting data download-mnist`"):
        datasets.dataset_images("mnist-test", cache_dir=tmp_path)
    with pytest.raises(UserError, match="data download-mnist"):
        datasets.dataset_images("raw-mnist-test", cache_dir=tmp_path)
