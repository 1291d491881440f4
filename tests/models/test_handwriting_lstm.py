"""HandwritingLSTM: shapes, ranges, the once-per-sequence input projection, dropout, draw and pen-up flags."""

import math

import pytest
import torch

from mnist_handwriting.errors import UserError
from mnist_handwriting.models import HandwritingLSTM, ModelConfig, build_model, pen_up_flags
from mnist_handwriting.models.handwriting_lstm import absorb_dots, blur
from mnist_handwriting.models.handwriting_lstm import fast_lstm_update, lstm_update
from mnist_handwriting.render import make_rasteriser


def small(**changes):
    return HandwritingLSTM(ModelConfig(hidden=16, points=6, **changes))


def batch(size=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(size, 28, 28, generator=generator), torch.randint(0, 10, (size,), generator=generator)


@pytest.mark.parametrize("activation", ["sigmoid", "exp"])
def test_forward_shapes_and_ranges(activation):
    torch.manual_seed(0)
    raw = small(third_activation=activation)(*batch())
    assert raw.shape == (5, 6, 3)
    assert bool(((raw[..., :2] > 0) & (raw[..., :2] < 1)).all())
    assert bool((raw[..., 2] > 0).all())
    if activation == "sigmoid":
        assert bool((raw[..., 2] < 1).all())


def naive_forward(model, images, labels):
    """The note's formulation: the full [image, label, previous point] input multiplied at every step."""
    config = model.config
    onehot = torch.nn.functional.one_hot(labels, 10).float()
    first = torch.cat([model.static.weight.T, model.step[0][:3]])      # (794 + 3, 4H)
    hidden = [torch.zeros(len(images), config.hidden)] * 2 + [torch.zeros(len(images), 3)]
    cells = [torch.zeros(len(images), config.hidden)] * 3
    previous, outputs = torch.zeros(len(images), 3), []
    for _ in range(config.points):
        x = torch.cat([images.reshape(len(images), -1), onehot, previous], 1)
        gates = x @ first + hidden[0] @ model.step[0][3:] + model.static.bias
        hidden[0], cells[0] = lstm_update(gates, cells[0])
        for k in (1, 2):
            gates = torch.cat([hidden[k - 1], hidden[k]], 1) @ model.step[k] + model.bias[k - 1]
            out, cells[k] = lstm_update(gates, cells[k])
            hidden[k] = out @ model.projection if k == 2 else out
        previous = torch.sigmoid(hidden[2])
        outputs.append(previous)
    return torch.stack(outputs, 1)


def test_static_projection_equals_the_per_step_input():
    torch.manual_seed(1)
    model = small()
    images, labels = batch()
    torch.testing.assert_close(model(images, labels), naive_forward(model, images, labels))


def test_first_point_depends_only_on_image_and_label():
    torch.manual_seed(2)
    model = small()
    images, labels = batch(2)
    images[1], labels[1] = images[0], labels[0]
    raw = model(images, labels)
    torch.testing.assert_close(raw[0], raw[1])
    labels[1] = (labels[0] + 1) % 10
    assert not torch.allclose(model(images, labels)[0, 0], model(images, labels)[1, 0])


def test_dropout_is_random_in_training_and_off_in_eval():
    torch.manual_seed(3)
    model = small(dropout=0.5)
    images, labels = batch()
    assert not torch.allclose(model(images, labels), model(images, labels))
    model.eval()
    torch.testing.assert_close(model(images, labels), model(images, labels))


def test_gradients_reach_every_parameter():
    torch.manual_seed(4)
    model = small()
    model(*batch()).sum().backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_bad_inputs_are_user_errors():
    model = small()
    with pytest.raises(UserError, match=r"\(B, 28, 28\)"):
        model(torch.zeros(2, 784), torch.zeros(2, dtype=torch.long))
    with pytest.raises(UserError, match="0..9"):
        model(torch.zeros(2, 28, 28), torch.tensor([3, 10]))
    with pytest.raises(UserError, match="one label per image"):
        model(torch.zeros(2, 28, 28), torch.zeros(3, dtype=torch.long))
    with pytest.raises(UserError, match="third_activation"):
        HandwritingLSTM(ModelConfig(third_activation="relu"))


@pytest.mark.parametrize("kind", ["lstm", "ensemble"])
def test_wrong_dtypes_are_user_errors(kind):
    """uint8 or float64 images and int32 labels used to fail deep inside a matmul or one_hot."""
    model = build_model(ModelConfig(kind=kind, hidden=8, layers=2, points=3))
    labels = torch.tensor([1, 2])
    for images in (torch.zeros(2, 28, 28, dtype=torch.uint8), torch.zeros(2, 28, 28, dtype=torch.float64)):
        with pytest.raises(UserError, match="model's weights are torch.float32"):
            model(images, labels)
    with pytest.raises(UserError, match="not torch.int64"):
        model(torch.zeros(2, 28, 28), labels.int())
    if kind == "ensemble":
        with pytest.raises(UserError, match="not torch.int64"):
            model.masked_forward(torch.zeros(2, 28, 28), labels.to(torch.uint8))


def test_pen_up_flags_follow_the_rendered_segment_peak():
    # Soft-line: softness 900 (sigmoid 16 at half a pixel) draws a crisp 5-pixel segment
    # (peak ~1); softness 0 spreads 1/64 over the image (peak < 0.05): pen lifted;
    # softness 3 leaves a faint haze, still lifted.
    raw = torch.tensor([[[0.2, 0.2, 900.0], [0.2, 0.4, 0.0], [0.6, 0.4, 900.0], [0.6, 0.6, 3.0],
                         [0.3, 0.7, 900.0], [0.3, 0.9, 1.0]]])
    rasteriser = make_rasteriser("soft-line")
    peaks = rasteriser.segments(raw).amax(dim=(-2, -1))[0]
    assert peaks[0] > 0.9 and abs(float(peaks[1]) - 1 / 64) < 1e-3 and peaks[3] < 0.05
    points = pen_up_flags(raw, rasteriser)
    assert points[0, :, 2].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
    torch.testing.assert_close(points[..., :2], raw[..., :2])


def with_pen(xs, pen):
    return torch.tensor([[[x, 0.5, p] for x, p in zip(xs, pen)]], dtype=torch.float32)


def test_lone_points_become_pen_moves():
    # Dots at 0 (leading), 3 (between strokes) and 6 (last): 0 and 3 move onto the next
    # point and join its stroke, 6 moves onto 5 and joins its stroke.
    points = with_pen([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [1, 0, 1, 1, 0, 1, 1])
    absorbed = absorb_dots(points)[0]
    assert absorbed[:, 0].tolist() == pytest.approx([0.1, 0.1, 0.2, 0.4, 0.4, 0.5, 0.5])
    assert absorbed[:, 2].tolist() == [0, 0, 1, 0, 0, 0, 1]


def test_a_chain_of_lone_points_joins_the_first_real_stroke():
    absorbed = absorb_dots(with_pen([0.0, 0.1, 0.2, 0.3, 0.4], [1, 1, 0, 0, 1]))[0]
    assert absorbed[:, 0].tolist() == pytest.approx([0.2, 0.2, 0.2, 0.3, 0.4])
    assert absorbed[:, 2].tolist() == [0, 0, 0, 0, 1]
    unchanged = with_pen([0.0, 0.1, 0.2], [0, 0, 1])
    torch.testing.assert_close(absorb_dots(unchanged), unchanged)


def test_lone_points_at_the_end_all_join_the_last_stroke():
    # Two trailing dots (3 and 4) used to leave a zero-length stroke [3, 4]: a dot.
    absorbed = absorb_dots(with_pen([0.0, 0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1, 1]))[0]
    assert absorbed[:, 0].tolist() == pytest.approx([0.0, 0.1, 0.2, 0.2, 0.2])
    assert absorbed[:, 2].tolist() == [0, 0, 0, 0, 1]
    # Only lone points: nothing to join, one dot at the first point (T = 2 included).
    for xs, pen in (([0.0, 0.1, 0.2], [1, 1, 1]), ([0.0, 0.1], [1, 1])):
        absorbed = absorb_dots(with_pen(xs, pen))[0]
        assert absorbed[:, 0].tolist() == pytest.approx([0.0] * len(xs))
        assert absorbed[:, 2].tolist() == [0] * (len(xs) - 1) + [1]


def test_draw_gives_points_in_the_strokes_convention():
    torch.manual_seed(5)
    model = small(third_activation="exp")
    model.train()
    points = model.draw(*batch())
    assert points.shape == (5, 6, 3) and not points.requires_grad
    assert set(points[..., 2].unique().tolist()) <= {0.0, 1.0}
    assert bool((points[:, -1, 2] == 1).all())
    assert bool(((points[..., :2] >= 0) & (points[..., :2] <= 1)).all())
    assert model.training          # draw restores the mode it found


@pytest.mark.parametrize("kind", ["lstm", "ensemble"])
def test_an_empty_batch_gives_empty_points(kind):
    """reshape(0, -1) used to raise inside model_inputs for B = 0."""
    model = build_model(ModelConfig(kind=kind, hidden=8, layers=2, points=3))
    images, labels = torch.zeros(0, 28, 28), torch.zeros(0, dtype=torch.long)
    assert model(images, labels).shape == (0, 3, 3)
    assert model.draw(images, labels).shape == (0, 3, 3)


def test_blur_spreads_a_dot_into_a_normalised_gaussian():
    dot = torch.zeros(1, 28, 28, dtype=torch.float64)
    dot[0, 14, 14] = 1.0
    assert torch.equal(blur(dot, 0.0), dot)
    blurred = blur(dot, 1.0)[0]
    assert blurred.sum().item() == pytest.approx(1.0, abs=1e-9)
    # separable: (1 px right, 1 px down) = (e^-1/2 / Z)^2 against the centre's (1 / Z)^2
    assert (blurred[15, 15] / blurred[14, 14]).item() == pytest.approx(math.exp(-1.0), rel=1e-9)
    assert blurred[14, 18].item() == 0.0   # beyond 3 sigma


@pytest.mark.parametrize("kind", ["lstm", "ensemble"])
def test_input_blur_changes_what_the_model_sees(kind):
    torch.manual_seed(0)
    sharp = build_model(ModelConfig(kind=kind, hidden=16, points=6))
    blurred = build_model(ModelConfig(kind=kind, hidden=16, points=6, input_blur=1.0))
    blurred.load_state_dict(sharp.state_dict())
    images, labels = batch()
    assert not torch.allclose(sharp(images, labels), blurred(images, labels))
    with pytest.raises(UserError, match="input_blur"):
        ModelConfig(input_blur=-1.0).validate()


def test_the_rasteriser_is_built_once_and_kept_out_of_the_weights():
    model = small()
    first = model.rasteriser()
    assert model.rasteriser() is first
    assert not any(name.startswith("_rasteriser") for name in model.state_dict())
    assert type(first).__name__ == "SoftLineRasteriser"


def test_fast_lstm_update_is_the_same_update():
    generator = torch.Generator().manual_seed(0)
    gates = torch.randn(6, 40, generator=generator, dtype=torch.float64) * 4
    cell = torch.randn(6, 10, generator=generator, dtype=torch.float64)
    out, new = lstm_update(gates, cell)
    fast_out, fast_new = fast_lstm_update(gates.clone(), cell)
    torch.testing.assert_close(fast_out, out, rtol=0, atol=1e-12)
    torch.testing.assert_close(fast_new, new, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["lstm", "ensemble", "masked"])
def test_fast_forward_equals_forward_within_float_rounding(kind):
    torch.manual_seed(0)
    model = build_model(ModelConfig(kind=kind, hidden=20, layers=3, points=6, third_activation="exp"))
    images, labels = torch.rand(12, 28, 28), torch.arange(12) % 10
    with torch.no_grad():
        torch.testing.assert_close(model(images, labels, fast=True), model(images, labels), rtol=1e-5, atol=1e-6)
