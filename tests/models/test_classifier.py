"""The legibility classifier: shapes, prediction, strict loading (training: tests/train/test_classifier.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from mnist_handwriting.errors import UserError
from mnist_handwriting.models.classifier import DigitClassifier, accuracy, load_classifier, predict, save_classifier
from mnist_handwriting.train.classifier import TrainConfig
from weights_files import rewrite_weights


def test_forward_shape_and_predict_probabilities():
    torch.manual_seed(0)
    model = DigitClassifier()
    assert model(torch.zeros(3, 28, 28)).shape == (3, 10)
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    labels, probabilities = predict(model, images)
    assert labels.dtype == np.int64 and labels.shape == (5,)
    assert probabilities.dtype == np.float32 and probabilities.shape == (5, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(labels, probabilities.argmax(axis=1))
    # uint8 0..255 and float 0..1 are the same input.
    np.testing.assert_allclose(predict(model, images.astype(np.float32) / 255)[1], probabilities, atol=1e-6)
    with pytest.raises(UserError, match=r"expected \(N, 28, 28\)"):
        predict(model, np.zeros((2, 20, 20), np.uint8))


def test_shipped_classifier_reads_thinned_test_digits(data_dir, cache_dir):
    from mnist_handwriting.data.stroke_sequences import load_thinned_mnist

    test = load_thinned_mnist("test", data_dir, cache_dir)
    model = load_classifier()
    assert not model.training
    assert accuracy(model, test.images[:1000], test.labels[:1000]) > 0.96


def test_save_load_round_trip(tmp_path):
    torch.manual_seed(1)
    model = DigitClassifier().eval()
    path = save_classifier(model, tmp_path, metrics={"test_accuracy": 0.5}, train=TrainConfig(), command="test")
    assert path.name == "classifier.safetensors" and (tmp_path / "classifier.json").is_file()
    loaded = load_classifier("cpu", path)
    images = torch.rand(2, 28, 28)
    torch.testing.assert_close(loaded(images), model(images))


@pytest.mark.parametrize("change,message", [
    (lambda t: t.pop("head.4.bias"), r"missing \['head.4.bias'\]"),
    (lambda t: t.update(extra=torch.zeros(1)), r"unexpected \['extra'\]"),
    (lambda t: t["head.4.bias"].fill_(float("nan")), "NaN"),
    (lambda t: t.update({"head.4.bias": torch.zeros(11)}), "has shape"),
])
def test_strict_loading_rejects_bad_tensors(tmp_path, change, message):
    good = save_classifier(DigitClassifier(), tmp_path, metrics={}, train=TrainConfig(), command="test")
    bad = tmp_path / "bad.safetensors"
    rewrite_weights(good, bad, change)
    with pytest.raises(UserError, match=message):
        load_classifier("cpu", bad)


def test_loading_missing_corrupt_or_foreign_files(tmp_path):
    with pytest.raises(UserError, match="classifier weights not found"):
        load_classifier("cpu", tmp_path / "none.safetensors")
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"not a safetensors file")
    with pytest.raises(UserError, match="cannot read classifier weights"):
        load_classifier("cpu", corrupt)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(1)}, str(foreign), metadata={"format": '"something-else"'})
    with pytest.raises(UserError, match="is not a legibility classifier"):
        load_classifier("cpu", foreign)
    plain = tmp_path / "plain.safetensors"   # a handwriting model's metadata is not JSON-encoded
    save_file({"w": torch.zeros(1)}, str(plain), metadata={"format": "mnist-handwriting-model/1"})
    with pytest.raises(UserError, match="is not a legibility classifier"):
        load_classifier("cpu", plain)
