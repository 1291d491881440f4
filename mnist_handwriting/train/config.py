"""Training configurations: nested dataclasses, named presets from the founding note, overrides.

Overrides: ``key=value`` strings with dotted keys for the groups (``--set lr=0.001``,
``--set model.hidden=256``, ``--set paired.batch=128``) and a TOML or JSON file with the same
keys (a ``[paired]`` table for ``paired.*``). The flat keys of earlier versions (``paired_batch``,
``human_lr``, ...; :data:`FLAT_KEYS`) are accepted everywhere, so old run folders and shipped
weights load. Values are parsed as JSON where possible (numbers, true/false), else kept as
strings, and checked against the field's type.
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


SAVE_DTYPES = ("float32", "float16", "int8")
RESUME_MAY_CHANGE = ("epochs", "max_steps", "eval_digits", "log_every", "save_dtype")
"""Fields a resumed run takes from the new command line; all others come from the checkpoint."""


def _bad(key: str, value, hint: str):
    raise UserError(f"{key} = {value!r} is invalid", hint)


def _check_non_negative(group, prefix: str = "") -> None:
    """Every number of the dataclass ``group`` must be >= 0 (``prefix``: its dotted name)."""
    for item in dataclasses.fields(group):
        value = getattr(group, item.name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            _bad(prefix + item.name, value, "use a value >= 0")


@dataclass
class AuxConfig:
    """Auxiliary trajectory losses of the reconstruction steps (note, "Different losses")."""

    distance: float = 0.0               # weight of the mean segment length loss (note: 0.01), unit-square units
    angle: float = 0.0                  # weight of 1 - mean cosine between consecutive segments (note: 0.01)

    def validate(self) -> "AuxConfig":
        _check_non_negative(self, "aux.")
        return self


@dataclass
class HumanConfig:
    """Supervised steps on the 32 human samples (note, "Separate model for each digit")."""

    pretrain_steps: int = 0             # human-sample steps before the first reconstruction step (note: 100)
    every: int = 0                      # one human-sample step after every N reconstruction steps; 0 = never (note: 1)
    lr: float = 0.0                     # Adam rate of the human-sample steps, own Adam state (repository: 0.0005); 0 = lr, shared

    def validate(self) -> "HumanConfig":
        _check_non_negative(self, "human.")
        return self


@dataclass
class PairedConfig:
    """Supervised steps on paired pendigits digits of the training writers (issue 7)."""

    batch: int = 0                      # pendigits digits (training writers only) per paired step; 0 = no paired steps
    every: int = 1                      # one paired step after every N reconstruction steps
    pretrain_steps: int = 0             # paired steps before the first reconstruction step
    holdout: int = 4                    # the last N training writers (21-24 for 4) held out as validation; 0 = none
    point_weight: float = 1.0           # weight of the direct point loss (x, y MSE after arc-length resampling)
    dtw_weight: float = 0.0             # weight of the soft-DTW divergence (x, y; speed-invariant)
    dtw_gamma: float = 0.001            # soft-DTW smoothing, squared unit-square units (0.001 ~ (0.9 px)^2)
    pen_weight: float = 0.0             # weight of the pen-up BCE on calibrated segment-peak logits
    recon_weight: float = 0.0           # weight of the reconstruction MSE on the paired digits' images
    share: float = 0.05                 # model.kind=proposals: share of the trajectory losses every proposal takes
                                        # (the one closest to the writer's takes the rest: winner takes all, relaxed)
    odds_weight: float = 0.1            # model.kind=proposals: weight of the odds head's cross-entropy against the winner
    order_steps: int = 0                # model.kind=proposals: the first N paired steps (pre-training included) take
                                        # as winner the writer's drawing-order cluster (:mod:`.orders`), not the nearest

    def validate(self) -> "PairedConfig":
        if self.every < 1:
            _bad("paired.every", self.every, "use a positive integer")
        _check_non_negative(self, "paired.")
        if self.batch and not (self.point_weight or self.dtw_weight or self.pen_weight or self.recon_weight):
            raise UserError("paired.batch > 0 but every paired loss weight is 0",
                            "set paired.point_weight, paired.dtw_weight, paired.pen_weight or paired.recon_weight")
        if not self.dtw_gamma > 0:
            _bad("paired.dtw_gamma", self.dtw_gamma, "use a positive number")
        if not self.share <= 1:
            _bad("paired.share", self.share, "use a share in [0, 1]")
        if not self.holdout < 24:
            _bad("paired.holdout", self.holdout, "hold out 0..23 of the 24 training writers")
        return self


@dataclass
class AugmentConfig:
    """Augmented copies of the paired digits (:func:`mnist_handwriting.train.augment.augment`)."""

    copies: int = 0                     # augmented copies of every paired digit added to the paired training set
    affine: float = 0.0                 # max |entry| of the random affine A - I (also shift, unit square)
    width: float = 0.0                  # pen width (px) of a thick render re-thinned like MNIST; 0 = off
    noise: float = 0.0                  # skeleton noise, fraction of ink pixels dropped and added

    def validate(self) -> "AugmentConfig":
        _check_non_negative(self, "augment.")
        if not self.noise < 1:
            _bad("augment.noise", self.noise, "use a fraction in [0, 1)")
        return self


@dataclass
class TrainConfig:
    """A full training run: the model, its loss groups, and optimisation, data and schedule."""

    model: ModelConfig = field(default_factory=ModelConfig)  # the model (kind, size, rasteriser, compositing)
    aux: AuxConfig = field(default_factory=AuxConfig)        # auxiliary losses of the reconstruction steps
    human: HumanConfig = field(default_factory=HumanConfig)  # the 32 human samples
    paired: PairedConfig = field(default_factory=PairedConfig)      # paired pendigits digits
    augment: AugmentConfig = field(default_factory=AugmentConfig)   # augmentation of the paired digits
    lr: float = 0.0005                  # Adam learning rate (note: 0.0005)
    batch_size: int = 64                # MNIST digits per reconstruction step, over all processes (note: 64)
    epochs: int = 5                     # passes over the training digits (note: 5; more overfits into stairs)
    reshuffle: bool = True              # a new order of the training digits every epoch; false = one shuffle (repository)
    subset: int = 0                     # train on the first N training digits only; 0 = all 60,000
    max_steps: int = 0                  # stop after this many reconstruction steps in total; 0 = full schedule
    eval_digits: int = 10000            # test digits for the final reconstruction MSE; 0 = skip
    amp: bool = False                   # CUDA only: bfloat16 autocast for the model's matmuls
    save_dtype: str = "float32"         # storage of model.safetensors: "float32", "float16" (half) or "int8" (matrices, a quarter)
    log_every: int = 20                 # reconstruction steps between JSONL / TensorBoard log lines
    init_model: str = ""                # start from these weights (shipped name or .safetensors path; T may differ); "" = random

    def validate(self) -> "TrainConfig":
        """Raise UserError on impossible values; return self."""
        for group in _groups(self).values():   # model, aux, human, paired, augment
            group.validate()
        if self.save_dtype not in SAVE_DTYPES:
            _bad("save_dtype", self.save_dtype, f"use {' or '.join(SAVE_DTYPES)}")
        if not self.lr > 0:
            _bad("lr", self.lr, "use a positive number")
        if self.batch_size < 1:
            _bad("batch_size", self.batch_size, "use a positive integer")
        if self.epochs < 1:
            _bad("epochs", self.epochs, "use a positive integer")
        if self.log_every < 1:
            _bad("log_every", self.log_every, "use a positive integer")
        if self.paired.order_steps and self.model.kind != "proposals":
            _bad("paired.order_steps", self.paired.order_steps, "use 0 unless model.kind=proposals")
        _check_non_negative(self)
        return self


FLAT_KEYS = {
    "aux_distance": "aux.distance", "aux_angle": "aux.angle",
    "human_pretrain_steps": "human.pretrain_steps", "human_every": "human.every", "human_lr": "human.lr",
    "paired_batch": "paired.batch", "paired_every": "paired.every", "paired_pretrain_steps": "paired.pretrain_steps",
    "paired_holdout": "paired.holdout", "point_weight": "paired.point_weight", "dtw_weight": "paired.dtw_weight",
    "dtw_gamma": "paired.dtw_gamma", "pen_weight": "paired.pen_weight", "paired_recon": "paired.recon_weight",
    "augment_copies": "augment.copies", "augment_affine": "augment.affine", "augment_width": "augment.width",
    "augment_noise": "augment.noise",
}
"""The flat keys of TrainConfig before its groups (old --set, config files, run folders, weights) -> dotted key."""


# The 3x512 configurations as the note's author trained them (issue 12): TensorFlow's LSTMCell
# initialisation, the softness fed back as the network emitted it (exp), one shuffle of the data; the
# learning rate stays the note's 0.0005 (its text states it for these models; the repository has only
# the masked model).
_AUTHOR_LSTM = dict(init="tensorflow", feedback="raw")
_SOFT = ModelConfig(third_activation="exp", rasteriser="soft-line", **_AUTHOR_LSTM)
_ENSEMBLE = ModelConfig(kind="ensemble", hidden=64, third_activation="exp", rasteriser="soft-line")
_AUX = AuxConfig(distance=0.01, angle=0.01)
_NOTE_HUMAN = HumanConfig(pretrain_steps=100, every=1)   # 100 steps first, then 1:1
# The note's repository (issue 12): its per-digit model is one 3x640 LSTM masked by the label, its Adam
# runs at 0.001 on MNIST and, separately, at 0.0005 on the human samples, the data is shuffled once.
_MASKED = ModelConfig(kind="masked", hidden=640, third_activation="exp", rasteriser="soft-line", init="tensorflow",
                      feedback="raw")

ROUTED_RUN = "runs/routed-ensemble/model.safetensors"
"""Where human-routed starts from: the routed-ensemble preset's run (the routed model shipped as note-best until
issue 12)."""
HUMAN_ROUTED_RUN = "runs/human-routed/model.safetensors"
"""Where human-proposals starts from: the human-routed preset's run (shipped as human-best until issue 12)."""
_HUMAN_PAIRED = PairedConfig(batch=128, every=1, point_weight=1.0, dtw_weight=1.0, pen_weight=0.1)
_ROUTED_BLURRED = dataclasses.replace(_ENSEMBLE, input_blur=1.0)

PRESETS: dict[str, TrainConfig] = {
    # note, "Generating handwriting": 3x512 LSTM drawing through the frozen learned line model.
    "note-learned-line": TrainConfig(model=ModelConfig(third_activation="sigmoid", rasteriser="learned-line",
                                                        **_AUTHOR_LSTM), reshuffle=False),
    # note, "Using new method": the soft analytic line (softness = exp, see README deviations).
    "note-soft-line": TrainConfig(model=_SOFT, reshuffle=False),
    # note, "Dropout": on the inputs of LSTM layers 2 and 3 (the note gives no rate; we use 0.3).
    "note-dropout": TrainConfig(model=dataclasses.replace(_SOFT, dropout=0.3), reshuffle=False),
    # note, "Maximum instead of sum".
    "note-max": TrainConfig(model=dataclasses.replace(_SOFT, compositing="max"), reshuffle=False),
    # note, "Different losses".
    "note-aux-losses": TrainConfig(model=_SOFT, aux=_AUX, reshuffle=False),
    # note, "Separate model for each digit", as its repository builds it (issue 12): one 3x640 LSTM whose
    # layers 1 and 2 pass on only the label's 64 units (model.kind=masked), TensorFlow's initialisation,
    # the exp softness fed back, Adam at 0.001, one shuffle; with the auxiliary losses.
    "note-ensemble": TrainConfig(model=_MASKED, aux=_AUX, lr=0.001, reshuffle=False),
    # The note's best as its repository's train.py trains it: note-ensemble + the 32 human samples (100
    # steps first, then one before every MNIST step, with their own Adam at 0.0005).
    "note-best": TrainConfig(model=_MASKED, aux=_AUX, human=dataclasses.replace(_NOTE_HUMAN, lr=0.0005), lr=0.001,
                             reshuffle=False),
    # The ensemble as the note's text describes it: ten separate 3x64 LSTMs, each sample routed to its own
    # class, with the human samples (100 steps first, then 1:1); note-best until issue 12, the start of
    # human-best.
    "routed-ensemble": TrainConfig(model=_ENSEMBLE, aux=_AUX, human=_NOTE_HUMAN),
    # Issue 7: routed-ensemble (trained first into runs/routed-ensemble) fine-tuned for 5 epochs on the
    # paired pendigits digits of writers 1-20 (21-24 validate, 25-30 never seen), one paired step of 128 digits
    # per reconstruction step, the skeleton blurred by 1 px before the input layer. Chosen on writers 21-24 and
    # on the legibility of MNIST training digits, see docs/RESULTS.md: point + soft-DTW beat either alone; lr
    # 0.001 beat 0.0005; input blur 1 px beat 0, 2 and 3; paired batch 128 beat 64; T = 32 gained 0.02 px at
    # 1.6x the cost and T = 48 nothing; 5 epochs drew more legible 5s than 3; training on writers 1-24 made 5s
    # illegible (one-stroke 5s of writer 21). Shipped as human-best until issue 12; the start of human-proposals.
    "human-routed": TrainConfig(model=_ROUTED_BLURRED, init_model=ROUTED_RUN, lr=0.001, epochs=5, aux=_AUX,
                                paired=_HUMAN_PAIRED),
    # Issue 12: the same fine-tuning from the shipped note-best (the masked 3x640 model of the note's
    # repository); it beat human-routed on writers 21-24 (LDTW 1.086 against 1.102 px), see docs/RESULTS.md.
    "human-best": TrainConfig(model=dataclasses.replace(_MASKED, input_blur=1.0), init_model="note-best", lr=0.001,
                              epochs=5, aux=_AUX, paired=_HUMAN_PAIRED),
    # Issue 16: K = 4 copies of human-routed (model.kind=proposals, no shared weights), fine-tuned for
    # 2 epochs on the same paired digits; each writer's trajectory goes to the proposal of its drawing-order
    # cluster (k-means per class, train/orders.py) at every step: on writers 21-24 that beat clusters for one
    # epoch and then winner-takes-all (docs/RESULTS.md). The odds head learns which proposal took it; every
    # proposal keeps the reconstruction loss. Each step draws K times what human-routed's does.
    "human-proposals": TrainConfig(model=dataclasses.replace(_ROUTED_BLURRED, kind="proposals", proposals=4),
                                   init_model=HUMAN_ROUTED_RUN, lr=0.001, epochs=2, aux=_AUX,
                                   paired=dataclasses.replace(_HUMAN_PAIRED, share=0.05, odds_weight=0.1,
                                                              order_steps=1874)),
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


def _groups(config: TrainConfig) -> dict[str, object]:
    """Group name -> the nested dataclass (``model``, ``aux``, ``human``, ``paired``, ``augment``)."""
    return {item.name: getattr(config, item.name) for item in dataclasses.fields(config)
            if dataclasses.is_dataclass(getattr(config, item.name))}


def keys(config: TrainConfig) -> list[str]:
    """Every settable key of ``config``: top-level names, then ``group.name``."""
    groups = _groups(config)
    return [item.name for item in dataclasses.fields(config) if item.name not in groups] + \
        [f"{name}.{item.name}" for name, group in groups.items() for item in dataclasses.fields(group)]


def _locate(config: TrainConfig, key: str) -> tuple[object, str]:
    """(dataclass, field name) that ``key`` (dotted, or an old flat key) names, or a UserError."""
    group_name, dot, name = FLAT_KEYS.get(key, key).rpartition(".")
    target = _groups(config).get(group_name) if dot else config
    if target is None or name not in [item.name for item in dataclasses.fields(target)] \
            or dataclasses.is_dataclass(getattr(target, name)):
        raise UserError(f"unknown config key {key!r}", f"use one of: {', '.join(keys(config))}")
    return target, name


def apply_override(config: TrainConfig, key: str, value) -> None:
    """Set ``key`` (``lr``, ``model.hidden``, ``paired.batch`` or an old flat key) to ``value``, type-checked."""
    target, name = _locate(config, key)
    setattr(target, name, _coerce(key, value, getattr(target, name)))


def _apply_tree(config: TrainConfig, data: dict, prefix: str = "") -> None:
    """Apply ``data``: ``key: value`` with tables (``{"paired": {"batch": 128}}``) for groups."""
    for key, value in data.items():
        if isinstance(value, dict):
            _apply_tree(config, value, f"{prefix}{key}.")
        else:
            apply_override(config, prefix + key, value)


def apply_overrides(config: TrainConfig, pairs: list[str]) -> TrainConfig:
    """Apply ``key=value`` strings in order; return ``config`` validated."""
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"override {pair!r} is not key=value", "write e.g. lr=0.001 in 'overrides'", "overrides")
        apply_override(config, key.strip(), _parse_value(text.strip()))
    return config.validate()


def apply_file(config: TrainConfig, path: str | Path) -> TrainConfig:
    """Apply the keys of a TOML or JSON file (a table per group, e.g. ``[model]``); return ``config`` validated."""
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
    _apply_tree(config, data)
    return config.validate()


def to_dict(config: TrainConfig) -> dict:
    """JSON-serialisable form (saved with every run), a table per group."""
    return dataclasses.asdict(config)


def from_dict(data: dict) -> TrainConfig:
    """Inverse of :func:`to_dict`, strict about unknown keys; also reads the flat dicts of earlier
    versions (keys they lack take their defaults)."""
    config = TrainConfig()
    _apply_tree(config, data)
    return config.validate()
