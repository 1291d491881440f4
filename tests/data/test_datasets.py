"""The built-in datasets by name, the locations they are read from, and the input modes."""

import numpy as np
import pytest

from mnist_handwriting.data import datasets, preprocess
from mnist_handwriting.errors import UserError


def test_unknown_input_mode_and_dataset():
    with pytest.raises(UserError, match="unknown input mode 'fat'"):
        preprocess.prepare_inputs(np.zeros((1, 28, 28), np.uint8), "fat")
    with pytest.raises(UserError, match="unknown dataset 'emnist'"):
        datasets.dataset_images("emnist")


def test_raw_mnist_datasets_come_from_the_idx_files_thinned(tmp_path):
    from mnist_handwriting.data.idx import FILES, write_idx

    images = np.zeros((10000, 28, 28), np.uint8)
    images[7, 5:20, 10:15] = 200                       # one thick bar
    labels = np.arange(10000) % 10
    (tmp_path / "mnist").mkdir()
    (image_name, _, _), (label_name, _, _) = FILES["test"]
    write_idx(tmp_path / "mnist" / image_name, images)
    write_idx(tmp_path / "mnist" / label_name, labels.astype(np.uint8))
    thinned, read_labels = datasets.dataset_images("raw-mnist-test", datasets.Locations(cache_dir=tmp_path))
    np.testing.assert_array_equal(read_labels, labels)
    assert thinned.shape == (10000, 28, 28) and thinned.sum() == thinned[7].sum()
    assert (thinned[7, 8:17] > 0).sum(axis=1).tolist() == [1] * 9, "the bar is thinned to one pixel"


def test_missing_shared_data_points_to_the_raw_dataset(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_HANDWRITING_DATA", str(tmp_path / "none"))
    with pytest.raises(UserError, match="raw-mnist-test after `mnist-handwriting data download-mnist`"):
        datasets.dataset_images("mnist-test", datasets.Locations(cache_dir=tmp_path))
    with pytest.raises(UserError, match="data download-mnist"):
        datasets.dataset_images("raw-mnist-test", datasets.Locations(cache_dir=tmp_path))


def test_locations_resolve_once_and_name_their_parameter(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_HANDWRITING_DATA", str(tmp_path))
    at = datasets.Locations(cache_dir=tmp_path / "cache")
    assert at.data == tmp_path.resolve() and at.cache == tmp_path / "cache" and at.cache.is_dir()
    monkeypatch.setenv("MNIST_HANDWRITING_DATA", str(tmp_path / "elsewhere"))
    assert at.data == tmp_path.resolve(), "resolved once, on first use"
    with pytest.raises(UserError, match="from 'data_dir'") as error:
        datasets.Locations(tmp_path / "gone").data
    assert error.value.parameters == ("data_dir",)
    with pytest.raises(UserError, match="unknown digit set 'emnist'"):
        datasets.load("emnist")
