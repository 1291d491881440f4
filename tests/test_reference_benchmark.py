"""benchmarks/reference.py (issue 14) is optional: without the reference checkout or TensorFlow it says why and skips
that side; benchmarks/reference_compare.py (issue 12) hands the reference's drawings to our evaluation."""

import sys
from argparse import Namespace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import reference  # noqa: E402


def test_the_reference_side_is_skipped_with_its_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MNIST_HANDWRITING_REFERENCE", raising=False)
    monkeypatch.delenv("MNIST_HANDWRITING_TF_PYTHON", raising=False)
    args = Namespace(reference=None, tf_python=None, threads=1, iterations=1)
    assert reference.reference_times(args, tmp_path / "digits.npz") is None
    assert "no checkout of Grzego/mnist-handwriting-dataset" in capsys.readouterr().out
    (tmp_path / "train.py").write_text("")
    args.reference = str(tmp_path)
    assert reference.reference_times(args, tmp_path / "digits.npz") is None
    assert "no Python with TensorFlow" in capsys.readouterr().out
    args.tf_python = sys.executable   # the suite's Python has no TensorFlow
    assert reference.reference_times(args, tmp_path / "digits.npz") is None
    assert "cannot import tensorflow" in capsys.readouterr().out


def test_the_reference_drawings_are_handed_to_the_evaluation_by_image_and_label():
    import numpy as np

    import reference_compare

    rng = np.random.default_rng(0)
    images = rng.integers(0, 2, size=(5, 28, 28)).astype(np.uint8) * 255
    images[4] = images[1]                                      # the same image under another label
    labels = np.array([3, 1, 4, 1, 5])
    points = rng.random((5, 20, 3)).astype(np.float32)
    converter = reference_compare.DrawnConverter("reference", images, labels, points)
    order = [4, 2, 1, 0]
    np.testing.assert_array_equal(converter.convert(images[order], labels[order]), points[order])
    assert converter.count == 20
