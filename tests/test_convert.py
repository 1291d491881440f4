import numpy as np
import pytest

from mnist_handwriting import convert
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
