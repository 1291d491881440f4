"""Training configurations: one dataclass, named presets from the founding note, overrides.

Overrides: ``key=value`` strings (``--set lr=0.001``, ``--set model.hidden=256``) and a
TOML or JSON file with the same keys (a ``[model]`` table for the model's). Values are
parsed as JSON where possible (numbers, true/false), else kept as strings, and checked
against the field's type.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from ..models import ModelConfig


SAVE_DTYPES = ("float32", "float16")
RESUME_MAY_CHANGE = ("epochs", "max_steps", "eval_digits", "log_every", "save_dtype")
"""Fields a resumed run takes from the new command line; all others come from the checkpoint."""


@dataclass
class TrainConfig:
    """A full training run: the model plus optimisation, data and schedule."""

    model: ModelConfig = field(default_factory=ModelConfig)  # the model (kind, size, rasteriser, compositing)
    lr: float = 0.0005                  # Adam learning rate (note: 0.0005)
    batch_size: int = 64                # MNIST digits per reconstruction step, over all processes (note: 64)
    epochs: int = 5                     # passes over the training digits (note: 5; more overfits into stairs)
    aux_distance: float = 0.0           # weight of the mean segment length loss (note: 0.01), unit-square units
    aux_angle: float = 0.0              # weight of 1 - mean cosine between consecutive segments (note: 0.01)
    human_pretrain_steps: int = 0       # supervised steps on the 32 human samples before training (note: 100)
    human_every: int = 0                # one human-sample step after every N reconstruction steps; 0 = never (note: 1)
    human_lr: float = 0.0               # Adam rate of the human-sample steps, own Adam state (repository: 0.0005); 0 = lr, shared
    reshuffle: bool = True              # a new order of the training digits every epoch; false = one shuffle (repository)
    subset: int = 0                     # train on the first N training digits only; 0 = all 60,000
    max_steps: int = 0                  # stop after this many reconstruction steps in total; 0 = full schedule
    eval_digits: int = 10000            # test digits for the final reconstruction MSE; 0 = skip
    amp: bool = False                   # CUDA only: bfloat16 autocast for the model's matmuls
    save_dtype: str = "float32"         # dtype of model.safetensors: "float32" or "float16" (half the size)
    log_every: int = 20                 # reconstruction steps between JSONL / TensorBoard log lines
    init_model: str = ""                # start from these weights (shipped name or .safetensors path; T may differ); "" = random
    paired_batch: int = 0               # pendigits digits (training writers only) per paired supervised step; 0 = none
    paired_every: int = 1               # one paired step after every N reconstruction steps
    paired_pretrain_steps: int = 0      # paired steps before the first reconstruction step
    paired_holdout: int = 4             # the last N training writers (21-24 for 4) held out as validation; 0 = none
    point_weight: float = 1.0           # paired: weight of the direct point loss (x, y MSE after arc-length resampling)
    dtw_weight: float = 0.0             # paired: weight of the soft-DTW divergence (x, y; speed-invariant)
    dtw_gamma: float = 0.001            # paired: soft-DTW smoothing, squared unit-square units (0.001 ~ (0.9 px)^2)
    pen_weight: float = 0.0             # paired: weight of the pen-up BCE on calibrated segment-peak logits
    paired_recon: float = 0.0           # paired: weight of the reconstruction MSE on the paired digits' images
    augment_copies: int = 0             # augmented copies of every paired digit added to the paired training set
    augment_affine: float = 0.0         # augmentation: max |entry| of the random affine A - I (also shift, unit square)
    augment_width: float = 0.0          # augmentation: pen width (px) of a thick render re-thinned like MNIST; 0 = off
    augment_noise: float = 0.0          # augmentation: skeleton noise, fraction of ink pixels dropped and added

    def validate(self) -> "TrainConfig":
        """Raise UserError on impossible values; return self."""
        self.model.validate()
        if self.save_dtype not in SAVE_DTYPES:
            raise UserError(f"save_dtype = {self.save_dtype!r} is invalid", f"use {' or '.join(SAVE_DTYPES)}")
        for name in ("lr",):
            if not getattr(self, name) > 0:
                raise UserError(f"{name} = {getattr(self, name)!r} is invalid", "use a positive number")
        for name in ("batch_size", "epochs", "log_every", "paired_every"):
            if getattr(self, name) < 1:
                raise UserError(f"{name} = {getattr(self, name)!r} is invalid", "use a positive integer")
        for name in ("aux_distance", "aux_angle", "human_lr", "human_pretrain_steps", "human_every", "subset", "max_steps",
                     "eval_digits", "paired_batch", "paired_pretrain_steps", "point_weight", "dtw_weight",
                     "pen_weight", "paired_recon", "augment_copies", "augment_affine", "augment_width", "augment_noise"):
            if getattr(self, name) < 0:
                raise UserError(f"{name} = {getattr(self, name)!r} is invalid", "use a value >= 0")
        if self.paired_batch and not (self.point_weight or self.dtw_weight or self.pen_weight or self.paired_recon):
            raise UserError("paired_batch > 0 but every paired loss weight is 0",
                            "set point_weight, dtw_weight, pen_weight or paired_recon")
        if not self.dtw_gamma > 0:
            raise UserError(f"dtw_gamma = {self.dtw_gamma!r} is invalid", "use a positive number")
        if not 0 <= self.paired_holdout < 24:
            raise UserError(f"paired_holdout = {self.paired_holdout!r} is invalid", "hold out 0..23 of the 24 training writers")
        if not 0 <= self.augment_noise < 1:
            raise UserError(f"augment_noise = {self.augment_noise!r} is invalid", "use a fraction in [0, 1)")
        return self


_SOFT = ModelConfig(third_activation="exp", rasteriser="soft-line")
_ENSEMBLE = ModelConfig(kind="ensemble", hidden=64, third_activation="exp", rasteriser="soft-line")
_AUX = {"aux_distance": 0.01, "aux_angle": 0.01}
# The note's repository (issue 12): its per-digit model is one 3x640 LSTM masked by the label, its Adam
# runs at 0.001 on MNIST and, separately, at 0.0005 on the human samples, the data is shuffled once.
_MASKED = ModelConfig(kind="masked", hidden=640, third_activation="exp", rasteriser="soft-line", init="tensorflow",
                      feedback="raw")
_REPOSITORY = {"lr": 0.001, "human_lr": 0.0005, "reshuffle": False}

PRESETS: dict[str, TrainConfig] = {
    # note, "Generating handwriting": 3x512 LSTM drawing through the frozen learned line model.
    "note-learned-line": TrainConfig(model=ModelConfig(third_activation="sigmoid", rasteriser="learned-line")),
    # note, "Using new method": the soft analytic line (softness = exp, see README deviations).
    "note-soft-line": TrainConfig(model=_SOFT),
    # note, "Dropout": on the inputs of LSTM layers 2 and 3 (the note gives no rate; we use 0.3).
    "note-dropout": TrainConfig(model=dataclasses.replace(_SOFT, dropout=0.3)),
    # note, "Maximum instead of sum".
    "note-max": TrainConfig(model=dataclasses.replace(_SOFT, compositing="max")),
    # note, "Different losses".
    "note-aux-losses": TrainConfig(model=_SOFT, **_AUX),
    # note, "Separate model for each digit" (trained with the auxiliary losses).
    "note-ensemble": TrainConfig(model=_ENSEMBLE, **_AUX),
    # The note's best: ensemble + aux losses + the 32 human samples (100 steps first, then 1:1).
    "note-best": TrainConfig(model=_ENSEMBLE, human_pretrain_steps=100, human_every=1, **_AUX),
    # The note's best as its repository (train.py) trains it: the masked 3x640 model + aux losses + the 32
    # human samples (100 steps first, then one before every MNIST step, with their own Adam at 0.0005).
    "note-repository": TrainConfig(model=_MASKED, human_pretrain_steps=100, human_every=1, **_AUX, **_REPOSITORY),
    # Issue 7: note-best fine-tuned for 5 epochs on the paired pendigits digits of writers 1-20 (21-24
    # validate, 25-30 never seen), one paired step of 128 digits per reconstruction step, the skeleton
    # blurred by 1 px before the input layer. Chosen on writers 21-24 and on the legibility of MNIST
    # training digits, see docs/RESULTS.md: point + soft-DTW beat either alone; lr 0.001 beat 0.0005;
    # input blur 1 px beat 0, 2 and 3; paired batch 128 beat 64; T = 32 gained 0.02 px at 1.6x the cost
    # and T = 48 nothing; 5 epochs drew more legible 5s than 3; training on writers 1-24 made 5s
    # illegible (one-stroke 5s of writer 21).
    "human-best": TrainConfig(model=dataclasses.replace(_ENSEMBLE, input_blur=1.0), init_model="note-best", lr=0.001,
                              epochs=5, paired_batch=128, paired_every=1, point_weight=1.0, dtw_weight=1.0,
                              pen_weight=0.1, **_AUX),
}
"""Named configurations of the founding note and beyond (``train --config NAME``)."""


def preset(name: str) -> TrainConfig:
    """A fresh copy of the preset called ``name``."""
    if name not in PRESETS:
        raise UserError(f"unknown config {name!r}", f"use one of: {', '.join(PRESETS)}", "config")
    return copy.deepcopy(PRESETS[name])


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _coerce(key: str, value, current):
    """``value`` converted to the type of the field's current value, or a UserError."""
    kind = type(current)
    if kind is bool:
        if isinstance(value, bool):
            return value
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind is str:
        if isinstance(value, str):
            return value
    raise UserError(f"{key} = {value!r} is not a {kind.__name__}", f"give {key} a {kind.__name__} value")


def _fields(obj) -> list[str]:
    return [f.name for f in dataclasses.fields(obj)]


def apply_override(config: TrainConfig, key: str, value) -> None:
    """Set ``key`` (``lr`` or ``model.hidden``) to ``value`` on ``config``, type-checked."""
    target, name = (config.model, key[len("model."):]) if key.startswith("model.") else (config, key)
    if name not in _fields(target) or name == "model":
        known = [f for f in _fields(config) if f != "model"] + [f"model.{f}" for f in _fields(config.model)]
        raise UserError(f"unknown config key {key!r}", f"use one of: {', '.join(known)}")
    setattr(target, name, _coerce(key, value, getattr(target, name)))


def apply_overrides(config: TrainConfig, pairs: list[str]) -> TrainConfig:
    """Apply ``key=value`` strings in order; return ``config`` validated."""
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"override {pair!r} is not key=value", "write e.g. lr=0.001 in 'overrides'", "overrides")
        apply_override(config, key.strip(), _parse_value(text.strip()))
    return config.validate()


def apply_file(config: TrainConfig, path: str | Path) -> TrainConfig:
    """Apply the keys of a TOML or JSON file (a ``model`` table for model keys); return ``config`` validated."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"config file not found: {path}", "check the 'config_file' path", "config_file")
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(path.read_text())
        elif path.suffix == ".json":
            data = json.loads(path.read_text())
        else:
            raise UserError(f"config file {path} is neither .toml nor .json", "use a .toml or .json file")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"config file {path} cannot be parsed ({error})", "fix its syntax") from None
    if not isinstance(data, dict):
        raise UserError(f"config file {path} must hold a table of keys", "write key = value lines")
    for key, value in data.items():
        if key == "model" and isinstance(value, dict):
            for name, inner in value.items():
                apply_override(config, f"model.{name}", inner)
        else:
            apply_override(config, key, value)
    return config.validate()


def to_dict(config: TrainConfig) -> dict:
    """JSON-serialisable form (saved with every run)."""
    return dataclasses.asdict(config)


def from_dict(data: dict) -> TrainConfig:
    """Inverse of :func:`to_dict`, strict about unknown keys."""
    data = dict(data)
    config = TrainConfig()
    for name, value in data.pop("model", {}).items():
        apply_override(config, f"model.{name}", value)
    for key, value in data.items():
        apply_override(config, key, value)
    return config.validate()
