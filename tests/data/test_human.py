"""Human trajectories: samples.h5, the UNIPEN parser, the MNIST-frame mapping of pendigits, writer splits."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from mnist_handwriting.data.digits import DigitSet
from mnist_handwriting.data.human import (DEV_WRITERS, load_human_samples, load_pendigits, parse_unipen,
                                          read_samples_h5, split_by_writer, to_mnist_frame)
from mnist_handwriting.errors import UserError

SNIPPET = """.INCLUDE        dene.doc
.LEXICON "0" "1"

.SEGMENT DIGIT    0 ? "7"
.COMMENT 7 12  224
.PEN_DOWN
 10  100
 90  100
 30    0
.PEN_UP
.SEGMENT DIGIT    1 ? "4"
.COMMENT 4 3  5
.PEN_DOWN
 0  50
 50  50
.PEN_UP
.DT 100
.PEN_DOWN
 40  80
 40  0
.PEN_UP
"""


def test_parse_unipen_snippet():
    digits = parse_unipen(SNIPPET)
    assert [(label, writer, len(strokes)) for label, writer, strokes in digits] == [(7, 12, 1), (4, 3, 2)]
    np.testing.assert_array_equal(digits[1][2][1], [[40, 80], [40, 0]])


def test_to_mnist_frame_flips_y_and_fits_the_box():
    points = to_mnist_frame(parse_unipen(SNIPPET)[0][2])
    px = points[:, :2] * 28
    # tablet y up: the 7's bar (y = 100) is at the top of the image, its foot (y = 0) at the bottom
    assert px[0, 1] == px[1, 1] and px[2, 1] - px[0, 1] == pytest.approx(19)
    assert px[1, 0] - px[0, 0] == pytest.approx(19 * 80 / 100)   # aspect kept: the height is the long side
    assert points[:, 2].tolist() == [0, 0, 1]
    # whole-pixel centring: every point stays at a pixel-centre offset of the box
    np.testing.assert_allclose((px[0] - 0.5) % 1, [(19 - 15.2) / 2 % 1, 0], atol=1e-4)


@pytest.mark.parametrize("bad, message", [
    ('.SEGMENT DIGIT 0 ? "7"\n.PEN_DOWN\n1 2\n.PEN_UP\n', "lacks its .COMMENT writer"),
    ('.SEGMENT DIGIT 0 ? "7"\n.COMMENT 7 1 1\n1 2\n', "coordinates outside .PEN_DOWN"),
    ('.SEGMENT DIGIT 0 ? "7"\n.COMMENT 7 1 1\n.PEN_DOWN\n1 x\n', "line 4: expected two numbers"),
    ('.SEGMENT DIGIT 0 ? seven\n', "cannot read the digit label"),
])
def test_parse_unipen_errors(bad, message):
    with pytest.raises(UserError, match=message):
        parse_unipen(bad, "f.unipen")


def test_samples_h5_reader_and_errors(tmp_path):
    path = tmp_path / "s.h5"
    data = np.zeros((2, 3, 3))
    data[:, :, 0] = [0.1, 0.5, 0.9]
    data[:, :, 1] = 0.5
    with h5py.File(path, "w") as handle:
        handle["data"], handle["labels"] = data, np.array([3, 4])
    digits = read_samples_h5(path)
    assert digits.labels.tolist() == [3, 4] and digits.points[2, 2] == 1 and digits.points[0, 2] == 0
    assert np.flatnonzero(digits.images[0, 14]).tolist() == list(range(2, 26))   # x 0.1..0.9 at row 14
    data[0, 0, 0] = 1.5
    with h5py.File(path, "w") as handle:
        handle["data"], handle["labels"] = data, np.array([3, 4])
    with pytest.raises(UserError, match="within \\[0, 1\\]"):
        read_samples_h5(path)
    path.write_bytes(b"not hdf5")
    with pytest.raises(UserError, match="not a valid samples file"):
        read_samples_h5(path)


def test_samples_h5_empty_and_pointless(tmp_path):
    # Both raised NumPy's ValueError (min of an empty array) instead of reading / a UserError.
    path = tmp_path / "s.h5"
    with h5py.File(path, "w") as handle:
        handle["data"], handle["labels"] = np.zeros((0, 20, 3)), np.zeros(0, np.int64)
    assert len(read_samples_h5(path)) == 0
    with h5py.File(path, "w") as handle:
        handle["data"], handle["labels"] = np.zeros((2, 0, 3)), np.array([3, 4])
    with pytest.raises(UserError, match=r"expected \(N, T >= 1, 3\)"):
        read_samples_h5(path)


def test_real_human_samples(data_dir):
    digits = load_human_samples(data_dir)
    assert len(digits) == 32 and digits.lengths().tolist() == [20] * 32
    assert np.bincount(digits.labels, minlength=10).min() >= 3
    assert np.all(digits.images.reshape(32, -1).max(axis=1) == 255)


@pytest.fixture(scope="module")
def pendigits(data_dir, cache_dir):
    return load_pendigits(data_dir, cache_dir)


def test_real_pendigits(pendigits):
    assert len(pendigits) == 7494 and sorted(np.unique(pendigits.writers)) == list(range(1, 31))
    assert np.bincount(pendigits.labels).min() >= 719
    ink = pendigits.images > 0
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    height = 28 - np.argmax(rows[:, ::-1], axis=1) - np.argmax(rows, axis=1)
    width = 28 - np.argmax(cols[:, ::-1], axis=1) - np.argmax(cols, axis=1)
    assert np.all(np.maximum(height, width) == 20)   # the long side fills the 20-pixel box
    n, y, x = np.nonzero(ink)
    counts = np.bincount(n)
    centre = np.stack([np.bincount(n, x) / counts, np.bincount(n, y) / counts], axis=1) + 0.5
    error = np.abs(centre - 14).max(axis=1)
    assert np.mean(error <= 0.5) > 0.98 and error.max() < 1.0   # above 0.5 only where the frame clamps
    assert 0 < pendigits.points[:, :2].min() and pendigits.points[:, :2].max() < 1


def test_split_by_writer(pendigits):
    train, dev = split_by_writer(pendigits)
    assert len(train) + len(dev) == len(pendigits)
    assert set(np.unique(dev.writers)) == set(DEV_WRITERS) and not set(train.writers) & set(DEV_WRITERS)
    with pytest.raises(ValueError, match="no writer ids"):
        split_by_writer(DigitSet(pendigits.images[:0], pendigits.labels[:0], pendigits.points[:0],
                                 np.zeros(1, np.int64)))
