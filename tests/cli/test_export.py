"""`mnist-handwriting export`: formats, split options, exit code 2 for user mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_handwriting.cli import main
from mnist_handwriting.export import read_export
from mnist_handwriting.formats import save_handwriting_file


@pytest.fixture
def handwriting(tmp_path):
    rng = np.random.default_rng(1)
    points = rng.random((240, 6, 3)).astype(np.float32)
    points[..., 2] = 0
    points[:, [2, 5], 2] = 1
    path = tmp_path / "hw.npz"
    save_handwriting_file(path, points, np.arange(240) % 10)
    return path, points


def test_export_stroke3_with_splits(handwriting, tmp_path, capsys):
    path, points = handwriting
    assert main(["export", str(path), "--format", "stroke3", "--out", str(tmp_path / "s.npz"),
                 "--valid-fraction", "0.25", "--test-start", "200"]) == 0
    assert "(150 train, 50 valid, 40 test)" in capsys.readouterr().out
    with np.load(tmp_path / "s.npz", allow_pickle=True, encoding="latin1") as data:
        np.testing.assert_array_equal(data["test_index"], np.arange(200, 240))
    back, _ = read_export(tmp_path / "s.npz", "stroke3")
    assert np.abs(back - points).max() <= 0.5 / 255 + 1e-7


def test_export_svg_writes_a_folder(handwriting, tmp_path):
    path, points = handwriting
    assert main(["export", str(path), "--format", "svg", "--out", str(tmp_path / "svg")]) == 0
    assert len(list((tmp_path / "svg").glob("*.svg"))) == 240


@pytest.mark.parametrize("argv, message", [
    (["--format", "npz", "--out", "{tmp}/missing/x.npz"], "output folder"),
    (["--format", "npz", "--out", "{tmp}/x.npz", "--valid-fraction", "1.5"], "validation fraction"),
    (["--format", "npz", "--out", "{tmp}/x.npz", "--test-start", "999"], "test start 999"),
])
def test_user_mistakes_exit_2_with_one_line(handwriting, tmp_path, capsys, argv, message):
    path, _ = handwriting
    assert main(["export", str(path)] + [a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x.npz").exists()


def test_missing_input_exits_2(tmp_path, capsys):
    assert main(["export", str(tmp_path / "none.npz"), "--format", "npz", "--out", str(tmp_path / "x.npz")]) == 2
    assert "handwriting file not found" in capsys.readouterr().err
