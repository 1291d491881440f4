"""`mnist-handwriting show`: PNG grids and GIFs from a handwriting file, exit code 2 for mistakes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mnist_handwriting.cli import main
from mnist_handwriting.formats import save_handwriting_file, save_images_file


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(2)
    points = rng.random((30, 5, 3)).astype(np.float32)
    points[..., 2] = 0
    points[:, -1, 2] = 1
    labels = np.arange(30) % 10
    save_handwriting_file(tmp_path / "hw.npz", points, labels)
    save_images_file(tmp_path / "im.npz", np.zeros((30, 28, 28), np.uint8), labels)
    save_images_file(tmp_path / "other.npz", np.zeros((30, 28, 28), np.uint8), labels[::-1])
    return tmp_path


def test_png_grid_size_follows_count_and_columns(files):
    assert main(["show", str(files / "hw.npz"), "--out", str(files / "g.png"), "--count", "12", "--columns", "5",
                 "--cell", "20", "--images", str(files / "im.npz"), "--seed", "0"]) == 0
    with Image.open(files / "g.png") as grid:
        assert grid.format == "PNG" and grid.size == (100, 60)


def test_gif_animates_the_drawing(files):
    assert main(["show", str(files / "hw.npz"), "--out", str(files / "g.gif"), "--count", "4", "--cell", "20",
                 "--fps", "5"]) == 0
    with Image.open(files / "g.gif") as gif:
        assert gif.size == (80, 20) and gif.n_frames > 1 and gif.info["duration"] == 200


@pytest.mark.parametrize("extra, message", [
    (["--out", "{d}/g.jpg"], "unknown output type .jpg"),
    (["--out", "{d}/g.png", "--count", "0"], "--count 0"),
    (["--out", "{d}/g.png", "--images", "{d}/other.npz"], "does not hold the same digits"),
    (["--out", "{d}/g.gif", "--fps", "60"], "frame rate 60"),
    (["--out", "{d}/nowhere/g.png"], "does not exist"),
])
def test_user_mistakes_exit_2(files, capsys, extra, message):
    assert main(["show", str(files / "hw.npz")] + [a.format(d=files) for a in extra]) == 2
    assert message in capsys.readouterr().err
    assert not list(files.glob("g.*"))
