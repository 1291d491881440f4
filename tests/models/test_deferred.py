"""Deferred weight gradients: the same forward values and gradients as autograd's per-step products."""

import pytest
import torch

from mnist_handwriting.models import build_model
from mnist_handwriting.models.deferred import DeferredWeights, per_step_products
from mnist_handwriting.models.handwriting_lstm import ModelConfig


def recurrence(weights, start, steps=4, use=None):
    """h_t = tanh(h_{t-1} @ W0) with a batched side product through W1: a toy of unroll's structure."""
    products = DeferredWeights(weights)
    h = products.anchor(start)
    total = 0
    for _ in range(steps):
        h = torch.tanh(products.mm(h, 0))
        total = total + products.mm(h.unsqueeze(0).expand(2, -1, -1), 1).sum()
    return total + h.square().sum()


def test_gradients_equal_autograds_on_a_toy_recurrence():
    generator = torch.Generator().manual_seed(0)
    weights = [torch.randn(5, 5, generator=generator, requires_grad=True),
               torch.randn(2, 5, 3, generator=generator, requires_grad=True)]
    start = torch.randn(4, 5, generator=generator)
    value = recurrence(weights, start)
    value.backward()
    deferred_grads = [w.grad.clone() for w in weights]
    for w in weights:
        w.grad = None
    with per_step_products():
        expected = recurrence(weights, start)
        expected.backward()
    assert torch.equal(value, expected)
    for got, want in zip(deferred_grads, (w.grad for w in weights)):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind, hidden, dropout", [("lstm", 16, 0.0), ("lstm", 16, 0.3), ("masked", 20, 0.3)])
def test_models_get_autograds_gradients(kind, hidden, dropout):
    config = ModelConfig(kind=kind, hidden=hidden, points=6, dropout=dropout, third_activation="exp",
                         init="tensorflow", feedback="raw")
    torch.manual_seed(0)
    model = build_model(config)
    images = torch.rand(12, 28, 28, generator=torch.Generator().manual_seed(1))
    labels = torch.arange(12) % 10

    def gradients():
        model.zero_grad()
        torch.manual_seed(2)   # the same dropout masks
        raw = model(images, labels)
        (raw.tanh() * torch.linspace(-1, 1, raw.numel()).view_as(raw)).sum().backward()
        return raw.detach(), {name: p.grad.clone() for name, p in model.named_parameters()}

    raw, got = gradients()
    with per_step_products():
        expected_raw, expected = gradients()
    assert torch.equal(raw, expected_raw)
    assert got.keys() == expected.keys()
    for name in got:
        torch.testing.assert_close(got[name], expected[name], rtol=1e-4, atol=1e-6, msg=name)


def test_without_grad_mode_it_is_a_plain_product():
    weight = torch.randn(3, 2, requires_grad=True)
    with torch.no_grad():
        products = DeferredWeights([weight])
        x = torch.randn(4, 3)
        assert products.anchor(x) is x
        torch.testing.assert_close(products.mm(x, 0), x @ weight)
    assert products.inputs == [[]]


def test_misuse_is_refused():
    weight = torch.randn(3, 3, requires_grad=True)
    products = DeferredWeights([weight])
    with pytest.raises(RuntimeError, match="depends on the anchored tensor"):
        products.mm(torch.randn(2, 3), 0)
    start = products.anchor(torch.zeros(2, 3))
    with pytest.raises(RuntimeError, match="depends on the anchored tensor"):
        products.mm(torch.randn(2, 3), 0)   # an input the anchor does not reach would lose its gradient
    value = products.mm(start + 1, 0).sum()
    value.backward(retain_graph=True)
    torch.testing.assert_close(weight.grad, torch.ones(2, 3).T @ torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="backpropagated once"):
        value.backward()
