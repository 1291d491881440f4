"""The number reader: an online recogniser that reads the pen trajectory of a number into its text (issue 17).

A small bidirectional LSTM over the normalised pen offsets of :mod:`.numbers` (``dx, dy,
end_of_stroke``, divided by the ``offset_std`` stored in its config) emits, at every point, a
distribution over the :data:`~.numbers.ALPHABET` and a CTC blank (Graves et al. 2006,
"Connectionist Temporal Classification"; Graves et al. 2009 read online handwriting this way).
It is trained with the CTC loss (:func:`ctc_loss`), read with greedy (best path) decoding
(:func:`greedy_decode`: the most likely class at each point, repeats merged, blanks dropped) and
scored by the character error rate (:func:`character_error_rate`: edit distance over reference
length). A space has no ink: the reader sees it as a long pen-up move and emits it there.

Classes: index 0 is the blank, index ``i + 1`` is ``ALPHABET[i]``.

The weights are a ``reader`` file of :mod:`mnist_handwriting.safeweights` (float16 storage,
about 1 MB); the shipped one would be ``weights/reader.safetensors``. Its training and
evaluation are :mod:`.reader_training`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..errors import UserError
from ..inference import evaluating
from ..paths import WEIGHTS_DIR
from ..safeweights import build_checked, read_weights, save_weights
from .numbers import ALPHABET, OFFSET_STD, to_model_offsets
from .numbers import encode as encode_characters

KIND = "reader"
NAME = "reader"
SHIPPED = WEIGHTS_DIR / f"{NAME}.safetensors"
BLANK = 0
FIX = "train one with `mnist-handwriting train-reader --out DIR`, then pass DIR/reader.safetensors as 'path'"


@dataclass
class ReaderConfig:
    """Architecture of :class:`NumberReader`, stored with its weights."""

    hidden: int = 64                    # LSTM units per direction
    layers: int = 2                     # stacked bidirectional LSTM layers
    subsample: int = 2                  # consecutive offset rows read as one frame (a digit has 20 rows)
    dropout: float = 0.1                # between LSTM layers and before the output (training only)
    offset_std: float = OFFSET_STD      # the offsets are divided by this (cells), see numbers.to_model_offsets
    alphabet: str = ALPHABET            # the characters, class i + 1 is alphabet[i]


def reversed_within(values: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``values: (B, T, F)`` with each sequence's first ``lengths[b]`` rows reversed and its padding left in place."""
    steps = torch.arange(values.shape[1], device=values.device)[None, :]
    last = lengths.to(values.device)[:, None] - 1
    index = torch.where(steps <= last, last - steps, steps)
    return values.gather(1, index[..., None].expand_as(values))


class NumberReader(nn.Module):
    """``offsets: (B, T, 3)`` normalised, ``lengths: (B,)`` -> log-probabilities ``(B, frames, len(alphabet) + 1)``.

    ``subsample`` rows make one frame (``frames = ceil(T / subsample)``, see :meth:`frames`). Each
    layer runs a forward LSTM and a backward one over every sequence reversed within its length,
    so neither direction reads padding before a sequence's rows: the output of a trajectory is
    the same alone or in any batch, without the cost of packed sequences (3x on a CPU). Frames
    past a sequence's length are meaningless.
    """

    def __init__(self, config: ReaderConfig | None = None):
        super().__init__()
        self.config = config or ReaderConfig()
        c = self.config
        sizes = [3 * c.subsample] + [2 * c.hidden] * (c.layers - 1)
        self.forward_layers = nn.ModuleList(nn.LSTM(size, c.hidden, batch_first=True) for size in sizes)
        self.backward_layers = nn.ModuleList(nn.LSTM(size, c.hidden, batch_first=True) for size in sizes)
        self.dropout = nn.Dropout(c.dropout)
        self.out = nn.Linear(2 * c.hidden, len(c.alphabet) + 1)

    def frames(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames of sequences of ``lengths: (B,)`` rows."""
        return (lengths + self.config.subsample - 1) // self.config.subsample

    def forward(self, offsets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        step = self.config.subsample
        batch, rows, _ = offsets.shape
        inside = torch.arange(rows, device=offsets.device)[None, :] < lengths.to(offsets.device)[:, None]
        padded = F.pad(offsets * inside[..., None], (0, 0, 0, (-rows) % step))   # zero rows: no move, pen down
        hidden = padded.reshape(batch, -1, 3 * step)
        frames = self.frames(lengths)
        for index, (ahead, behind) in enumerate(zip(self.forward_layers, self.backward_layers)):
            if index:
                hidden = self.dropout(hidden)
            forward, _ = ahead(hidden)
            backward, _ = behind(reversed_within(hidden, frames))
            hidden = torch.cat([forward, reversed_within(backward, frames)], dim=-1)
        return F.log_softmax(self.out(self.dropout(hidden)), dim=-1)


def encode(text: str, alphabet: str = ALPHABET) -> list[int]:
    """``text`` as class indices (1-based: 0 is the blank)."""
    return [index + 1 for index in encode_characters(text, alphabet, "read")]


def batch_offsets(trajectories: list[np.ndarray], offset_std: float = OFFSET_STD) -> tuple[torch.Tensor, torch.Tensor]:
    """Trajectories ``(T_i, 3)`` in the writing frame -> zero-padded model offsets ``(B, max T, 3)`` and lengths ``(B,)``."""
    offsets = [torch.from_numpy(to_model_offsets(points, offset_std)) for points in trajectories]
    lengths = torch.tensor([len(o) for o in offsets], dtype=torch.int64)
    return nn.utils.rnn.pad_sequence(offsets, batch_first=True), lengths


def ctc_loss(log_probs: torch.Tensor, lengths: torch.Tensor, texts: list[str], alphabet: str = ALPHABET) -> torch.Tensor:
    """Mean over the batch of ``-log p(text | trajectory)`` under CTC, for ``log_probs: (B, T, C)`` with ``lengths: (B,)`` frames.

    A text that cannot be aligned (longer than its trajectory allows) contributes 0 (``zero_infinity``).
    """
    targets = [encode(text, alphabet) for text in texts]
    flat = torch.tensor([i for t in targets for i in t], dtype=torch.int64)
    target_lengths = torch.tensor([len(t) for t in targets], dtype=torch.int64)
    loss = F.ctc_loss(log_probs.transpose(0, 1), flat, lengths.cpu(), target_lengths, blank=BLANK,
                      reduction="sum", zero_infinity=True)
    return loss / len(texts)


def greedy_decode(log_probs: torch.Tensor, lengths: torch.Tensor, alphabet: str = ALPHABET) -> list[str]:
    """Best-path decoding of ``log_probs: (B, T, C)`` with ``lengths: (B,)`` frames: the likeliest class per frame,
    repeats merged, blanks dropped."""
    best = log_probs.argmax(dim=-1).cpu().numpy()
    texts = []
    for row, length in zip(best, lengths.tolist()):
        path = row[:length]
        kept = path[np.concatenate([[True], path[1:] != path[:-1]])] if length else path
        texts.append("".join(alphabet[i - 1] for i in kept if i != BLANK))
    return texts


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions that turn ``a`` into ``b``."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def character_error_rate(predictions: list[str], references: list[str]) -> float:
    """CER: the summed edit distances of ``predictions`` to ``references`` over the summed reference lengths."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    total = sum(len(r) for r in references)
    if total == 0:
        raise ValueError("the references hold no characters")
    return sum(edit_distance(p, r) for p, r in zip(predictions, references)) / total


def read_trajectories(reader: NumberReader, trajectories: list[np.ndarray], batch_size: int = 256) -> list[str]:
    """The texts ``reader`` reads from ``trajectories``, each ``points: (T_i, 3)`` in the writing frame."""
    device = next(reader.parameters()).device
    texts = []
    with evaluating(reader):
        for start in range(0, len(trajectories), batch_size):
            offsets, lengths = batch_offsets(trajectories[start:start + batch_size], reader.config.offset_std)
            log_probs = reader(offsets.to(device), lengths)
            texts += greedy_decode(log_probs, reader.frames(lengths), reader.config.alphabet)
    return texts


def save_reader(model: NumberReader, path: str | os.PathLike, *, metrics: dict, train: dict, command: str,
                machine: str | None = None) -> Path:
    """Write ``model`` to ``path`` (.safetensors, float16) and its ``.json`` side file; return ``path``."""
    return save_weights(path, model.state_dict(), kind=KIND, config=dataclasses.asdict(model.config), train=train,
                        metrics=metrics, command=command, machine=machine, dtype=torch.float16)


def _config(info: dict, path: Path) -> ReaderConfig:
    """The stored config, checked field by field before any network is built from it."""
    fields = [f.name for f in dataclasses.fields(ReaderConfig)]
    stored = info["config"]
    if set(stored) != set(fields):
        raise UserError(f"reader weights {path}: config has fields {sorted(stored)}, expected {sorted(fields)}", FIX)
    counts = all(type(stored[k]) is int and stored[k] >= 1 for k in ("hidden", "layers", "subsample"))
    ok = (counts and isinstance(stored["dropout"], (int, float)) and 0 <= stored["dropout"] < 1
          and isinstance(stored["offset_std"], (int, float)) and stored["offset_std"] > 0
          and stored["alphabet"] == ALPHABET)
    if not ok:
        raise UserError(f"reader weights {path}: unusable config {stored}", FIX)
    return ReaderConfig(**stored)


def load_reader(path: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> NumberReader:
    """Strictly load a :class:`NumberReader` (float32, eval mode) from ``path``, default the shipped weights.

    A missing file (the shipped one too, until one is trained), a file of another kind, an
    unusable config, missing, extra or misshapen tensors and NaN values are ``UserError``.
    """
    if path is None and not SHIPPED.is_file():
        raise UserError(f"no reader is shipped yet ({SHIPPED} does not exist)", FIX, "path")
    path = Path(path).expanduser() if path is not None else SHIPPED
    tensors, info = read_weights(path, KIND, FIX)
    config = _config(info, path)
    model = build_checked(lambda: NumberReader(config), tensors, path, "reader weights", FIX)
    return model.to(torch.device(device)).eval()
