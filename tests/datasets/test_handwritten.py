"""HandwrittenMNIST as torchvision-style datasets are used: items, representations, transforms, batches, training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Subset

from mnist_handwriting.datasets import HandwrittenMNIST, collate, load
from mnist_handwriting.errors import UserError
from mnist_handwriting.formats import save_handwriting_file
from mnist_handwriting.strokes import from_offsets, from_stroke5, to_offsets


@pytest.fixture(scope="module")
def test_points():
    return load("test").points


def test_items_in_each_representation_are_the_same_trajectory(test_points):
    points = HandwrittenMNIST("test")
    sequence, label = points[3]
    assert len(points) == 10_000 and isinstance(label, int) and label == int(load("test").labels[3])
    torch.testing.assert_close(sequence, torch.from_numpy(test_points[3]))
    stroke3, _ = HandwrittenMNIST("test", representation="stroke3")[3]
    np.testing.assert_allclose(from_offsets(stroke3.numpy()), test_points[3], atol=1e-6)
    stroke5, _ = HandwrittenMNIST("test", representation="stroke5")[3]
    assert stroke5.shape == (20, 5)
    np.testing.assert_array_equal(stroke5[:, 2] + stroke5[:, 3], np.ones(20))   # p1 + p2 = 1, p3 = 0
    np.testing.assert_array_equal(from_stroke5(stroke5.numpy()), stroke3.numpy())


def test_image_and_transforms(test_points):
    dataset = HandwrittenMNIST("test", with_image=True, transform=lambda s: s[:, :2] * 28,
                               target_transform=lambda y: f"digit {y}")
    sequence, label, image = dataset[0]
    torch.testing.assert_close(sequence, torch.from_numpy(test_points[0][:, :2]) * 28)
    assert label == "digit 7"   # the first MNIST test digit is a 7
    assert image.shape == (28, 28) and image.dtype == torch.float32
    assert set(image.unique().tolist()) == {0.0, 1.0}


def test_a_source_file_works_offline(tmp_path):
    points = np.zeros((12, 2, 3), np.float32)
    points[:, 1] = [0.5, 0.25, 1.0]
    save_handwriting_file(tmp_path / "mine.npz", points, np.arange(12) % 10)
    dataset = HandwrittenMNIST("all", representation="stroke3", source=tmp_path / "mine.npz")
    sequence, label = dataset[11]
    torch.testing.assert_close(sequence, torch.tensor([[0.0, 0.0, 0.0], [0.5, 0.25, 1.0]]))
    assert label == 1


def test_unknown_names_fail_before_loading():
    with pytest.raises(UserError, match="unknown representation 'stroke4'.*points, stroke3, stroke5"):
        HandwrittenMNIST("train", representation="stroke4", source="/nonexistent.npz")
    with pytest.raises(UserError, match="unknown split 'training'"):
        HandwrittenMNIST("training")


def test_collate_pads_as_sketch_rnn_by_hand():
    long = torch.tensor([[0.1, 0.2, 1.0, 0.0, 0.0], [0.3, 0.4, 0.0, 1.0, 0.0]])
    short = torch.tensor([[0.5, 0.6, 0.0, 1.0, 0.0]])
    batch = collate([(long, 3), (short, 7)])
    expected = torch.tensor([
        [[0, 0, 1, 0, 0], [0.1, 0.2, 1, 0, 0], [0.3, 0.4, 0, 1, 0]],
        [[0, 0, 1, 0, 0], [0.5, 0.6, 0, 1, 0], [0, 0, 0, 0, 1]],
    ])
    torch.testing.assert_close(batch.sequences, expected)
    assert batch.lengths.tolist() == [2, 1] and batch.labels.tolist() == [3, 7] and batch.images is None
    # the inverse conversion stops at the end of the sketch
    np.testing.assert_allclose(from_stroke5(batch.sequences[1, 1:].numpy()), [[0.5, 0.6, 1.0]])
    stroke3 = collate([(long[:, [0, 1, 3]], 3), (short[:, [0, 1, 3]], 7)], "stroke3")
    torch.testing.assert_close(stroke3.sequences[1], torch.tensor([[0, 0, 0], [0.5, 0.6, 1], [0, 0, 1.0]]))


def test_collate_refuses_what_it_cannot_pad():
    with pytest.raises(UserError, match="cannot pad 'points'"):
        collate([(torch.zeros(2, 3), 1)], "points")
    with pytest.raises(UserError, match=r"stroke5 sequence has shape \(2, 3\), expected \(length, 5\)"):
        collate([(torch.zeros(2, 3), 1)], "stroke5")


def test_collate_of_the_dataset_batches_images_too():
    dataset = HandwrittenMNIST("valid", representation="stroke5", with_image=True)
    batch = next(iter(DataLoader(dataset, batch_size=4, collate_fn=dataset.collate)))
    assert batch.sequences.shape == (4, 21, 5) and batch.images.shape == (4, 28, 28)
    assert batch.lengths.tolist() == [20] * 4


def test_a_tiny_sequence_model_learns_through_a_data_loader():
    """A 365-parameter GRU predicts the next stroke-5 row (offset MSE + pen-state cross-entropy)."""
    torch.manual_seed(0)
    dataset = HandwrittenMNIST("train", representation="stroke5")
    loader = DataLoader(Subset(dataset, range(512)), batch_size=64, shuffle=True, collate_fn=dataset.collate)
    rnn, head = torch.nn.GRU(5, 8, batch_first=True), torch.nn.Linear(8, 5)
    parameters = [*rnn.parameters(), *head.parameters()]
    assert sum(p.numel() for p in parameters) == 3 * (5 * 8 + 8 * 8 + 2 * 8) + 8 * 5 + 5
    optimiser = torch.optim.Adam(parameters, lr=0.03)
    losses = []
    for _ in range(3):
        for batch in loader:
            inputs, targets = batch.sequences[:, :-1], batch.sequences[:, 1:]
            out = head(rnn(inputs)[0])
            loss = ((out[..., :2] - targets[..., :2] * 10) ** 2).mean() + torch.nn.functional.cross_entropy(
                out[..., 2:].reshape(-1, 3), targets[..., 2:].argmax(-1).reshape(-1))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
    assert len(losses) == 24
    assert np.mean(losses[-4:]) < 0.7 * np.mean(losses[:4]), losses
