"""Training the legibility classifier: augmentation, a short run."""

import numpy as np
import pytest
import torch

from mnist_handwriting.train.classifier import TrainConfig, augment, train_classifier


def test_augment_keeps_shape_and_is_identity_without_jitter():
    images = torch.rand(4, 28, 28)
    generator = torch.Generator().manual_seed(0)
    still = TrainConfig(rotate_degrees=0, scale=0, shift_pixels=0)
    torch.testing.assert_close(augment(images, still, generator), images, atol=1e-5, rtol=0)
    moved = augment(images, TrainConfig(), generator)
    assert moved.shape == images.shape and not torch.allclose(moved, images)


@pytest.mark.slow
def test_short_training_beats_chance(data_dir, cache_dir):
    from mnist_handwriting.data.stroke_sequences import load_thinned_mnist

    train = load_thinned_mnist("train", data_dir, cache_dir)
    test = load_thinned_mnist("test", data_dir, cache_dir)
    model, metrics = train_classifier(train.images[:1500], train.labels[:1500], test.images[:500], test.labels[:500],
                                      TrainConfig(epochs=2, batch_size=64), progress=False)
    assert set(metrics) == {"test_accuracy", "train_loss", "seconds"}
    assert not model.training
    assert metrics["test_accuracy"] > 0.4
    assert metrics["train_loss"] < np.log(10)
