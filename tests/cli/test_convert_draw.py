"""The convert, draw, animate and experiment commands end to end, good and bad input."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mnist_handwriting.cli import main
from mnist_handwriting.formats import load_handwriting_file, save_images_file
from mnist_handwriting.models.registry import DEFAULT_MODEL, shipped_models
from photos import photographed

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def images_file(tmp_path):
    images = np.zeros((3, 28, 28), np.uint8)
    images[:, 4:24, 14] = 255          # thinned vertical lines (a 1)
    images[2, 4:24, 10:16] = 180       # a thick bar: thinned by --input auto
    path = tmp_path / "in.npz"
    save_images_file(path, images, np.array([1, 1, 1]))
    return path


def test_the_shipped_default_model_exists():
    assert DEFAULT_MODEL in shipped_models()


def test_convert_with_the_default_model_keeps_order_and_format(capsys, tmp_path):
    code, out, _ = run(capsys, "convert", "--images", EXAMPLES / "mnist-100.npz", "--out", tmp_path / "out.npz")
    assert code == 0 and f"100 digits x 20 points with {DEFAULT_MODEL}" in out
    points, labels = load_handwriting_file(tmp_path / "out.npz")
    with np.load(EXAMPLES / "mnist-100.npz") as source:
        np.testing.assert_array_equal(labels, source["labels"])
    assert points.shape == (100, 20, 3)
    assert (points[:, -1, 2] == 1).all()


def test_convert_with_the_tracer_thins_raw_images(capsys, tmp_path, images_file):
    code, _, _ = run(capsys, "convert", "--images", images_file, "--out", tmp_path / "out.npz", "--method", "trace",
                     "--points", "8")
    assert code == 0
    points, _ = load_handwriting_file(tmp_path / "out.npz")
    assert points.shape == (3, 8, 3)
    # the thinned bar is drawn near its centre column (12.5 of 10..15), not along an edge
    assert abs(float(np.median(points[2, :, 0])) * 28 - 13.0) < 1.5


@pytest.mark.parametrize("argv, message", [
    (["--images", "missing.npz"], "images file not found"),
    (["--images", "IN", "--model", "no-such-model"], "no-such-model"),
    (["--images", "IN", "--method", "trace", "--model", "note-best"], "--model and --method trace were both given"),
    (["--images", "IN", "--batch-size", "0"], "batch size 0 is not positive"),
    (["--images", "IN", "--workers", "0"], "use a --workers count of 1 or more"),
    (["--images", "IN", "--device", "cuda:7"], "device"),
])
def test_convert_bad_input_is_one_line_and_no_output(capsys, tmp_path, images_file, argv, message):
    argv = [str(images_file) if a == "IN" else a for a in argv]
    code, _, err = run(capsys, "convert", *argv, "--out", tmp_path / "out.npz")
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.npz").exists()


def test_convert_refuses_outputs_that_are_not_npz_or_in_missing_folders(capsys, tmp_path, images_file):
    code, _, err = run(capsys, "convert", "--images", images_file, "--out", tmp_path / "out.svg")
    assert code == 2 and "not a .npz" in err
    code, _, err = run(capsys, "convert", "--images", images_file, "--out", tmp_path / "nope" / "out.npz")
    assert code == 2 and "does not exist" in err


def test_draw_with_a_given_label_writes_svg_and_gif(capsys, tmp_path):
    code, out, _ = run(capsys, "draw", EXAMPLES / "seven.png", "--label", "7", "--out", tmp_path / "seven.svg")
    assert code == 0 and "digit 7 (given)" in out
    assert (tmp_path / "seven.svg").read_text().startswith("<svg")
    with Image.open(tmp_path / "seven.gif") as gif:
        assert gif.n_frames >= 10, "the digit appears point by point"


def test_draw_without_a_label_asks_the_classifier_and_says_so(capsys, tmp_path):
    code, out, _ = run(capsys, "draw", EXAMPLES / "seven.png", "--out", tmp_path / "seven.json")
    assert code == 0 and "predicted by the shipped classifier" in out
    digit = json.loads((tmp_path / "seven.json").read_text())["digits"][0]
    assert digit["label"] == 7 and digit["label_predicted"] is True
    assert len(digit["points"]) == 20 and digit["points"][-1][2] == 1


def test_draw_reads_a_photographed_digit(capsys, tmp_path):
    """seven.png photographed (tests/photos.py) and saved as a JPEG."""
    seven = np.asarray(Image.open(EXAMPLES / "seven.png").convert("L"), np.float32) / 255
    photo = photographed(1 - seven, np.random.default_rng(0), side=seven.shape[0])
    Image.fromarray((photo * 255).astype(np.uint8)).save(tmp_path / "photo.jpg", quality=70)
    code, out, _ = run(capsys, "draw", tmp_path / "photo.jpg", "--out", tmp_path / "photo.json")
    assert code == 0 and "digit 7 (predicted by the shipped classifier" in out
    points = np.array(json.loads((tmp_path / "photo.json").read_text())["digits"][0]["points"])
    clean = run(capsys, "draw", EXAMPLES / "seven.png", "--label", "7", "--out", tmp_path / "clean.json")
    assert clean[0] == 0
    reference = np.array(json.loads((tmp_path / "clean.json").read_text())["digits"][0]["points"])
    # the same 7, drawn from the photo within about a pixel of the clean picture's drawing
    assert np.abs(points[:, :2] - reference[:, :2]).mean() * 28 < 1.5


def test_draw_bad_inputs(capsys, tmp_path):
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("hello")
    code, _, err = run(capsys, "draw", not_an_image, "--label", "3", "--out", tmp_path / "x.svg")
    assert code == 2 and "notes.png" in err
    code, _, err = run(capsys, "draw", EXAMPLES / "seven.png", "--label", "12", "--out", tmp_path / "x.svg")
    assert code == 2 and "outside 0..9" in err
    code, _, err = run(capsys, "draw", EXAMPLES / "seven.png", "--label", "7", "--out", tmp_path / "x.pdf")
    assert code == 2 and "unknown output type .pdf" in err
    code, _, err = run(capsys, "draw", EXAMPLES / "seven.png", EXAMPLES / "seven.png", "--label", "7", "--label", "1",
                       "--label", "2", "--out", tmp_path / "x.json")
    assert code == 2 and "3 labels for 2 images" in err
    code, _, err = run(capsys, "draw", EXAMPLES / "seven.png", "--label", "7", "--fps", "0", "--out", tmp_path / "x.svg")
    assert code == 2 and "frame rate 0 is outside 1..50" in err   # before the .svg is written, not after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.png"]


def test_animate_writes_the_three_row_figure(capsys, tmp_path):
    code, out, _ = run(capsys, "animate", "--images", EXAMPLES / "mnist-100.npz", "--indices", "0", "5",
                       "--out", tmp_path / "a.gif", "--cell", "40")
    assert code == 0 and "2 digits" in out
    with Image.open(tmp_path / "a.gif") as gif:
        assert gif.size == (40 + 2 * 40, 3 * 40)
    code, _, err = run(capsys, "animate", "--images", EXAMPLES / "mnist-100.npz", "--indices", "100",
                       "--out", tmp_path / "b.gif")
    assert code == 2 and "index 100 is out of range" in err


def test_constant_input_experiment(capsys, tmp_path):
    code, out, _ = run(capsys, "experiment", "constant-input", "--out", tmp_path / "c.png")
    assert code == 0 and "all-black" in out
    with Image.open(tmp_path / "c.png") as picture:
        assert picture.size[0] == 10 * 84 and picture.size[1] == 2 * 84
