from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_handwriting import convert
from mnist_handwriting.errors import UserError
from mnist_handwriting.formats import load_handwriting_file

TODAY = Path(__file__).parent / "data" / "convert-points-85bfa9c.npz"
"""Points of the shipped models on the 100 example digits, written by the convert path before issue 14 (one thread;
note-best's again with that path, at 1236fe8, when it became the masked model of issue 12; human-best's with today's
path when it became the masked note-best fine-tuned, issue 12: note-best's entries check that path for that model)."""


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


def test_workers_convert_the_same_points_in_order():
    images = np.zeros((10, 28, 28), np.uint8)
    labels = np.arange(10) % 10
    one = convert.convert_images(RecordingConverter(), images, labels, batch_size=3, progress=False)
    two = convert.convert_images(RecordingConverter(), images, labels, batch_size=3, progress=False, workers=2)
    np.testing.assert_array_equal(one, two)
    with pytest.raises(UserError, match="'workers' count of 1 or more"):
        convert.convert_images(RecordingConverter(), images, labels, workers=0)


def test_default_workers_are_the_cores_on_a_cpu_and_one_on_cuda():
    assert convert.default_workers("cuda") == 1
    assert convert.default_workers("cpu") >= 1


def test_convert_to_file_streams_the_same_handwriting_file(tmp_path):
    images = np.zeros((10, 28, 28), np.uint8)
    labels = np.arange(10) % 10
    count = convert.convert_to_file(RecordingConverter(), images, labels, tmp_path / "out.npz", 4, progress=False,
                                    workers=2)
    points, read_labels = load_handwriting_file(tmp_path / "out.npz")
    assert count == 10 and points.shape == (10, 4, 3)
    np.testing.assert_array_equal(points, convert.convert_images(RecordingConverter(), images, labels, progress=False))
    np.testing.assert_array_equal(read_labels, labels)


@pytest.mark.parametrize("name", ["human-best", "note-best"])
@pytest.mark.parametrize("threads, workers", [(1, 1), (2, 1), (1, 2)])
def test_shipped_models_draw_todays_points(name, threads, workers):
    """Issue 14's speed work keeps the points: within float rounding of the matrix products (which
    sum in another order with other thread counts), pen flags and stroke structure exactly."""
    with np.load(TODAY) as today:
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            points = convert.convert_images(convert.load_converter(name), today["thinned"], today["labels"],
                                            batch_size=32, progress=False, workers=workers)
        finally:
            torch.set_num_threads(previous)
        np.testing.assert_array_equal(points[..., 2], today[name][..., 2])
        np.testing.assert_allclose(points[..., :2], today[name][..., :2], rtol=0, atol=1e-5)


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
