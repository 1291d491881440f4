"""DigitEnsemble: routed computation equals running all ten models and masking; classes are independent."""

import pytest
import torch

from mnist_handwriting.models import DigitEnsemble, ModelConfig


def ensemble(**changes):
    torch.manual_seed(0)
    return DigitEnsemble(ModelConfig(kind="ensemble", hidden=8, points=5, third_activation="exp", **changes))


@pytest.mark.parametrize("labels", [[3, 3, 0, 9, 3, 5, 0], [7], list(range(10)) * 2])
def test_routed_equals_masked_values_and_gradients(labels):
    model = ensemble()
    labels = torch.tensor(labels)
    images = torch.rand(len(labels), 28, 28, generator=torch.Generator().manual_seed(1))
    routed = model(images, labels)
    masked = model.masked_forward(images, labels)
    torch.testing.assert_close(routed, masked)
    weights = torch.rand_like(routed)
    routed_grads = torch.autograd.grad((routed * weights).sum(), list(model.parameters()))
    masked_grads = torch.autograd.grad((model.masked_forward(images, labels) * weights).sum(), list(model.parameters()))
    for routed_grad, masked_grad in zip(routed_grads, masked_grads):
        torch.testing.assert_close(routed_grad, masked_grad)


def test_a_sample_uses_only_its_own_class_weights():
    model = ensemble()
    images, labels = torch.rand(4, 28, 28), torch.tensor([5, 2, 5, 7])
    before = model(images, labels)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter[2].add_(0.5)          # perturb class 2 only
    after = model(images, labels)
    torch.testing.assert_close(after[[0, 2, 3]], before[[0, 2, 3]])
    assert not torch.allclose(after[1], before[1])


def test_every_layer_sees_the_previous_point_and_label():
    model = ensemble()
    assert [tuple(w.shape) for w in model.step] == [(10, 3 + 8, 32), (10, 3 + 8 + 8, 32), (10, 3 + 8 + 3, 32)]
    assert tuple(model.label.shape) == (10, 2, 10, 32)


def test_output_order_matches_input_order():
    model = ensemble()
    images, labels = torch.rand(6, 28, 28), torch.tensor([9, 1, 4, 1, 0, 9])
    full = model(images, labels)
    for i in range(6):
        torch.testing.assert_close(full[i:i + 1], model(images[i:i + 1], labels[i:i + 1]))
