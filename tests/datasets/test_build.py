"""Building handwritten MNIST: a rebuilt slice matches the shipped file; the build writes every part and the card."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mnist_handwriting.cli import main
from mnist_handwriting.data.datasets import Locations
from mnist_handwriting.datasets import build, shipped
from mnist_handwriting.export import read_export
from mnist_handwriting.errors import UserError


@pytest.mark.slow
@pytest.mark.parametrize("start, stop", [(0, 512), (59_744, 60_256)])   # train, and valid into test
def test_a_rebuilt_slice_matches_the_shipped_file(data_dir, cache_dir, start, stop):
    """Fails when the default model or the conversion changed but the shipped file was not rebuilt.

    Coordinates may move by float noise (another CPU, a faster but equivalent conversion), far
    below the 0.01 px allowed here; a pen flag may flip only where a segment's intensity ties the
    threshold, so at most 1 in 1,000 may differ. Everything else is exact.
    """
    points, images, labels, model = build.convert_digits(Locations(data_dir, cache_dir), start, stop, progress=False)
    rebuilt = build.stored_arrays(points, images, labels, start)
    stored = {key: values[start:stop] for key, values in shipped.read_shipped().items()}
    assert model == json.loads(shipped.METADATA.read_text())["model"]
    for key in ("labels", "mnist_index", "split", "images"):
        np.testing.assert_array_equal(rebuilt[key], stored[key], err_msg=key)
    new, old = shipped.dequantise(rebuilt), shipped.dequantise(stored)
    assert np.abs(new[..., :2] - old[..., :2]).max() * 28 < 0.01
    assert (new[..., 2] != old[..., 2]).mean() <= 1e-3
    assert np.abs(old[..., :2] - points[..., :2]).max() * 28 < 0.1   # the stored values are within 0.1 px


def contents(path):
    """A file's bytes, or a folder's files by relative path."""
    if path.is_dir():
        return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}
    return path.read_bytes()


@pytest.fixture
def small_build(tmp_path, monkeypatch):
    """A build of 120 digits (train and valid codes of the first 120 MNIST digits), with random trajectories."""
    rng = np.random.default_rng(3)
    points = rng.random((120, 20, 3)).astype(np.float32)
    points[..., 2] = rng.random((120, 20)) < 0.2
    points[:, -1, 2] = 1
    images = np.where(rng.random((120, 28, 28)) < 0.1, 255, 0).astype(np.uint8)
    labels = np.arange(120) % 10
    monkeypatch.setattr(build, "convert_digits", lambda *a, **k: (points, images, labels, "human-best"))
    meta = build.build(tmp_path / "out", progress=False)
    return tmp_path / "out", meta, points, labels


def test_the_build_writes_the_file_its_description_every_export_and_the_card(small_build):
    out, meta, points, labels = small_build
    assert meta["sha256"] == shipped.sha256(out / "handwritten-mnist.npz")
    assert json.loads((out / "handwritten-mnist.json").read_text()) == meta
    assert meta["counts"] == {"train": 120, "valid": 0, "test": 0} and meta["model"] == "human-best"
    stored = shipped.dequantise(dict(np.load(out / "handwritten-mnist.npz")))
    assert meta["max_error_px"] == pytest.approx(np.abs(stored[..., :2] - points[..., :2]).max() * 28, abs=1e-6)
    for format, name in build.EXPORTS.items():
        back, back_labels = read_export(out / name, format)
        exact = format not in ("stroke3", "ndjson")
        assert np.abs(back - stored).max() <= (0 if exact else 0.5 / 255 + 1e-6), format
        np.testing.assert_array_equal(back_labels, labels)
    with np.load(out / "lines.npz") as note:
        assert sorted(note.files) == ["labels", "lines"]   # the founding note's published layout
    card = (out / "README.md").read_text()
    assert card == (out / "parquet" / "README.md").read_text()
    header = card.split("---\n")[1]
    assert "license: cc-by-sa-3.0" in header and "task_categories:" in header and "- n<1K" in header
    assert "validation" not in header and "| train | 120 |" in card
    assert meta["sha256"] in card and "mnist-handwriting dataset build --out DIR" in card
    for section in ("## Dataset structure", "## Dataset creation", "## Licence and attribution", "## Citation"):
        assert section in card
    assert "de Jong" in card and "LeCun" in card and "0.990" in card   # human-best's F1, from docs/RESULTS.md


def test_the_same_inputs_build_the_same_bytes(small_build, tmp_path):
    out, meta, _, _ = small_build
    again = build.build(tmp_path / "again", progress=False)
    assert again == meta
    assert (tmp_path / "again" / "handwritten-mnist.npz").read_bytes() == (out / "handwritten-mnist.npz").read_bytes()
    assert (tmp_path / "again" / "README.md").read_text() == (out / "README.md").read_text()


def test_ship_copies_the_build_over_the_package_files(small_build, tmp_path, monkeypatch):
    out, meta, _, _ = small_build
    targets = tmp_path / "package"
    targets.mkdir()
    for module in (build, shipped):
        monkeypatch.setattr(module, "SHIPPED", targets / "handwritten-mnist.npz")
        monkeypatch.setattr(module, "METADATA", targets / "handwritten-mnist.json")
    monkeypatch.setattr(build, "CARD_COPY", targets / "DATASET.md")
    assert build.ship(out) == [targets / "handwritten-mnist.npz", targets / "handwritten-mnist.json",
                               targets / "DATASET.md"]
    assert len(shipped.load("all").labels) == 120
    assert main(["dataset", "export", "--out", str(tmp_path / "exported")]) == 0   # no model: from the shipped file
    for name in ("README.md", *build.EXPORTS.values()):
        assert contents(tmp_path / "exported" / name) == contents(out / name), name
    (out / "handwritten-mnist.json").write_text(json.dumps({**meta, "sha256": "0" * 64}))
    with pytest.raises(UserError, match="does not match"):
        build.ship(out)


def test_build_refuses_a_used_folder_with_one_line(tmp_path, capsys):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "mine.txt").write_text("keep me")
    assert main(["dataset", "build", "--out", str(tmp_path / "used")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "already exists" in error and "--out" in error
    assert (tmp_path / "used" / "mine.txt").read_text() == "keep me"
