"""Training and evaluating the number reader (:mod:`.reader`) on real numbers (issue 17, part 3).

Data (:func:`.numbers.build_numbers`, built once per run from the seed): the training numbers
come from handwritten-MNIST *training* digits (the ``train`` split) and from pendigits writers
1-20, half each; validation numbers from pendigits writers 21-24 and from the MNIST ``valid``
split (the last 5,000 training digits). The MNIST test digits and the development writers
25-30 are only read by :func:`evaluate_reader`, after training. Each batch is slanted and
stretched at random (a linear map of the offsets) so the reader does not learn one slant.

Batches hold numbers of similar length (sorted within chunks of 50 batches, then shuffled),
the learning rate decays along a cosine from ``learning_rate`` to a tenth of it over
``steps``, gradients are clipped. Every ``checkpoint_every`` steps the run writes
``checkpoint.safetensors`` (:mod:`mnist_handwriting.train.checkpoint`: model, Adam state,
step, RNG state) and measures the validation CER; ``resume`` continues from it exactly.
``minutes`` stops the run early (after a checkpoint) once that much training time is spent.

The shipped reader is to be trained with (at most about 20 minutes on 2 CPU cores: building the
60,000 numbers takes about a minute, a step of 64 numbers took 0.13-0.2 s on one busy core, so the
6,000 steps fit and ``--minutes 20`` caps the run if the machine is slower)::

    mkdir -p runs/reader && OMP_NUM_THREADS=2 mnist-handwriting train-reader --out runs/reader --minutes 20 --seed 0

and shipped by copying ``runs/reader/reader.safetensors`` and ``reader.json`` into
``mnist_handwriting/weights/``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..data.human import DEV_WRITERS
from ..errors import UserError
from ..train.checkpoint import CHECKPOINT, load_checkpoint, restore, save_checkpoint
from .numbers import TRAIN_WRITERS, VALID_WRITERS, NumberSample, build_numbers, length_batches, to_model_offsets
from .reader import NumberReader, ReaderConfig, character_error_rate, ctc_loss, read_trajectories



@dataclass
class ReaderTrainConfig:
    """How :func:`train_reader` trains; saved in checkpoints and with the weights."""

    steps: int = 6000                 # optimiser steps; the learning rate decays over them
    batch_size: int = 64              # numbers per step
    learning_rate: float = 3e-3       # Adam, cosine-decayed to a tenth over `steps`
    clip: float = 1.0                 # gradient norm limit
    numbers: int = 60_000             # training numbers built at the start (MNIST train split + writers 1-20)
    valid_numbers: int = 500          # validation numbers of writers 21-24, and as many of the MNIST valid split
    slant: float = 0.3                # augmentation: shear x += k * y with k drawn from +-this
    stretch: float = 0.1              # augmentation: x and y scaled by 1 +- this, each drawn
    checkpoint_every: int = 500       # steps between checkpoints (and validations)
    seed: int = 0                     # data, initialisation, batch order and augmentation


def _check(config: ReaderTrainConfig) -> None:
    counts = ("steps", "batch_size", "numbers", "valid_numbers", "checkpoint_every")
    for name in counts:
        if getattr(config, name) < 1:
            raise UserError(f"{name} {getattr(config, name)} is not positive", f"use a '{name}' of 1 or more", name)
    if config.learning_rate <= 0 or config.clip <= 0 or not 0 <= config.slant < 1 or not 0 <= config.stretch < 1:
        raise UserError("learning_rate and clip must be positive, slant and stretch in [0, 1)",
                        "use the defaults of ReaderTrainConfig")


def training_numbers(config: ReaderTrainConfig, data_dir=None, cache_dir=None) -> list[NumberSample]:
    """The run's training numbers: MNIST training digits and pendigits writers 1-20, half each."""
    return build_numbers(config.numbers, "both", writers=TRAIN_WRITERS, split="train", seed=config.seed,
                         data_dir=data_dir, cache_dir=cache_dir)


def validation_numbers(config: ReaderTrainConfig, data_dir=None, cache_dir=None) -> dict[str, list[NumberSample]]:
    """Validation numbers by name: pendigits writers 21-24 and the MNIST valid split."""
    seed = config.seed + 1
    return {"writers_21_24": build_numbers(config.valid_numbers, "pendigits", writers=VALID_WRITERS, seed=seed,
                                           data_dir=data_dir, cache_dir=cache_dir),
            "mnist_valid": build_numbers(config.valid_numbers, "mnist", split="valid", seed=seed)}


def cer_of(reader: NumberReader, samples: list[NumberSample]) -> float:
    """Character error rate of ``reader`` on ``samples``."""
    return character_error_rate(read_trajectories(reader, [s.points for s in samples]), [s.text for s in samples])


def evaluate_reader(reader: NumberReader, count: int = 1000, seed: int = 1, data_dir=None, cache_dir=None) -> dict:
    """CER on ``count`` numbers written from MNIST *test* digits and on ``count`` from the development writers 25-30."""
    test = build_numbers(count, "mnist", split="test", seed=seed, evaluation=True)
    dev = build_numbers(count, "pendigits", writers=DEV_WRITERS, seed=seed, evaluation=True, data_dir=data_dir,
                        cache_dir=cache_dir)
    return {"cer_mnist_test": round(cer_of(reader, test), 5), "cer_dev_writers": round(cer_of(reader, dev), 5),
            "eval_numbers": count, "eval_seed": seed}


def augment(offsets: torch.Tensor, slant: float, stretch: float) -> torch.Tensor:
    """``offsets: (B, T, 3)`` under a random shear and stretch per number (global torch RNG)."""
    count = len(offsets)
    shear = (torch.rand(count, 1) * 2 - 1) * slant
    scale = 1 + (torch.rand(count, 2) * 2 - 1) * stretch
    dx = (offsets[..., 0] - shear * offsets[..., 1]) * scale[:, :1]
    dy = offsets[..., 1] * scale[:, 1:]
    return torch.stack([dx, dy, offsets[..., 2]], dim=-1)


def train_reader(out_dir: str | Path, config: ReaderTrainConfig | None = None,
                 model_config: ReaderConfig | None = None, *, minutes: float | None = None, resume: bool = False,
                 progress: bool = True, data_dir=None, cache_dir=None) -> tuple[NumberReader, dict]:
    """Train a :class:`NumberReader` (module docstring), checkpointing into ``out_dir``.

    ``minutes``: stop after this much training time (the run's total, resumes included).
    ``resume``: continue the run in ``out_dir`` (its config must be the one given).
    Returns the model (eval mode) and metrics: ``steps``, ``train_loss`` (mean of the last 100
    steps), ``seconds``, the validation CERs ``cer_writers_21_24`` and ``cer_mnist_valid``.
    """
    config = config or ReaderTrainConfig()
    model_config = model_config or ReaderConfig()
    _check(config)
    if minutes is not None and minutes <= 0:
        raise UserError(f"a budget of {minutes} minutes is not positive", "use 'minutes' above 0", "minutes")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise UserError(f"output folder {out_dir} does not exist", "create it first or choose another 'out_dir'",
                        "out_dir")
    settings = {"train": dataclasses.asdict(config), "model": dataclasses.asdict(model_config)}
    if not resume and (out_dir / CHECKPOINT).exists():
        raise UserError(f"{out_dir} already holds a run ({CHECKPOINT})", "pass 'resume' to continue it, or choose "
                        "another 'out_dir'", ("resume", "out_dir"))
    torch.manual_seed(config.seed)
    model = NumberReader(model_config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    step, seconds = 0, 0.0
    if resume:
        tensors, info = load_checkpoint(out_dir)
        if info["config"] != settings:
            raise UserError(f"{out_dir} holds a run with other settings ({info['config']})",
                            "resume with the settings the run was started with", "resume")
        restore(tensors, model, {"optim": optimizer}, out_dir / CHECKPOINT)
        step, seconds = info["step"], info["seconds"]
    samples = training_numbers(config, data_dir, cache_dir)
    offsets = [torch.from_numpy(to_model_offsets(s.points, model_config.offset_std)) for s in samples]
    texts = [s.text for s in samples]
    lengths = np.array([len(o) for o in offsets])
    valid = validation_numbers(config, data_dir, cache_dir)
    epoch_batches = math.ceil(len(samples) / config.batch_size)
    floor = config.learning_rate / 10
    losses: list[float] = []
    scores: dict = {}
    started = time.monotonic() - seconds
    bar = tqdm(total=config.steps, initial=step, desc="train-reader", disable=None if progress else True)

    def checkpoint() -> None:
        scores.update({f"cer_{name}": round(cer_of(model, numbers), 5) for name, numbers in valid.items()})
        save_checkpoint(out_dir, model, {"optim": optimizer}, step=step, pretrained=0,
                        seconds=time.monotonic() - started, config=settings)
        bar.set_postfix(loss=f"{np.mean(losses[-100:]):.3f}" if losses else "-", **scores)

    model.train()
    batches: list[np.ndarray] = []
    while step < config.steps:
        if not batches or step % epoch_batches == 0:
            batches = length_batches(lengths, config.batch_size, config.seed, step // epoch_batches)
        chosen = batches[step % epoch_batches]
        rows = torch.nn.utils.rnn.pad_sequence([offsets[i] for i in chosen], batch_first=True)
        rows_lengths = torch.from_numpy(lengths[chosen])
        for group in optimizer.param_groups:
            group["lr"] = floor + (config.learning_rate - floor) * (1 + math.cos(math.pi * step / config.steps)) / 2
        log_probs = model(augment(rows, config.slant, config.stretch), rows_lengths)
        loss = ctc_loss(log_probs, model.frames(rows_lengths), [texts[i] for i in chosen])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
        optimizer.step()
        losses.append(loss.item())
        step += 1
        bar.update(1)
        over = minutes is not None and time.monotonic() - started >= minutes * 60
        if step % config.checkpoint_every == 0 or step == config.steps or over:
            checkpoint()
        if over:
            break
    bar.close()
    if not scores:   # resumed at the end: nothing was trained, measure what was loaded
        scores.update({f"cer_{name}": round(cer_of(model, numbers), 5) for name, numbers in valid.items()})
    metrics = {"steps": step, "train_loss": round(float(np.mean(losses[-100:])), 4) if losses else None,
               "seconds": round(time.monotonic() - started, 1), **scores}
    return model.eval(), metrics
