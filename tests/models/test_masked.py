"""MaskedLSTM (the repository's per-digit model): its cell equations, the label mask, TF-style init and raw feedback."""

import math

import pytest
import torch

from mnist_handwriting.errors import UserError
from mnist_handwriting.models import MaskedLSTM, ModelConfig, build_model
from mnist_handwriting.models.handwriting_lstm import lstm_update


def small(**changes):
    options = dict(kind="masked", hidden=20, points=5, third_activation="exp", feedback="raw", init="tensorflow")
    return MaskedLSTM(ModelConfig(**{**options, **changes}))


def batch(size=6, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(size, 28, 28, generator=generator), torch.randint(0, 10, (size,), generator=generator)


def repository_forward(model, images, labels):
    """The repository's loop: every step, each layer's whole kernel over [input, label, point, state]."""
    config, batch_size, hidden = model.config, len(images), model.config.hidden
    onehot = torch.nn.functional.one_hot(labels, 10).float()
    mask = onehot.repeat(1, hidden // 10)          # tf.tile(labels, [1, 64])
    kernels = [torch.cat([model.static, model.step[0]])]    # rows: image, label, point, state
    kernels += [torch.cat([model.step[k][3:3 + hidden], model.label[k - 1], model.step[k][:3], model.step[k][3 + hidden:]])
                for k in (1, 2)]                             # rows: masked input, label, point, state
    states = [torch.zeros(batch_size, hidden)] * 2 + [torch.zeros(batch_size, 3)]
    cells = [torch.zeros(batch_size, hidden)] * 3
    coord, outputs = torch.zeros(batch_size, 3), []
    for _ in range(config.points):
        x = images.reshape(batch_size, -1)
        for k in range(3):
            joined = torch.cat([x, onehot, coord, states[k]], 1)
            out, cells[k] = lstm_update(joined @ kernels[k] + model.bias[k], cells[k])
            states[k] = out @ model.projection if k == 2 else out
            x = out * mask
        coord = torch.cat([torch.sigmoid(states[2][:, :2]), torch.exp(states[2][:, 2:])], 1)
        outputs.append(coord)
    return torch.stack(outputs, 1)


def test_forward_equals_the_repository_cell_equations():
    torch.manual_seed(0)
    model = small()
    images, labels = batch()
    torch.testing.assert_close(model(images, labels), repository_forward(model, images, labels))


@pytest.mark.parametrize("labels", [[3, 3, 3, 3], [0, 9, 9, 5, 1, 0], [7]])
def test_routed_input_equals_the_mask_in_values_and_gradients(labels):
    torch.manual_seed(4)
    model = small()
    images, _ = batch(len(labels))
    labels = torch.tensor(labels)
    ours = model(images, labels)
    grads = torch.autograd.grad(ours.sum(), list(model.parameters()))
    theirs = repository_forward(model, images, labels)
    torch.testing.assert_close(ours, theirs)
    for mine, reference in zip(grads, torch.autograd.grad(theirs.sum(), list(model.parameters()))):
        torch.testing.assert_close(mine, reference)


def test_other_classes_units_pass_nothing_upwards_but_share_the_recurrence():
    torch.manual_seed(1)
    model = small()
    images, labels = batch(4)
    labels[:] = 3
    model(images, labels).sum().backward()
    inputs_from_below = model.step[1].grad[3:3 + 20]          # rows of layer 1's units in layer 2's kernel
    assert inputs_from_below[[3, 13]].abs().sum() > 0
    others = [j for j in range(20) if j % 10 != 3]
    assert torch.count_nonzero(inputs_from_below[others]) == 0
    # Layer 1's recurrence is not masked: all its units feed back into themselves.
    assert torch.count_nonzero(model.step[0].grad[3:][others]) > 0


def test_raw_feedback_feeds_the_exp_softness_back():
    torch.manual_seed(2)
    raw_model = small()
    squashed = small(feedback="squashed")
    squashed.load_state_dict(raw_model.state_dict())
    images, labels = batch()
    a, b = raw_model(images, labels), squashed(images, labels)
    torch.testing.assert_close(a[:, 0], b[:, 0])     # the first point sees no feedback yet
    assert not torch.allclose(a[:, 1:], b[:, 1:])


@pytest.mark.parametrize("kind, hidden", [("lstm", 16), ("ensemble", 8), ("masked", 20)])
def test_tensorflow_init_is_glorot_per_layer_kernel_with_zero_bias(kind, hidden):
    torch.manual_seed(3)
    model = build_model(ModelConfig(kind=kind, hidden=hidden, init="tensorflow"))
    gates = 4 * hidden
    biases = [p for name, p in model.named_parameters() if "bias" in name]
    for bias in biases:
        forget = bias[..., hidden:2 * hidden]
        assert torch.all(forget == 1) and torch.count_nonzero(bias) == forget.numel()
    # Layer 1's kernel: [image 784, label 10, point 3, state H] (the ensemble's per class, H = 64 per model).
    bound = math.sqrt(6 / (794 + 3 + hidden + gates))
    static = model.static.weight if kind == "lstm" else model.static
    assert static.abs().max() <= bound and static.abs().max() > 0.99 * bound
    projection = math.sqrt(6 / (hidden + 3))
    assert model.projection.abs().max() <= projection and model.projection.abs().max() > 0.9 * projection


def test_the_masked_model_needs_units_for_every_class():
    with pytest.raises(UserError, match="multiple of 10"):
        ModelConfig(kind="masked", hidden=64).validate()


def test_unknown_init_and_feedback_are_named():
    with pytest.raises(UserError, match="model.init"):
        ModelConfig(init="xavier").validate()
    with pytest.raises(UserError, match="model.feedback"):
        ModelConfig(feedback="none").validate()
