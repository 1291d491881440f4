"""The shipped handwritten-MNIST file: quantisation by hand, reproducible bytes, checksum, splits, NumPy loading."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from mnist_handwriting.cli import main
from mnist_handwriting.datasets import load, shipped
from mnist_handwriting.errors import UserError
from mnist_handwriting.formats import save_handwriting_file


def test_quantise_by_hand_and_within_half_a_level():
    points = np.array([[[0.0, 1.0, 0.0], [0.5, 0.25, 1.0]]], np.float32)
    stored = shipped.quantise(points)
    # 4095 * 0.5 = 2047.5 rounds to the even 2048 = 8 * 256 + 0; 4095 * 0.25 = 1023.75 -> 1024 = 4 * 256;
    # 4095 = 15 * 256 + 255.
    np.testing.assert_array_equal(stored["xy_high"], [[[0, 15], [8, 4]]])
    np.testing.assert_array_equal(stored["xy_low"], [[[0, 255], [0, 0]]])
    np.testing.assert_array_equal(stored["pen"], [[0b01000000]])
    np.testing.assert_allclose(shipped.dequantise(stored)[0, 1], [2048 / 4095, 1024 / 4095, 1])
    rng = np.random.default_rng(0)
    points = rng.random((50, 20, 3)).astype(np.float32)
    points[..., 2] = rng.random((50, 20)) < 0.3
    back = shipped.dequantise(shipped.quantise(points))
    assert np.abs(back[..., :2] - points[..., :2]).max() <= 0.5 / 4095 + 1e-7   # 0.0034 px
    np.testing.assert_array_equal(back[..., 2], points[..., 2])   # 20 pen bits in 3 bytes, exactly


def test_images_pack_to_one_bit_per_pixel_and_back():
    images = np.zeros((2, 28, 28), np.uint8)
    images[0, 0, 0] = images[1, 27, 27] = 255
    bits = shipped.pack_images(images)
    assert bits.shape == (2, 98) and bits[0, 0] == 0b10000000 and bits[1, 97] == 1
    np.testing.assert_array_equal(shipped.unpack_images(bits), images)


def test_save_gives_the_same_bytes_for_the_same_arrays(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {key: rng.integers(0, 200, (7, 4)).astype(np.uint8) for key in shipped.KEYS}
    first = shipped.save(tmp_path / "a.npz", arrays)
    second = shipped.save(tmp_path / "b.npz", arrays)
    assert first == second == shipped.sha256(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.npz") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    with np.load(tmp_path / "a.npz", allow_pickle=False) as data:
        np.testing.assert_array_equal(data["xy_low"], arrays["xy_low"])


def test_split_codes_of_mnist_order():
    codes, position = shipped.split_codes(70_000)
    assert np.bincount(codes).tolist() == [55_000, 5_000, 10_000]
    assert (codes[55_000:60_000] == 1).all() and (codes[60_000:] == 2).all()
    assert (position[59_999], position[60_000], position[69_999]) == (59_999, 0, 9_999)


def test_the_shipped_file_matches_its_description():
    meta = json.loads(shipped.METADATA.read_text())
    assert shipped.sha256(shipped.SHIPPED) == meta["sha256"]
    assert meta["counts"] == {"train": 55_000, "valid": 5_000, "test": 10_000}
    assert shipped.SHIPPED.stat().st_size == meta["bytes"] <= 6_000_000
    assert meta["max_error_px"] <= 0.5 / 4095 * 28 + 1e-6 < 0.1
    test = load("test", with_image=True)
    assert test.points.shape == (10_000, meta["points"], 3) and test.points.dtype == np.float32
    np.testing.assert_array_equal(test.mnist_index, np.arange(10_000))
    assert (test.points[:, -1, 2] == 1).all() and np.isin(test.points[..., 2], (0, 1)).all()
    assert test.images.shape == (10_000, 28, 28) and set(np.unique(test.images)) == {0, 255}
    valid = load("valid")
    np.testing.assert_array_equal(valid.mnist_index, np.arange(55_000, 60_000))
    assert len(load("all").labels) == 70_000


def test_shipped_labels_and_images_are_mnist(data_dir, cache_dir):
    from mnist_handwriting.data.datasets import Locations, dataset_images

    images, labels = dataset_images("mnist-test", Locations(data_dir, cache_dir))
    test = load("test", with_image=True)
    np.testing.assert_array_equal(test.labels, labels)
    np.testing.assert_array_equal(test.images, images)


def test_a_changed_shipped_file_is_refused_saying_how_to_rebuild(tmp_path, monkeypatch, capsys):
    damaged = tmp_path / "handwritten-mnist.npz"
    data = bytearray(shipped.SHIPPED.read_bytes())
    data[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(shipped, "SHIPPED", damaged)
    with pytest.raises(UserError, match="does not match the recorded .* dataset build --out DIR --ship"):
        load("train")
    assert main(["dataset", "info"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "SHA-256" in error and "mnist-handwriting dataset build" in error


def test_bad_splits_and_sources_are_one_line_errors(tmp_path, capsys):
    with pytest.raises(UserError, match="unknown split 'validation'.*train, valid, test, all"):
        load("validation")
    assert main(["dataset", "info", "--split", "dev"]) == 2
    assert "unknown split 'dev'" in capsys.readouterr().err
    images_file = tmp_path / "images.npz"
    np.savez(images_file, images=np.zeros((2, 28, 28), np.uint8), labels=np.array([1, 2]))
    assert main(["dataset", "info", "--source", str(images_file)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "handwriting file lacks key(s) points" in error
    with pytest.raises(UserError, match="holds no images"):
        load("all", source=images_file, with_image=True)


def test_a_source_file_is_split_as_the_exports_split_it(tmp_path, capsys):
    rng = np.random.default_rng(2)
    points = rng.random((24, 5, 3)).astype(np.float32)
    points[..., 2] = 0
    points[:, -1, 2] = 1
    path = tmp_path / "mine.npz"
    save_handwriting_file(path, points, np.arange(24) % 10)
    valid = load("valid", source=path)   # 24 / 12 = 2: the last two digits
    np.testing.assert_array_equal(valid.points, points[22:])
    np.testing.assert_array_equal(valid.labels, [2, 3])
    np.testing.assert_array_equal(valid.mnist_index, [22, 23])
    assert len(load("all", source=path).points) == 24
    assert main(["dataset", "info", "--source", str(path), "--split", "train"]) == 0
    assert "train: 22 digits of 5 points (per class 0:3 1:3 2:2" in capsys.readouterr().out


def test_docs_dataset_md_is_the_card_of_the_shipped_file():
    from pathlib import Path

    from mnist_handwriting.datasets.card import card

    docs = Path(__file__).resolve().parents[2] / "docs" / "DATASET.md"
    meta = json.loads(shipped.METADATA.read_text())
    assert docs.read_text() == card(meta), "run `mnist-handwriting dataset build --out DIR --ship`"
    assert meta["sha256"] in docs.read_text()


def test_numpy_loading_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, mnist_handwriting.datasets as d; d.load('valid'); print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_the_shipped_file_was_made_by_the_default_model_as_it_is_now():
    from mnist_handwriting.models.registry import DEFAULT_MODEL, resolve

    meta = json.loads(shipped.METADATA.read_text())
    assert (meta["model"], meta["model_sha256"]) == (DEFAULT_MODEL, shipped.sha256(resolve(DEFAULT_MODEL))), \
        "the default model changed: rebuild with `mnist-handwriting dataset build --out DIR --ship`"
