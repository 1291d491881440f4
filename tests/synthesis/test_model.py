"""The synthesis network: its likelihood, attention window, sampling, priming and weights files."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mnist_handwriting.errors import UserError
from mnist_handwriting.safeweights import save_weights
from mnist_handwriting.synthesis.model import (ALPHABET, KIND, MAX_CHARACTERS, Mixture, SynthesisConfig,
                                               SynthesisNetwork, decode, encode, encode_batch, load_synthesis,
                                               loss, mixture_nll, past_end, sample, save_synthesis)
from mnist_handwriting.synthesis.training import collate
from mnist_handwriting.write import ALLOWED
from synthesis_toy import TINY, toy_samples



def fresh(seed: int = 0, config: SynthesisConfig = TINY) -> SynthesisNetwork:
    torch.manual_seed(seed)
    return SynthesisNetwork(config).eval()


def test_alphabet_is_what_write_draws_and_encoding_round_trips():
    assert sorted(ALPHABET) == sorted(ALLOWED) and len(ALPHABET) == 17
    assert encode("2026-12-01") == [2, 0, 2, 6, 13, 1, 2, 13, 0, 1]
    assert decode(encode("3.14 +1/2: ,")) == "3.14 +1/2: ,"
    with pytest.raises(UserError, match="cannot write 'x'"):
        encode("12x")
    text, mask = encode_batch(["1", "234"])
    assert text.tolist() == [[1, 0, 0], [2, 3, 4]] and mask.tolist() == [[True, False, False], [True, True, True]]


def one_component(mu, sigma, rho, e_logit) -> Mixture:
    """A one-step, one-component mixture in float64."""
    t = lambda value: torch.tensor(value, dtype=torch.float64)   # noqa: E731
    return Mixture(e_logit=t([[e_logit]]), pi_logit=t([[[0.0]]]), mu=t([[[mu]]]),
                   log_sigma=torch.log(t([[[sigma]]])), rho=t([[[rho]]]))


@pytest.mark.parametrize("end_of_stroke", [0.0, 1.0])
def test_mixture_nll_of_one_component_is_the_closed_form_bivariate_normal(end_of_stroke):
    (mx, my), (sx, sy), rho, e_logit, (x, y) = (0.1, -0.2), (0.5, 0.3), 0.6, 0.3, (0.4, 0.1)
    # By hand (Graves, section 4.1): N = exp(-Z / (2 (1 - rho^2))) / (2 pi sx sy sqrt(1 - rho^2)).
    zx, zy = (x - mx) / sx, (y - my) / sy
    big_z = zx ** 2 + zy ** 2 - 2 * rho * zx * zy
    density = math.exp(-big_z / (2 * (1 - rho ** 2))) / (2 * math.pi * sx * sy * math.sqrt(1 - rho ** 2))
    e = 1 / (1 + math.exp(-e_logit))
    expected = -math.log(density) - math.log(e if end_of_stroke else 1 - e)
    targets = torch.tensor([[[x, y, end_of_stroke]]], dtype=torch.float64)
    got = mixture_nll(one_component((mx, my), (sx, sy), rho, e_logit), targets)
    assert got.shape == (1, 1)
    assert float(got) == pytest.approx(expected, rel=1e-12)


def test_mixture_nll_weights_the_components_by_pi():
    params = [((0.0, 0.0), (1.0, 2.0), -0.3), ((1.0, -1.0), (0.2, 0.4), 0.8)]
    weights = np.array([0.25, 0.75])
    targets = torch.tensor([[[0.7, -0.5, 0.0]]], dtype=torch.float64)
    singles = [float(mixture_nll(one_component(mu, sigma, rho, 0.0), targets)) - math.log(2)
               for mu, sigma, rho in params]
    expected = -math.log(np.dot(weights, np.exp(-np.array(singles)))) + math.log(2)   # the pen term: log 2 each
    both = Mixture(e_logit=torch.zeros(1, 1, dtype=torch.float64),
                   pi_logit=torch.from_numpy(np.log(weights)).reshape(1, 1, 2),
                   mu=torch.tensor([[[p[0] for p in params]]], dtype=torch.float64),
                   log_sigma=torch.log(torch.tensor([[[p[1] for p in params]]], dtype=torch.float64)),
                   rho=torch.tensor([[[p[2] for p in params]]], dtype=torch.float64))
    assert float(mixture_nll(both, targets)) == pytest.approx(expected, rel=1e-12)


def test_mixture_nll_gradients_match_finite_differences_in_float64():
    generator = torch.Generator().manual_seed(0)
    shapes = {"e_logit": (2, 3), "pi_logit": (2, 3, 4), "mu": (2, 3, 4, 2), "log_sigma": (2, 3, 4, 2), "rho": (2, 3, 4)}
    values = {name: torch.randn(shape, generator=generator, dtype=torch.float64) for name, shape in shapes.items()}
    values["rho"] = values["rho"].tanh() * 0.9
    inputs = tuple(value.requires_grad_() for value in values.values())
    targets = torch.cat([torch.randn(2, 3, 2, generator=generator, dtype=torch.float64),
                         torch.randint(0, 2, (2, 3, 1), generator=generator).double()], dim=-1)
    assert torch.autograd.gradcheck(lambda *args: mixture_nll(Mixture(*args), targets), inputs)


def test_one_step_at_a_time_with_the_state_equals_the_whole_sequence():
    model = fresh(config=SynthesisConfig(layers=3, hidden=8, window=2, mixtures=2))
    batch = collate([("12", np.random.default_rng(1).normal(size=(7, 3)).astype(np.float32).clip(0, 1).round()),
                     ("3456", np.random.default_rng(2).normal(size=(7, 3)).astype(np.float32).clip(0, 1).round())])
    with torch.no_grad():
        whole, _ = model(batch.inputs, batch.text, batch.text_mask)
        state, steps = None, []
        for t in range(7):
            output, state = model(batch.inputs[:, t:t + 1], batch.text, batch.text_mask, state)
            steps.append(output)
    for name in ("e_logit", "pi_logit", "mu", "log_sigma", "rho"):
        torch.testing.assert_close(torch.cat([getattr(o.mixture, name) for o in steps], dim=1),
                                   getattr(whole.mixture, name))
    torch.testing.assert_close(torch.cat([o.kappa for o in steps], dim=1), whole.kappa)


def test_loss_is_finite_for_extreme_outputs_and_ignores_padding():
    model = fresh()
    batch = collate([("1", np.array([[1e4, -1e4, 1.0]], np.float32)), ("23", np.zeros((6, 3), np.float32))])
    with torch.no_grad():   # drive every head output far out: sigma and rho hit their clamps
        model.head.bias.fill_(1e3)
    output, _ = model(batch.inputs, batch.text, batch.text_mask)
    value = loss(output, batch.targets, batch.mask)
    value.backward()
    assert torch.isfinite(value)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    # A padded row's points past its length do not count: change them and the loss stays.
    batch.targets[0, 1:] = 123.0
    assert float(loss(output, batch.targets, batch.mask).detach()) == pytest.approx(float(value.detach()))


@pytest.mark.parametrize("text", ["7", "2026-12-01.5"])
def test_forward_and_sample_shapes_and_alignment_for_texts_of_1_and_12_characters(text):
    model = fresh()
    steps = 9
    batch = collate([(text, np.zeros((steps, 3), np.float32))])
    output, state = model(batch.inputs, batch.text, batch.text_mask)
    m, k = TINY.mixtures, TINY.window
    assert output.mixture.mu.shape == output.mixture.log_sigma.shape == (1, steps, m, 2)
    assert output.mixture.pi_logit.shape == output.mixture.rho.shape == (1, steps, m)
    assert output.mixture.e_logit.shape == output.phi_end.shape == (1, steps)
    assert output.phi.shape == (1, steps, len(text)) and output.kappa.shape == (1, steps, k)
    assert state.window.shape == (1, len(ALPHABET)) and len(state.layers) == TINY.layers - 1
    [written] = sample(model, text, seed=0, points_per_character=5)
    assert written.text == text and written.offsets.dtype == np.float32
    assert 1 <= len(written.offsets) <= 5 * len(text) and written.offsets.shape[1] == 3
    assert written.alignment.shape == (len(written.offsets),)
    assert set(np.unique(written.offsets[:, 2])) <= {0.0, 1.0} and written.offsets[-1, 2] == 1.0
    assert 0 <= written.alignment.min() and written.alignment.max() < len(text)
    if len(text) == 1:
        assert not written.alignment.any()


def test_kappa_only_moves_on_and_padding_gets_no_attention():
    model = fresh()
    batch = collate([("12", np.random.default_rng(0).normal(size=(30, 3)).round().clip(0, 1).astype(np.float32)),
                     ("345678", np.zeros((30, 3), np.float32))])
    output, _ = model(batch.inputs, batch.text, batch.text_mask)
    assert bool((output.kappa.diff(dim=1) > 0).all())
    assert bool((output.phi[0, :, 2:] == 0).all()) and bool((output.phi[0, :, :2] > 0).all())


def window_marching_one_character_per_point(model: SynthesisNetwork) -> None:
    """Set the window to advance exactly one character per point with a narrow Gaussian at each position."""
    k = model.config.window
    with torch.no_grad():
        model.window.weight.zero_()
        model.window.bias[:k] = 0.0                 # alpha = 1
        model.window.bias[k:2 * k] = math.log(4.0)  # beta = 4
        model.window.bias[2 * k:] = 0.0             # kappa grows by exp(0) = 1 per step


def test_past_end_is_graves_rule():
    phi = torch.tensor([[0.1, 0.5, 0.2], [0.0, 0.1, 0.3]])
    assert past_end(phi, torch.tensor([0.4, 0.4])).tolist() == [False, True]


def test_sampling_stops_when_the_window_passes_the_last_character_and_aligns_each_point():
    model = fresh()
    window_marching_one_character_per_point(model)
    written = sample(model, ["12345", "9"], seed=0, points_per_character=10)
    # Point t is written with kappa = t, at character t; at kappa = U + 1 the window is past the text.
    assert [len(w.offsets) for w in written] == [5, 1]
    assert written[0].alignment.tolist() == [0, 1, 2, 3, 4] and written[1].alignment.tolist() == [0]


def test_sampling_stops_at_points_per_character_when_the_window_stays():
    model = fresh()
    with torch.no_grad():
        model.window.weight.zero_()
        model.window.bias[2 * TINY.window:] = -30.0   # the window never reaches the end
    assert [len(w.offsets) for w in sample(model, ["12", "345"], seed=0, points_per_character=7)] == [14, 21]


def test_sampling_is_reproducible_for_a_seed_and_differs_across_seeds():
    model = fresh()
    first, again, other = (sample(model, "314", seed=seed, points_per_character=10)[0] for seed in (3, 3, 4))
    np.testing.assert_array_equal(first.offsets, again.offsets)
    np.testing.assert_array_equal(first.alignment, again.alignment)
    shortest = min(len(first.offsets), len(other.offsets))
    assert not np.allclose(first.offsets[:shortest], other.offsets[:shortest])


def test_a_very_high_bias_is_nearly_deterministic_and_bias_zero_is_not(trained):
    # Texts as long as the toy hand's (1-3 characters, 5 points each), written for at most 10 points a character.
    texts = ["0", "21", "301"]
    neat = [sample(trained, texts, bias=50.0, seed=seed, points_per_character=10) for seed in (0, 1)]
    for a, b in zip(*neat):
        assert a.offsets.shape == b.offsets.shape
        np.testing.assert_allclose(a.offsets, b.offsets, atol=1e-4)
    wild = [sample(trained, "301", bias=0.0, seed=seed, points_per_character=10)[0].offsets for seed in (0, 1)]
    shortest = min(map(len, wild))
    assert np.abs(wild[0][:shortest, :2] - wild[1][:shortest, :2]).mean() > 0.01


def test_priming_changes_the_output(trained):
    prime_text, prime_offsets = toy_samples(1, seed=5)[0]
    plain = sample(trained, "0123", bias=1.0, seed=0)[0]
    primed = sample(trained, "0123", bias=1.0, seed=0, prime=(prime_text, prime_offsets))[0]
    shortest = min(len(plain.offsets), len(primed.offsets))
    assert np.abs(plain.offsets[:shortest, :2] - primed.offsets[:shortest, :2]).max() > 0.05
    assert 0 <= primed.alignment.min() and primed.alignment.max() < 4


@pytest.mark.parametrize("kwargs, match", [
    ({"texts": ""}, "nothing to write"), ({"texts": "1" * (MAX_CHARACTERS + 1)}, "more than 100"),
    ({"texts": "12a"}, "cannot write 'a'"), ({"texts": "12", "bias": -0.5}, "'bias' of -0.5"),
    ({"texts": "12", "points_per_character": 0}, "'points_per_character'"),
    ({"texts": "12", "prime": ("1", np.zeros((4, 2)))}, "priming offsets have shape"),
    ({"texts": "12", "prime": ("1x", np.zeros((4, 3)))}, "priming text '1x'"), ({"texts": []}, "no texts"),
])
def test_sampling_refuses_bad_input_with_one_line(kwargs, match):
    with pytest.raises(UserError, match=match) as error:
        sample(fresh(), **kwargs)
    assert "\n" not in str(error.value)


def test_weights_round_trip_in_float32_and_float16(tmp_path):
    model = fresh(config=SynthesisConfig(layers=3, hidden=8, window=2, mixtures=2))
    save_synthesis(model, tmp_path / "exact.safetensors", metrics={"nll": -1.0}, command="test", dtype=torch.float32)
    save_synthesis(model, tmp_path / "half.safetensors", metrics={}, command="test")
    exact, half = load_synthesis(tmp_path / "exact.safetensors"), load_synthesis(tmp_path / "half.safetensors")
    assert exact.config == model.config and not exact.training
    for name, value in model.state_dict().items():
        torch.testing.assert_close(exact.state_dict()[name], value, rtol=0, atol=0)
        torch.testing.assert_close(half.state_dict()[name], value, rtol=1e-3, atol=1e-4)
    np.testing.assert_array_equal(sample(model, "42", seed=1)[0].offsets, sample(exact, "42", seed=1)[0].offsets)


def test_default_network_stored_in_float16_is_at_most_10_mb(tmp_path):
    path = save_synthesis(SynthesisNetwork(), tmp_path / "default.safetensors", metrics={}, command="test")
    assert path.stat().st_size <= 10_000_000


def test_strict_loading_refuses_missing_and_misshapen_tensors_and_other_kinds(tmp_path):
    model = fresh()
    config = {"layers": TINY.layers, "hidden": TINY.hidden, "window": TINY.window, "mixtures": TINY.mixtures,
              "alphabet": TINY.alphabet}
    tensors = dict(model.state_dict())
    missing = {name: value for name, value in tensors.items() if name != "head.weight"}
    save_weights(tmp_path / "missing.safetensors", missing, kind=KIND, config=config, metrics={}, command="")
    with pytest.raises(UserError, match=r"missing \['head.weight'\]"):
        load_synthesis(tmp_path / "missing.safetensors")
    save_weights(tmp_path / "shape.safetensors", {**tensors, "window.bias": torch.zeros(5)}, kind=KIND,
                 config=config, metrics={}, command="")
    with pytest.raises(UserError, match=r"window.bias has shape \(5,\)"):
        load_synthesis(tmp_path / "shape.safetensors")
    save_weights(tmp_path / "other.safetensors", tensors, kind="classifier", config=config, metrics={}, command="")
    with pytest.raises(UserError, match="not a handwriting synthesis model"):
        load_synthesis(tmp_path / "other.safetensors")
    save_weights(tmp_path / "config.safetensors", tensors, kind=KIND, config={**config, "layers": 0}, metrics={},
                 command="")
    with pytest.raises(UserError, match="unreadable synthesis model config"):
        load_synthesis(tmp_path / "config.safetensors")
