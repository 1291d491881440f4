"""Training the synthesis network on any source of written texts: batches, the step, the loop.

The data is a plain iterable of ``(text, offsets)`` pairs or ``(text, offsets, hand)`` triples: a
string over the network's alphabet, its normalised pen offsets ``offsets: (T, 3)`` float32 (dx, dy,
end_of_stroke in {0, 1}; :mod:`mnist_handwriting.synthesis.model`) and the :class:`.hands.Hand` it
was written in (None: no hand shown). :func:`collate` pads a list of them into a
:class:`Batch`. :func:`train_synthesis` runs Adam on shuffled batches with a wall-time budget,
writing into its folder ``config.json``, ``log.jsonl``, ``checkpoint.safetensors`` (every
``checkpoint_every`` steps and at the end; ``resume`` continues from it) and
``synthesis.safetensors`` (+ ``.json``), the trained weights. Batches hold texts of similar
length (:func:`mnist_handwriting.synthesis.numbers.length_batches`), which cuts the padded steps.

Gradient clipping: Graves (2013, section 5) clips the derivatives with respect to the LSTM
inputs to [-10, 10] and with respect to the network outputs to [-100, 100], inside the
backward pass. We clip the global norm of the parameters' gradient instead
(``torch.nn.utils.clip_grad_norm_``), which keeps its direction and needs no hooks.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
from tqdm import tqdm

from ..errors import UserError
from ..inference import evaluating
from ..paths import atomic_write
from ..safeweights import as_stored, describe_machine
from ..train.checkpoint import CHECKPOINT, load_checkpoint, restore, save_checkpoint
from .hands import (HAND_POINTS, HAND_SOURCES, Hand, character_features, feature_size, resembling_hand,
                    resembling_rows, training_hand)
from .model import ALPHABET, SynthesisConfig, SynthesisNetwork, encode_batch, load_synthesis, loss, save_synthesis
from .numbers import (TRAIN_WRITERS, VALID_WRITERS, build_numbers, cached_pendigits_pool, length_batches,
                      mnist_pool, to_model_offsets)

MODEL_FILE = "synthesis.safetensors"
CONFIG_FILE = "config.json"
LOG_FILE = "log.jsonl"
EVAL_BATCH = 64


@dataclass
class TrainConfig:
    """One synthesis training run (saved in ``config.json`` and with the weights)."""

    model: SynthesisConfig = field(default_factory=SynthesisConfig)
    batch_size: int = 32                 # texts per step
    lr: float = 1e-3                     # Adam learning rate at the start
    lr_decay: float = 0.1                # cosine decay to lr * lr_decay over the run (see `run_fraction`; 1: constant)
    clip_norm: float = 10.0              # largest global gradient norm (see the module docstring)
    max_steps: int | None = None         # stop after this many steps (None: only the time budget)
    max_seconds: float | None = 3300.0   # wall-time budget in seconds over all resumes (None: only max_steps)
    checkpoint_every: int = 500          # steps between checkpoints (one is always written at the end)
    log_every: int = 50                  # steps between log lines
    seed: int = 0                        # initialisation and batch order
    save_dtype: str = "float16"          # storage of the trained weights: float16 or float32
    data: str = ""                       # what the samples are, e.g. "both: 60000 numbers" (recorded only)
    init: str = ""                       # synthesis weights the run starts from ("": a fresh network)

    def validate(self) -> None:
        if self.max_steps is None and self.max_seconds is None:
            raise UserError("the run has no end: neither 'max_steps' nor 'max_seconds' is set",
                            "set a step count or a time budget", ("max_steps", "max_seconds"))
        for name in ("batch_size", "checkpoint_every", "log_every"):
            if getattr(self, name) < 1:
                raise UserError(f"use a '{name}' of 1 or more", f"set {name} to a positive integer", name)
        if self.max_steps is not None and self.max_steps < 1:
            raise UserError("use a 'max_steps' of 1 or more", "set max_steps to a positive integer", "max_steps")
        if not 0 < self.lr_decay <= 1:
            raise UserError(f"an 'lr_decay' of {self.lr_decay} is not in (0, 1]",
                            "set lr_decay above 0 and at most 1 (1: a constant learning rate)", "lr_decay")
        if self.save_dtype not in ("float16", "float32"):
            raise UserError(f"unknown 'save_dtype' {self.save_dtype!r}", "use float16 or float32", "save_dtype")

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        """Inverse of ``dataclasses.asdict``."""
        return cls(**{**values, "model": SynthesisConfig(**values["model"])})


@dataclass
class Batch:
    """Padded texts and offsets for teacher forcing.

    ``inputs: (B, T, 3)``: each sequence's offsets behind a start row of zeros, without its last;
    ``targets: (B, T, 3)``: the offsets; ``mask: (B, T)`` bool, True on real points;
    ``text: (B, U)`` int64 and ``text_mask: (B, U)`` bool (:func:`encode_batch`); ``hand: (B, U, F)``
    each character's hand features (:func:`.hands.character_features`), None for a network without.
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    mask: torch.Tensor
    text: torch.Tensor
    text_mask: torch.Tensor
    hand: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(*(None if getattr(self, f.name) is None else getattr(self, f.name).to(device)
                       for f in dataclasses.fields(self)))


def numbers_data(count: int, source: str = "both", *, validation: bool = False, seed: int = 0, joined: float = 0.0,
                 hand_points: int = HAND_POINTS, hands: str = HAND_SOURCES[0], data_dir=None,
                 cache_dir=None) -> list[tuple[str, np.ndarray, Hand | None]]:
    """``count`` random numbers as ``(text, offsets: (T, 3), hand)`` in the network's normalised offsets.

    Training numbers (:func:`mnist_handwriting.synthesis.numbers.build_numbers`) come from
    handwritten-MNIST training digits (the ``train`` split) and/or pendigits writers 1-20, by
    ``source``; ``validation`` numbers from the MNIST ``valid`` split and/or writers 21-24 (the
    settings are chosen on these). The test digits and writers 25-30 are never used here. ``joined``:
    the share of numbers that are two numbers in one hand (:func:`~.numbers.build_numbers`). ``hand``:
    other digits of the number's source, drawn as ``hands`` says (:data:`.hands.HAND_SOURCES`:
    ``resembling``, :func:`.hands.resembling_hand`, for every number; ``writer``,
    :func:`.hands.training_hand`, for a number by one pendigits writer, None for a handwritten-MNIST
    one); None for every number with ``hand_points`` 0. Its shapes have ``hand_points`` points, as the
    network that will read them.
    """
    if hands not in HAND_SOURCES:
        raise UserError(f"unknown hands {hands!r}", f"use hands of {', '.join(HAND_SOURCES)}", "hands")
    writers = None if source == "mnist" else (VALID_WRITERS if validation else TRAIN_WRITERS)
    split = "valid" if validation else "train"
    numbers = build_numbers(count, source, writers=writers, split=split, seed=seed, joined=joined,
                            data_dir=data_dir, cache_dir=cache_dir)
    rng = np.random.default_rng([seed, 17])
    if not hand_points:
        return [(number.text, to_model_offsets(number.points), None) for number in numbers]
    pendigits = cached_pendigits_pool(writers, data_dir, cache_dir) if writers is not None else None
    if hands == "writer":
        return [(number.text, to_model_offsets(number.points),
                 None if number.writer is None else training_hand(pendigits, number.writer, number.digits, rng,
                                                                  hand_points))
                for number in numbers]
    mnist = mnist_pool(split) if source != "pendigits" else None
    by_writer = {human: (pool, resembling_rows(pool)) for human, pool in ((False, mnist), (True, pendigits))
                 if pool is not None}                       # a number by a pendigits writer, or of MNIST digits
    data = []
    for number in numbers:
        pool, nearest = by_writer[number.writer is not None]
        data.append((number.text, to_model_offsets(number.points),
                     resembling_hand(pool, nearest, number.text, number.digits, rng, hand_points)))
    return data


def check_sample(text: str, offsets: np.ndarray, index: int, alphabet: str = ALPHABET,
                 what: str = "training sample", hand: Hand | None = None) -> np.ndarray:
    """``offsets`` of sample ``index`` as float32 ``(T, 3)``, or a ``UserError`` naming ``what`` is wrong."""
    offsets = np.asarray(offsets, dtype=np.float32)
    fix = ("give (text, offsets) pairs or (text, offsets, hand) triples: a non-empty text, offsets (T, 3) of dx, dy, "
           "end_of_stroke in {0, 1}, and a Hand or None")
    if hand is not None and not isinstance(hand, Hand):
        raise UserError(f"{what} {index} has a hand of type {type(hand).__name__}", fix, "samples")
    if not isinstance(text, str) or not text:
        raise UserError(f"{what} {index} has no text", fix, "samples")
    if offsets.ndim != 2 or offsets.shape[0] < 1 or offsets.shape[1] != 3:
        raise UserError(f"{what} {index} ({text!r}) has offsets of shape {offsets.shape}", fix, "samples")
    if not np.isfinite(offsets).all() or not np.isin(offsets[:, 2], (0.0, 1.0)).all():
        raise UserError(f"{what} {index} ({text!r}) has non-finite offsets or an end of stroke "
                        "outside {0, 1}", fix, "samples")
    if any(char not in alphabet for char in text):
        raise UserError(f"{what} {index} has text {text!r} with characters outside {alphabet!r}", fix,
                        "samples")
    return offsets


def parts(sample: tuple) -> tuple[str, np.ndarray, Hand | None]:
    """A training sample as ``(text, offsets, hand)``: a ``(text, offsets)`` pair has no hand."""
    if not isinstance(sample, (tuple, list)) or len(sample) not in (2, 3):
        raise UserError(f"a training sample is {type(sample).__name__} {str(sample)[:40]}",
                        "give (text, offsets) pairs or (text, offsets, hand) triples", "samples")
    return (*sample, None) if len(sample) == 2 else tuple(sample)


def checked_samples(samples: Iterable[tuple], alphabet: str = ALPHABET,
                    what: str = "training sample") -> list[tuple[str, np.ndarray, Hand | None]]:
    """``samples`` (pairs or triples, :func:`parts`) as checked ``(text, float32 offsets (T, 3), hand)``
    triples (:func:`check_sample`; a ``UserError`` names the first bad one)."""
    return [(text, check_sample(text, offsets, index, alphabet, what, hand), hand)
            for index, (text, offsets, hand) in enumerate(map(parts, samples))]


def collate(samples: Sequence[tuple], alphabet: str = ALPHABET, hand_points: int = 0, checked: bool = False) -> Batch:
    """Pad ``(text, offsets: (T, 3))`` pairs or ``(text, offsets, hand)`` triples into a :class:`Batch` (on the
    CPU); with ``hand_points``, each hand's features (:func:`.hands.character_features`, zeros without one).
    ``checked``: the samples are ``(text, float32 offsets, hand)`` triples already checked
    (:func:`train_synthesis` checks its samples once), so :func:`check_sample` is not run again."""
    if not checked:
        samples = checked_samples(samples, alphabet)
    offsets = [value for _, value, _ in samples]
    steps = max(len(value) for value in offsets)
    targets = np.zeros((len(offsets), steps, 3), np.float32)
    mask = np.zeros((len(offsets), steps), bool)
    for row, value in enumerate(offsets):
        targets[row, :len(value)] = value
        mask[row, :len(value)] = True
    targets = torch.from_numpy(targets)
    inputs = torch.cat([torch.zeros(len(offsets), 1, 3), targets[:, :-1]], dim=1)
    text, text_mask = encode_batch([text for text, _, _ in samples], alphabet)
    hands = None
    if hand_points:
        hands = np.zeros((*text.shape, feature_size(hand_points)), np.float32)
        for row, (characters, _, hand) in enumerate(samples):
            hands[row, :len(characters)] = character_features(characters, hand, hand_points)
        hands = torch.from_numpy(hands)
    return Batch(inputs, targets, torch.from_numpy(mask), text, text_mask, hands)


def run_fraction(config: TrainConfig, step: int, seconds: float) -> float:
    """How far the run is, 0 to 1: the larger of ``step / max_steps`` and ``seconds / max_seconds``
    (whichever ends the run first ends it at 1)."""
    fractions = [step / config.max_steps] if config.max_steps is not None else []
    fractions += [seconds / config.max_seconds] if config.max_seconds is not None else []
    return min(1.0, max(fractions))


def learning_rate(config: TrainConfig, fraction: float) -> float:
    """The cosine schedule from ``lr`` (fraction 0) to ``lr * lr_decay`` (fraction 1)."""
    final = config.lr * config.lr_decay
    return final + (config.lr - final) * (1 + math.cos(math.pi * fraction)) / 2


def train_step(model: SynthesisNetwork, optimizer: torch.optim.Optimizer, batch: Batch,
               clip_norm: float) -> dict[str, float]:
    """One Adam step on ``batch`` with global-norm clipping; the loss (nats per point) and the norm before clipping."""
    output, _ = model(batch.inputs, batch.text, batch.text_mask, hand=batch.hand)
    value = loss(output, batch.targets, batch.mask)
    if not torch.isfinite(value):
        raise UserError(f"training diverged (loss = {float(value)})", "lower 'lr' or 'clip_norm'", "lr")
    optimizer.zero_grad(set_to_none=True)
    value.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()
    return {"loss": float(value.detach()), "grad_norm": float(norm)}


def evaluate(model: SynthesisNetwork, samples: Sequence[tuple]) -> float:
    """Mean negative log-likelihood of ``samples`` in nats per point (every point weighs the same)."""
    device = next(model.parameters()).device
    total, points = 0.0, 0
    with evaluating(model):
        for start in range(0, len(samples), EVAL_BATCH):
            batch = collate(samples[start:start + EVAL_BATCH], model.config.alphabet,
                            model.config.hand_points).to(device)
            output, _ = model(batch.inputs, batch.text, batch.text_mask, hand=batch.hand)
            n = int(batch.mask.sum())
            total += float(loss(output, batch.targets, batch.mask)) * n
            points += n
    return total / max(points, 1)


def initial_network(config: TrainConfig) -> SynthesisNetwork:
    """The network in ``config.init``, which must have the run's architecture (``config.model``), or a ``UserError``."""
    start = load_synthesis(config.init)
    if start.config != config.model:
        raise UserError(f"{config.init} is a {dataclasses.asdict(start.config)} network, the run asks for "
                        f"{dataclasses.asdict(config.model)}", "give the architecture of the --init file (or leave "
                        "the architecture options out)", "init")
    return start


def train_synthesis(samples: Iterable[tuple[str, np.ndarray]], config: TrainConfig, out_dir: str | os.PathLike, *,
                    validation: Iterable[tuple[str, np.ndarray]] | None = None, resume: bool = False,
                    device: torch.device | str = "cpu", progress: bool = True,
                    command: str = "") -> tuple[SynthesisNetwork, dict]:
    """Train (or with ``resume``, continue training) a :class:`SynthesisNetwork` on ``samples``.

    ``samples``, ``validation``: ``(text, offsets: (T, 3)[, hand])`` (the module docstring), read
    once into memory and checked. The run stops after ``config.max_steps`` steps or
    ``config.max_seconds`` seconds, whichever comes first. ``config.init``: start from those weights
    (fine-tuning; their architecture must be ``config.model``) instead of a fresh network. A resume
    takes the checkpoint's config but this ``config``'s ``max_steps`` and ``max_seconds``, so a run
    can be extended. Returns the model (eval mode, its weights rounded as stored) and the metrics
    stored with it: steps, seconds, what stopped it (``"steps"`` or ``"time"``), the mean training
    loss of the last log line and, with ``validation``, its NLL, both in nats per point.
    """
    out_dir = Path(out_dir)
    device = torch.device(device)
    samples = list(samples)
    validation = list(validation) if validation is not None else []
    if not samples:
        raise UserError("there are no training samples", "give at least one (text, offsets) pair", "samples")
    tensors, saved = load_checkpoint(out_dir) if resume else (None, None)
    if saved is not None:
        config = dataclasses.replace(TrainConfig.from_dict(saved["config"]), max_steps=config.max_steps,
                                     max_seconds=config.max_seconds)
    config.validate()
    samples = checked_samples(samples, config.model.alphabet, "training sample")
    validation = checked_samples(validation, config.model.alphabet, "validation sample")
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_write(out_dir / CONFIG_FILE) as temp:
        temp.write_text(json.dumps({"config": dataclasses.asdict(config), "command": command}, indent=2) + "\n")

    torch.manual_seed(config.seed)
    model = SynthesisNetwork(config.model).to(device)
    if config.init and tensors is None:
        model.load_state_dict(initial_network(config).state_dict())
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    step, earlier = 0, 0.0
    if tensors is not None:
        restore(tensors, model, {"optim": optimizer}, out_dir)
        step, earlier = saved["step"], saved["seconds"]
    log_path = out_dir / LOG_FILE
    if resume and log_path.is_file() and saved["log_bytes"] is not None:
        os.truncate(log_path, saved["log_bytes"])   # drop what was logged after the checkpoint
    started = time.perf_counter() - earlier

    def checkpoint() -> None:
        save_checkpoint(out_dir, model, {"optim": optimizer}, step=step, pretrained=0,
                        seconds=time.perf_counter() - started, config=dataclasses.asdict(config),
                        log_bytes=log.tell())

    lengths = np.array([len(sample[1]) for sample in samples])
    per_epoch = math.ceil(len(samples) / min(config.batch_size, len(samples)))
    batches, batches_epoch = [], -1
    total = config.max_steps
    stopped = "steps"
    running, seen, logged = 0.0, 0, None   # logged: the mean loss of the last log line
    model.train()
    with open(log_path, "a") as log, tqdm(total=total, initial=step, desc="synthesis", unit="step",
                                          disable=None if progress else True) as bar:
        while total is None or step < total:
            if config.max_seconds is not None and time.perf_counter() - started >= config.max_seconds:
                stopped = "time"
                break
            epoch, slot = divmod(step, per_epoch)
            if epoch != batches_epoch:
                batches, batches_epoch = length_batches(lengths, config.batch_size, config.seed, epoch), epoch
            indices = batches[slot]
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(config, run_fraction(config, step, time.perf_counter() - started))
            batch = collate([samples[i] for i in indices], config.model.alphabet, config.model.hand_points,
                            checked=True).to(device)
            terms = train_step(model, optimizer, batch, config.clip_norm)
            step += 1
            running, seen = running + terms["loss"], seen + 1
            bar.update(1)
            if step % config.log_every == 0:
                bar.set_postfix(loss=f"{running / seen:.3f}")
                log.write(json.dumps({"step": step, "loss": running / seen, "grad_norm": terms["grad_norm"],
                                      "lr": optimizer.param_groups[0]["lr"],
                                      "seconds": time.perf_counter() - started}) + "\n")
                log.flush()
                logged, running, seen = running / seen, 0.0, 0
            if step % config.checkpoint_every == 0:
                checkpoint()
        checkpoint()
    dtype = getattr(torch, config.save_dtype)
    with torch.no_grad():   # measure the weights as they will be stored
        for parameter in model.parameters():
            parameter.copy_(as_stored(parameter, dtype))
    metrics = {"steps": step, "seconds": round(time.perf_counter() - started, 1), "stopped_by": stopped,
               "samples": len(samples)}
    if logged is not None:
        metrics["train_nll"] = logged
    if validation:
        metrics["validation_nll"] = evaluate(model, validation)
        metrics["validation_samples"] = len(validation)
    save_synthesis(model, out_dir / MODEL_FILE, metrics=metrics, command=command, train=dataclasses.asdict(config),
                   machine=describe_machine(device), dtype=dtype)
    return model.eval(), metrics


__all__ = ["TrainConfig", "numbers_data", "Batch", "collate", "train_step", "evaluate", "train_synthesis",
           "MODEL_FILE", "CONFIG_FILE", "LOG_FILE", "CHECKPOINT"]
