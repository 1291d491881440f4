"""The handwriting synthesis network of Graves (2013), "Generating Sequences With Recurrent
Neural Networks", section 5, written from its equations: the model, its loss, sampling, storage.

Data. A written text is a sequence of normalised pen offsets ``offsets: (T, 3)``, rows
``dx, dy, end_of_stroke``: the move from the previous point (the first from the text's start,
:func:`mnist_handwriting.strokes.to_offsets`) and ``end_of_stroke = 1`` when the pen is lifted
after the point (the ``pen_up`` of :mod:`mnist_handwriting.strokes`; Graves' ``x_t3``). The
text is a sequence of character indices over :data:`ALPHABET`. The network reads
``inputs: (B, T, 3)``, the offsets shifted one step right behind a row of zeros, and predicts
the next offset at each step (teacher forcing):

- **LSTM stack with skips** (section 5.1). Layer 1 reads ``[x_t, w_{t-1}]``; layer n > 1 reads
  ``[x_t, h^{n-1}_t, w_t]``; the output layer reads every layer's ``h^n_t``.
- **Soft window** (eq. 46-51) of K Gaussians over the one-hot characters ``c_u`` (u = 1..U),
  from layer 1: ``(alpha_hat, beta_hat, kappa_hat) = W h^1_t + b``, ``alpha = exp(alpha_hat)``,
  ``beta = exp(beta_hat)``, ``kappa_t = kappa_{t-1} + exp(kappa_hat)`` (so the window only moves
  on), ``phi(t, u) = sum_k alpha_k exp(-beta_k (kappa_k - u)^2)`` and ``w_t = sum_u phi(t, u) c_u``.
- **A hand** (ours; :mod:`.hands`): with ``hand_points > 0`` each character vector ``c_u`` is the
  one-hot character followed by its row of :func:`.hands.character_features` (how the hand draws
  that digit, or zeros), so the window tells the network, while it writes a character, the shape
  of the hand's example of it.
- **Mixture density output** (eq. 17-23) of M bivariate Gaussians over (dx, dy) and a
  Bernoulli end of stroke: ``pi = softmax(pi_hat)``, ``mu``, ``sigma = exp(sigma_hat)``,
  ``rho = tanh(rho_hat)``, ``e = sigmoid(e_hat)`` (Graves writes ``1 / (1 + exp(e_hat))``: the
  same with the sign of ``e_hat`` flipped).

Sampling (section 5) draws one offset at a time with a bias ``b >= 0`` (eq. 61-62: ``sigma
= exp(sigma_hat - b)``, ``pi = softmax(pi_hat (1 + b))``) and stops when the window has moved past
the last character: ``phi(t, U + 1) > phi(t, u)`` for every u <= U. Priming (section 5.5) runs
the network over a sample of a hand and its text first, with the target text appended, so that
it writes on in that hand.

Where we differ from the paper: the hand (above); the bias also sharpens the end-of-stroke probability
(:func:`_draw`); the window starts slow (:data:`WINDOW_STEP`); ``sigma_hat`` and ``rho`` are
clamped (:data:`LOG_SIGMA_RANGE`, :data:`RHO_LIMIT`); training uses Adam and global-norm
gradient clipping (:mod:`mnist_handwriting.synthesis.training`), not RMSprop with clipped
derivatives.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..errors import UserError
from ..inference import evaluating
from ..safeweights import build_checked, read_weights, save_weights
from .hands import Hand, character_features, feature_size
from .numbers import ALPHABET, encode   # the characters the network writes

MAX_CHARACTERS = 100
"""Longest text sampled at once (priming text included)."""
KIND = "synthesis"
FIX = "retrain it, or pass the weights file written by the synthesis training"

LOG_SIGMA_RANGE = (-8.0, 8.0)
"""Clamp of ``sigma_hat = log sigma``: a collapsed component cannot make the density infinite."""
RHO_LIMIT = 1 - 1e-5
"""Clamp of ``|rho|``: ``1 - rho^2`` stays positive in float32 (tanh rounds to exactly 1 past ~9)."""
WINDOW_STEP = 1 / 20
"""The window's initial advance, characters per point: a digit of handwritten MNIST has 20
points. Graves starts from ``exp(0) = 1`` character per point, which sweeps past a 12-character
text in 12 of its ~240 points before training has begun."""


def decode(indices: Sequence[int], alphabet: str = ALPHABET) -> str:
    """Inverse of :func:`encode`."""
    return "".join(alphabet[int(index)] for index in indices)


def encode_batch(texts: Sequence[str], alphabet: str = ALPHABET,
                 device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Padded ``text: (B, U)`` int64 (padding 0) and ``text_mask: (B, U)`` bool (True on characters)."""
    codes = [encode(text, alphabet) for text in texts]
    width = max(len(code) for code in codes)
    text = torch.zeros(len(codes), width, dtype=torch.long)
    mask = torch.zeros(len(codes), width, dtype=torch.bool)
    for row, code in enumerate(codes):
        text[row, :len(code)] = torch.tensor(code, dtype=torch.long)
        mask[row, :len(code)] = True
    return text.to(device), mask.to(device)


@dataclass
class SynthesisConfig:
    """Architecture of :class:`SynthesisNetwork` (stored with its weights).

    The defaults are sized for a 60-minute training run on a 2-core CPU: a training step is
    matrix products (the layer-1 loop is not overhead-bound), so its time grows with the
    weights. Measured on one loaded thread, a batch of 32 texts of 140 points takes 1.3 s at
    2x256 (0.9M weights, 1.8 MB in float16) against 1.9 s at 3x256 (1.5M) and 0.7 s at 3x128:
    two layers keep the skip-connected depth and buy 1.5x the updates of Graves' three.
    K and M are Graves'. ``hand_points``: P of the hand's shapes the window reads (:mod:`.hands`;
    0: no hand, Graves' network as it is).
    """

    layers: int = 2               # LSTM layers (Graves: 3)
    hidden: int = 256             # units per layer (Graves: 400)
    window: int = 10              # K, Gaussians of the attention window (Graves: 10)
    mixtures: int = 20            # M, bivariate Gaussians of the output (Graves: 20)
    alphabet: str = ALPHABET      # the characters, in index order
    hand_points: int = 0          # P of each digit shape of a hand (0: the network reads no hand)

    def __post_init__(self):
        for name in ("layers", "hidden", "window", "mixtures", "hand_points"):
            value = getattr(self, name)
            least = 0 if name == "hand_points" else 1
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ValueError(f"{name} must be an integer of {least} or more, got {value!r}")
        if not isinstance(self.alphabet, str) or not self.alphabet or len(set(self.alphabet)) != len(self.alphabet):
            raise ValueError(f"alphabet must be a string of distinct characters, got {self.alphabet!r}")


@dataclass
class State:
    """The recurrent state between two calls: layer 1's ``h, c: (B, H)``, the window's position
    ``kappa: (B, K)`` and vector ``window: (B, A)``, and ``(h, c): (1, B, H)`` of each further layer."""

    h: torch.Tensor
    c: torch.Tensor
    kappa: torch.Tensor
    window: torch.Tensor
    layers: list[tuple[torch.Tensor, torch.Tensor]]


@dataclass
class Mixture:
    """Output distribution of each step over the next offset (before any bias).

    ``e_logit: (B, T)`` (``e = sigmoid``), ``pi_logit: (B, T, M)``, ``mu: (B, T, M, 2)``,
    ``log_sigma: (B, T, M, 2)`` (clamped to :data:`LOG_SIGMA_RANGE`), ``rho: (B, T, M)`` (in
    +-:data:`RHO_LIMIT`).
    """

    e_logit: torch.Tensor
    pi_logit: torch.Tensor
    mu: torch.Tensor
    log_sigma: torch.Tensor
    rho: torch.Tensor


@dataclass
class Output:
    """What :meth:`SynthesisNetwork.forward` computes over ``T`` steps.

    ``mixture``: the distribution of the next offset; ``phi: (B, T, U)``: the window weights of the
    characters (0 on padding); ``phi_end: (B, T)``: the weight of the position past each text's
    last character, ``u = U_b + 1``; ``kappa: (B, T, K)``: the window's centres.
    """

    mixture: Mixture
    phi: torch.Tensor
    phi_end: torch.Tensor
    kappa: torch.Tensor


class SynthesisNetwork(nn.Module):
    """Graves' synthesis network (module docstring): ``inputs: (B, T, 3)`` and a text -> :class:`Output`."""

    def __init__(self, config: SynthesisConfig | None = None):
        super().__init__()
        self.config = config = config or SynthesisConfig()
        hidden, characters = config.hidden, len(config.alphabet) + feature_size(config.hand_points)
        self.first = nn.LSTMCell(3 + characters, hidden)
        self.window = nn.Linear(hidden, 3 * config.window)
        self.rest = nn.ModuleList(nn.LSTM(3 + hidden + characters, hidden, batch_first=True)
                                  for _ in range(config.layers - 1))
        self.head = nn.Linear(config.layers * hidden, 1 + 6 * config.mixtures)
        with torch.no_grad():
            self.window.bias[2 * config.window:] = math.log(WINDOW_STEP)

    @property
    def character_size(self) -> int:
        """A, the width of a character vector ``c_u``: the one-hot character and its hand features."""
        return len(self.config.alphabet) + feature_size(self.config.hand_points)

    def character_vectors(self, text: torch.Tensor, text_mask: torch.Tensor,
                          hand: torch.Tensor | None = None) -> torch.Tensor:
        """``c_u: (B, U, A)`` for ``text: (B, U)``; ``hand: (B, U, F)`` features (None: zeros), 0 on padding."""
        vectors = F.one_hot(text, len(self.config.alphabet)).float()
        size = feature_size(self.config.hand_points)
        if size:
            if hand is None:
                hand = torch.zeros(*text.shape, size, device=text.device)
            if hand.shape != (*text.shape, size):
                raise ValueError(f"hand features {tuple(hand.shape)}, expected {(*text.shape, size)}")
            vectors = torch.cat([vectors, hand.to(vectors.dtype)], dim=-1)
        elif hand is not None:
            raise ValueError("this network reads no hand (hand_points = 0)")
        return vectors * text_mask[..., None]

    def initial_state(self, batch: int, device: torch.device | str) -> State:
        """Zero state: nothing written yet, the window before the first character (``kappa = 0``)."""
        hidden, characters = self.config.hidden, self.character_size
        def zeros(*shape: int) -> torch.Tensor:
            return torch.zeros(*shape, device=device)

        return State(zeros(batch, hidden), zeros(batch, hidden), zeros(batch, self.config.window),
                     zeros(batch, characters), [(zeros(1, batch, hidden), zeros(1, batch, hidden))
                                                for _ in self.rest])

    def forward(self, inputs: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor,
                state: State | None = None, hand: torch.Tensor | None = None) -> tuple[Output, State]:
        """Run ``T`` steps: ``inputs: (B, T, 3)``, ``text: (B, U)`` int64, ``text_mask: (B, U)`` bool.

        ``state``: where an earlier call stopped (None: :meth:`initial_state`). ``hand: (B, U, F)``:
        each character's hand features (:func:`.hands.character_features`; None: no hand). Returns
        the :class:`Output` of the ``T`` steps and the state after them.
        """
        batch, steps, _ = inputs.shape
        state = state or self.initial_state(batch, inputs.device)
        characters = self.character_vectors(text, text_mask, hand)                                # (B, U, A)
        positions = torch.arange(1, text.shape[1] + 1, device=inputs.device, dtype=inputs.dtype)   # u = 1..U
        end = text_mask.sum(1).to(inputs.dtype) + 1                                                # u = U_b + 1
        h, c, kappa, window = state.h, state.c, state.kappa, state.window
        # Layer 1 and the window, one step at a time: w_t feeds layer 1 at t + 1.
        hs, windows, phis, ends, kappas = [], [], [], [], []
        for t in range(steps):
            h, c = self.first(torch.cat([inputs[:, t], window], dim=1), (h, c))
            alpha_hat, beta_hat, kappa_hat = self.window(h).chunk(3, dim=1)        # (B, K) each
            beta = beta_hat.exp()
            kappa = kappa + kappa_hat.exp()
            # alpha exp(-beta d^2) as exp(alpha_hat - beta d^2): no inf * 0 when alpha_hat is large.
            phi = torch.exp(alpha_hat[..., None] - beta[..., None] * (kappa[..., None] - positions) ** 2).sum(1)
            phi = phi * text_mask                                                   # (B, U)
            window = torch.einsum("bu,bua->ba", phi, characters)
            ends.append(torch.exp(alpha_hat - beta * (kappa - end[:, None]) ** 2).sum(1))
            hs.append(h), windows.append(window), phis.append(phi), kappas.append(kappa)
        outputs = [torch.stack(hs, dim=1)]
        windows_seq = torch.stack(windows, dim=1)
        # Every further layer sees the input, the layer below and the window (skip connections).
        layer_states = []
        for lstm, layer_state in zip(self.rest, state.layers):
            below, layer_state = lstm(torch.cat([inputs, outputs[-1], windows_seq], dim=2), layer_state)
            outputs.append(below)
            layer_states.append(layer_state)
        mixture = self._mixture(self.head(torch.cat(outputs, dim=2)))
        output = Output(mixture, torch.stack(phis, dim=1), torch.stack(ends, dim=1), torch.stack(kappas, dim=1))
        return output, State(h, c, kappa, window, layer_states)

    def _mixture(self, y: torch.Tensor) -> Mixture:
        """Split the head's ``y: (B, T, 1 + 6M)`` into the mixture's parameters (eq. 17-22)."""
        m = self.config.mixtures
        e_hat, pi_hat, mu, sigma_hat, rho_hat = y.split([1, m, 2 * m, 2 * m, m], dim=-1)
        shape = (*y.shape[:-1], m, 2)
        return Mixture(e_hat.squeeze(-1), pi_hat, mu.reshape(shape), sigma_hat.reshape(shape).clamp(*LOG_SIGMA_RANGE),
                       torch.tanh(rho_hat).clamp(-RHO_LIMIT, RHO_LIMIT))


def mixture_nll(mixture: Mixture, targets: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood ``(B, T)`` of ``targets: (B, T, 3)`` (dx, dy, end_of_stroke), section 4.1.

    ``-log sum_j pi_j N(dx, dy | mu_j, sigma_j, rho_j) - log(e if end_of_stroke else 1 - e)``, the
    sum over components as a log-sum-exp of log densities.
    """
    z = (targets[..., None, :2] - mixture.mu) / mixture.log_sigma.exp()           # (B, T, M, 2)
    rho = mixture.rho
    one_minus = 1 - rho ** 2
    quadratic = (z[..., 0] ** 2 + z[..., 1] ** 2 - 2 * rho * z[..., 0] * z[..., 1]) / one_minus
    log_density = (-math.log(2 * math.pi) - mixture.log_sigma.sum(-1) - 0.5 * torch.log(one_minus)
                   - 0.5 * quadratic)                                               # (B, T, M)
    log_offset = torch.logsumexp(F.log_softmax(mixture.pi_logit, dim=-1) + log_density, dim=-1)
    log_pen = -F.binary_cross_entropy_with_logits(mixture.e_logit, targets[..., 2], reduction="none")
    return -(log_offset + log_pen)


def loss(output: Output, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean :func:`mixture_nll` over the points where ``mask: (B, T)`` is True (nats per point)."""
    nll = mixture_nll(output.mixture, targets)
    return (nll * mask).sum() / mask.sum().clamp_min(1)


def past_end(phi: torch.Tensor, phi_end: torch.Tensor) -> torch.Tensor:
    """Graves' stopping rule: ``phi(t, U + 1) > phi(t, u)`` for every character u. ``phi: (..., U)``,
    ``phi_end: (...)`` (padding characters have ``phi = 0``) -> bool ``(...)``."""
    return phi_end > phi.amax(dim=-1)


@dataclass
class Sample:
    """One sampled text: ``offsets: (T, 3)`` float32 (dx, dy, end_of_stroke; the last row ends a stroke),
    ``alignment: (T,)`` int64, the index in ``text`` of the character each point was written for: the
    argmax of the window ``phi`` when it was drawn (a point drawn while a primed window still rests
    on the priming text counts for the first character)."""

    text: str
    offsets: np.ndarray
    alignment: np.ndarray


def _draw(mixture: Mixture, bias: float, generator: torch.Generator) -> torch.Tensor:
    """One offset ``(B, 3)`` from the last step of ``mixture`` with bias ``bias`` (eq. 61-62).

    The end-of-stroke logit is sharpened by ``1 + bias`` like the weights' (our addition: Graves
    biases only pi and sigma, which leaves pen lifts random however neat the strokes are).
    """
    pi = torch.softmax(mixture.pi_logit[:, -1] * (1 + bias), dim=-1)                     # (B, M)
    component = torch.multinomial(pi, 1, generator=generator)                           # (B, 1)
    pairs = component[..., None].expand(-1, -1, 2)                                      # (B, 1, 2)
    mu = mixture.mu[:, -1].gather(1, pairs).squeeze(1)                                  # (B, 2)
    sigma = (mixture.log_sigma[:, -1].gather(1, pairs).squeeze(1) - bias).exp()         # (B, 2)
    rho = mixture.rho[:, -1].gather(1, component).squeeze(1)                            # (B,)
    z = torch.randn(mu.shape, generator=generator, device=mu.device)
    dx = mu[:, 0] + sigma[:, 0] * z[:, 0]
    dy = mu[:, 1] + sigma[:, 1] * (rho * z[:, 0] + torch.sqrt(1 - rho ** 2) * z[:, 1])
    e = torch.sigmoid(mixture.e_logit[:, -1] * (1 + bias))
    lift = (torch.rand(e.shape, generator=generator, device=e.device) < e).to(mu.dtype)
    return torch.stack([dx, dy, lift], dim=1)


def check_bias(bias) -> None:
    """A ``UserError`` unless ``bias`` is a finite number of 0 or more."""
    if not isinstance(bias, (int, float)) or not math.isfinite(bias) or bias < 0:
        raise UserError(f"a 'bias' of {bias!r} cannot be used", "use a bias of 0 or more (0: as learned, 1: neater)",
                        "bias")


def check_request(texts, bias, prime, points_per_character, alphabet) -> tuple[list[str], str, np.ndarray]:
    """The arguments of :func:`sample`, checked: the texts as a list, the priming text and offsets ``(T, 3)``."""
    texts = [texts] if isinstance(texts, str) else list(texts)
    check_bias(bias)
    if not isinstance(points_per_character, int) or points_per_character < 1:
        raise UserError(f"a 'points_per_character' of {points_per_character!r} cannot be used",
                        "use a whole number of 1 or more", "points_per_character")
    prime_text, prime_offsets = prime if prime is not None else ("", np.zeros((0, 3), np.float32))
    prime_offsets = np.asarray(prime_offsets, dtype=np.float32)
    if prime_offsets.ndim != 2 or prime_offsets.shape[1] != 3 or not np.isfinite(prime_offsets).all():
        raise UserError(f"the priming offsets have shape {prime_offsets.shape} or non-finite values",
                        "prime with offsets of shape (T, 3): dx, dy, end_of_stroke", "prime")
    if not isinstance(prime_text, str) or any(char not in alphabet for char in prime_text):
        raise UserError(f"the priming text {prime_text!r} has characters outside {alphabet!r}",
                        "give the text the priming offsets write", "prime")
    if not texts:
        raise UserError("nothing to write: no texts given", "give a number such as 2026 or 3.14", "text")
    for text in texts:
        if not isinstance(text, str) or not text.strip():
            raise UserError("nothing to write: the text is empty", "give a number such as 2026 or 3.14", "text")
        if len(prime_text) + len(text) > MAX_CHARACTERS:
            with_prime = f" with the priming text's {len(prime_text)}" if prime_text else ""
            raise UserError(f"the text has {len(prime_text) + len(text)} characters{with_prime}, "
                            f"more than {MAX_CHARACTERS}", "write a shorter number, or several", "text")
        encode(text, alphabet)
    return texts, prime_text, prime_offsets


def sample(model: SynthesisNetwork, texts: str | Sequence[str], *, bias: float = 0.0, seed: int = 0,
           prime: tuple[str, np.ndarray] | None = None, hand: Hand | Sequence[Hand | None] | None = None,
           points_per_character: int = 60) -> list[Sample]:
    """Write each of ``texts`` (one string or several, written as one batch) with ``model``.

    ``bias``: 0 samples the learned distribution, higher is neater (:func:`_draw`). ``seed``: the
    same seed and arguments give the same samples. ``prime``: ``(text, offsets: (T, 3))``, a sample
    of a hand in the training data's normalised offsets; the network reads it first, with
    ``text`` put before each target text (include a separating space in it if the hand's samples
    have one), and writes on from its last point: the first offset returned is relative to it.
    ``hand``: how the hand draws each digit (:class:`.hands.Hand`, or one per text; only for a network
    with ``hand_points``), read with every character, the priming text's too.
    Writing stops when the window has passed the last character (:func:`past_end`) or after
    ``points_per_character`` points per character of the target text.
    """
    texts, prime_text, prime_offsets = check_request(texts, bias, prime, points_per_character, model.config.alphabet)
    device = next(model.parameters()).device
    with evaluating(model):
        written_texts = [prime_text + t for t in texts]
        text, text_mask = encode_batch(written_texts, model.config.alphabet, device)
        features = hand_features(model, written_texts, hand, text.shape[1], device)
        batch = len(texts)
        # The first input is the start row of zeros; priming clamps the next ones to the prime.
        inputs = torch.cat([torch.zeros(1, 3), torch.from_numpy(prime_offsets)]).to(device)
        output, state = model(inputs.expand(batch, -1, -1).contiguous(), text, text_mask, hand=features)
        generator = torch.Generator(device=device).manual_seed(seed)
        limits = torch.tensor([points_per_character * len(t) for t in texts], device=device)
        written, aligned = [], []
        count = torch.zeros(batch, dtype=torch.long, device=device)
        done = torch.zeros(batch, dtype=torch.bool, device=device)
        for _ in range(int(limits.max())):
            phi = output.phi[:, -1]
            done |= (past_end(phi, output.phi_end[:, -1]) & (count > 0)) | (count >= limits)
            if bool(done.all()):
                break
            point = _draw(output.mixture, bias, generator)
            written.append(point)
            aligned.append(phi.argmax(dim=1) - len(prime_text))
            count += (~done).long()
            output, state = model(point[:, None], text, text_mask, state, hand=features)
    points = torch.stack(written, dim=1).cpu().numpy()
    alignment = torch.stack(aligned, dim=1).cpu().numpy()
    samples = []
    for row, text_row in enumerate(texts):
        n = int(count[row])
        offsets = points[row, :n].astype(np.float32)
        offsets[-1, 2] = 1.0   # the last point ends its stroke (strokes.py convention)
        samples.append(Sample(text_row, offsets, np.clip(alignment[row, :n], 0, len(text_row) - 1).astype(np.int64)))
    return samples


def hand_features(model: SynthesisNetwork, texts: Sequence[str], hand: Hand | Sequence[Hand | None] | None,
                  width: int, device: torch.device | str = "cpu") -> torch.Tensor | None:
    """``(B, width, F)`` features of ``hand`` (one for every text, or a sequence of one per text) for each of
    ``texts`` (padded with zeros to ``width`` characters), None for a network without a hand; a hand given
    to such a network is a ``UserError``."""
    points = model.config.hand_points
    hands = list(hand) if isinstance(hand, (list, tuple)) else [hand] * len(texts)
    if len(hands) != len(texts):
        raise ValueError(f"{len(hands)} hands for {len(texts)} texts")
    if not points:
        if any(h is not None for h in hands):
            raise UserError("this synthesis network was trained without hands, so it cannot take one",
                            "prime it without a hand, or use a network trained with hand_points", "hand")
        return None
    rows = np.zeros((len(texts), width, feature_size(points)), np.float32)
    for row, (text, text_hand) in enumerate(zip(texts, hands)):
        rows[row, :len(text)] = character_features(text, text_hand, points)
    return torch.from_numpy(rows).to(device)


def save_synthesis(model: SynthesisNetwork, path: str | os.PathLike, *, metrics: dict, command: str,
                   train: dict | None = None, machine: str | None = None,
                   dtype: torch.dtype = torch.float16) -> Path:
    """Write ``model`` as self-describing safetensors (+ ``.json``; :mod:`mnist_handwriting.safeweights`)
    with its config; ``dtype``: storage (float16 halves the file, loading gives float32)."""
    return save_weights(path, model.state_dict(), kind=KIND, config=dataclasses.asdict(model.config), metrics=metrics,
                        command=command, train=train, machine=machine, dtype=dtype)


def load_synthesis(path: str | os.PathLike, device: torch.device | str = "cpu") -> SynthesisNetwork:
    """Strictly load a :class:`SynthesisNetwork` (float32, eval mode) on ``device``.

    A missing or unreadable file, one of another kind, an unreadable config, missing, extra or
    misshapen tensors and non-finite values are ``UserError`` naming the file.
    """
    path = Path(path).expanduser()
    tensors, info = read_weights(path, KIND, FIX)
    try:
        config = SynthesisConfig(**info["config"])
    except (TypeError, ValueError) as error:
        raise UserError(f"{path}: unreadable synthesis model config ({error})", FIX) from None
    model = build_checked(lambda: SynthesisNetwork(config), tensors, path, "synthesis model weights", FIX)
    return model.to(torch.device(device)).eval()
