"""The training loop: seeded, resumable, logged; optional CUDA bf16 autocast and DDP.

:func:`train` runs the phases in order: set up, human pre-training, paired pre-training, the
epochs, finish. Schedule (note, "Separate model for each digit"): ``human.pretrain_steps``
supervised steps on the human samples, then ``epochs`` passes of reconstruction steps over the
training digits with one human-sample step after every ``human.every`` of them. With the paired
pendigits data (issue 7, ``paired.batch > 0``): ``paired.pretrain_steps`` paired steps first,
then one paired step after every ``paired.every`` reconstruction steps; ``init_model`` starts
from trained weights. Under ``torchrun`` (``WORLD_SIZE`` set) each process takes its share of
every batch and DDP averages the gradients; only rank 0 writes files.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from ..data.digits import DigitSet
from ..errors import UserError
from ..models import PointModel, build_model
from ..models.registry import save_model
from ..paths import atomic_write
from ..render import make_rasteriser
from ..render.base import composite
from ..safeweights import as_stored, describe_machine
from ..viz.images import reconstruction_grid, save_reconstructions
from . import config as configs
from .checkpoint import CHECKPOINT, load_checkpoint, restore, save_checkpoint
from .data import Digits, HumanSamples, batch_indices, steps_per_epoch
from .losses import (angle_loss, distance_loss, human_loss, pen_errors, point_errors, reconstruction_errors,
                     reconstruction_loss, soft_dtw_divergences)
from .paired import PairedHuman, human_validation, load_paired, proposal_validation

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
LOG_FILE = "log.jsonl"
SAMPLES_FILE = "samples.png"
SAMPLE_DIGITS = 10
EVAL_BATCH = 500


@dataclass
class Trainer:
    """One model, its rasteriser, optimiser and loss terms; a step is forward, backward, Adam."""

    config: configs.TrainConfig
    model: PointModel
    device: torch.device
    wrapped: nn.Module = None            # the DDP wrapper when distributed, else the model
    rasteriser: nn.Module = field(init=False)
    optimizer: torch.optim.Optimizer = field(init=False)
    human_optimizer: torch.optim.Optimizer = field(init=False)   # the same one unless ``human.lr`` is set

    def __post_init__(self):
        self.wrapped = self.wrapped or self.model
        if self.proposing and self.wrapped is not self.model:
            raise UserError("a proposals model (model.kind=proposals) trains in one process, not under torchrun",
                            "run `mnist-handwriting train` without torchrun")
        try:
            self.rasteriser = make_rasteriser(self.config.model.rasteriser).to(self.device)
        except ValueError as error:
            raise UserError(str(error), "set model.rasteriser to an available rasteriser") from None
        self.rasteriser.requires_grad_(False)   # the learned line model stays frozen (note)
        # fused: one kernel for all parameters; the per-parameter loop cost 18 ms per step on
        # the 2.8M-parameter ensemble on CPU against 1.6 ms fused (benchmarks/train_step.py).
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.config.lr, fused=True)
        # The repository keeps a second Adam (own rate, own moments) for the human-sample steps.
        self.human_optimizer = torch.optim.Adam(self.model.parameters(), lr=self.config.human.lr, fused=True) \
            if self.config.human.lr else self.optimizer

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """Checkpoint prefix -> optimiser, for :func:`save_checkpoint` and :func:`restore`."""
        if self.human_optimizer is self.optimizer:
            return {"optim": self.optimizer}
        return {"optim": self.optimizer, "human_optim": self.human_optimizer}

    def autocast(self):
        """bf16 autocast for the model on CUDA when ``amp`` is on; the rasteriser and losses run in float32."""
        if self.config.amp and self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def render(self, raw: torch.Tensor) -> torch.Tensor:
        """``raw: (B, T, 3)`` -> ``(B, 28, 28)`` with the configured rasteriser and compositing."""
        return self.rasteriser(raw.float(), compositing=self.config.model.compositing)

    @property
    def proposing(self) -> bool:
        """Whether the model draws several proposals (``model.kind=proposals``, :mod:`..models.proposals`)."""
        return self.config.model.kind == "proposals"

    def drawn(self, images: torch.Tensor, labels: torch.Tensor):
        """What the model draws for ``images: (B, 28, 28)``: ``(raw: (B', T, 3) float32, the images it should
        reconstruct (B', 28, 28), logits)``; for a proposals model every proposal (``B' = B K``, proposal k of
        sample b at ``b K + k``) with the odds logits ``(B, K)``, else ``B' = B`` and logits ``None``."""
        with self.autocast():
            if not self.proposing:
                return self.wrapped(images, labels).float(), images, None
            raw, logits = self.model.proposals(images, labels)
        return raw.float().flatten(0, 1), images.repeat_interleave(raw.shape[1], dim=0), logits.float()

    def reconstruction_step(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        """One Adam step on ``images: (B, 28, 28)`` (every proposal of a proposals model); returns the loss terms."""
        raw, images, _ = self.drawn(images, labels)
        terms = {"recon": reconstruction_loss(self.render(raw), images)}
        if self.config.aux.distance:
            terms["distance"] = distance_loss(raw)
        if self.config.aux.angle:
            terms["angle"] = angle_loss(raw)
        loss = terms["recon"] + self.config.aux.distance * terms.get("distance", 0.0) \
            + self.config.aux.angle * terms.get("angle", 0.0)
        self._update(loss)
        return {name: float(value.detach()) for name, value in terms.items()}

    def human_step(self, human: HumanSamples) -> float:
        """One Adam step fitting x, y to the human samples; returns the loss."""
        with self.autocast():
            raw = self.wrapped(human.images, human.labels)
        loss = human_loss(raw, human.targets)
        self._update(loss, self.human_optimizer)
        return float(loss.detach())

    def paired_step(self, batch: PairedHuman, by_order: bool = False) -> dict[str, float]:
        """One Adam step of the supervised trajectory losses on paired human digits; returns the loss terms.

        A proposals model: each proposal's weighted loss is computed, the proposal closest to the writer's
        trajectory (the smallest) takes ``1 - paired.share`` of it and all share the rest, and the odds head
        learns which one won (cross-entropy, ``paired.odds_weight``); the terms logged are the winners'.
        ``by_order``: the winner is each trajectory's drawing-order cluster (``batch.orders``, :mod:`.orders`)."""
        paired = self.config.paired
        raw, images, logits = self.drawn(batch.images, batch.labels)
        count = 1 if logits is None else logits.shape[1]
        targets = batch.targets if count == 1 else batch.targets.repeat_interleave(count, dim=0)
        weights = {"point": paired.point_weight, "dtw": paired.dtw_weight, "pen": paired.pen_weight,
                   "paired_recon": paired.recon_weight}
        errors = {}   # name -> (B, K) per sample and proposal
        if paired.point_weight:
            errors["point"] = point_errors(raw, targets)
        if paired.dtw_weight:
            errors["dtw"] = soft_dtw_divergences(raw, targets, paired.dtw_gamma)
        if paired.pen_weight or paired.recon_weight:
            segments = self.rasteriser.segments(raw)
            if paired.pen_weight:
                errors["pen"] = pen_errors(segments, targets)
            if paired.recon_weight:
                errors["paired_recon"] = reconstruction_errors(
                    composite(segments, self.config.model.compositing), images)
        errors = {name: value.view(-1, count) for name, value in errors.items()}
        total = sum(weights[name] * value for name, value in errors.items())
        if logits is None:
            terms = {name: value.mean() for name, value in errors.items()}
            loss = total.mean()
        else:
            winner = batch.orders[:, None] if by_order else total.detach().argmin(dim=1, keepdim=True)
            terms = {name: value.gather(1, winner).mean() for name, value in errors.items()}
            terms["odds"] = nn.functional.cross_entropy(logits, winner[:, 0])
            loss = (1 - paired.share) * total.gather(1, winner).mean() + paired.share * total.mean() \
                + paired.odds_weight * terms["odds"]
        self._update(loss)
        return {name: float(value.detach()) for name, value in terms.items()}

    def _update(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer | None = None) -> None:
        if not torch.isfinite(loss):
            raise UserError(f"training diverged (loss = {float(loss)})", "lower 'lr' or check the config", "lr")
        optimizer = optimizer or self.optimizer
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    @torch.no_grad()
    def evaluate(self, digits: Digits) -> float:
        """Mean reconstruction MSE over ``digits`` (eval mode, float32 rendering)."""
        self.model.eval()
        total = 0.0
        for start in range(0, len(digits), EVAL_BATCH):
            images = digits.images[start:start + EVAL_BATCH]
            with self.autocast():
                raw = self.model(images, digits.labels[start:start + EVAL_BATCH])
            total += float(reconstruction_loss(self.render(raw), images)) * len(images)
        self.model.train()
        return total / max(len(digits), 1)


def distributed() -> tuple[int, int]:
    """(rank, world size) from torchrun's environment, initialising the process group once."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world


class RunLog:
    """JSONL lines (always) and TensorBoard scalars (when installed) on rank 0."""

    def __init__(self, out_dir: Path, enabled: bool, tensorboard: bool, keep: int | None = None):
        """``keep``: bytes of an earlier log to keep (a resume drops what was logged after its checkpoint)."""
        self.enabled = enabled
        if enabled and keep is not None and (out_dir / LOG_FILE).is_file():
            os.truncate(out_dir / LOG_FILE, keep)
        self.file = open(out_dir / LOG_FILE, "a") if enabled else None
        self.writer = None
        if enabled and tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:   # optional extra: mnist-handwriting[tensorboard]
                pass
            else:
                self.writer = SummaryWriter(str(out_dir / "tensorboard"))

    def write(self, record: dict) -> None:
        if not self.enabled:
            return
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()
        if self.writer:
            for key, value in record.items():
                if key not in ("step", "phase", "epoch") and isinstance(value, float):
                    self.writer.add_scalar(f"{record['phase']}/{key}", value, record["step"])

    def image(self, tag: str, grid, step: int) -> None:
        if self.writer:
            self.writer.add_image(tag, grid, step, dataformats="HW")

    def close(self) -> None:
        if self.file:
            self.file.close()
        if self.writer:
            self.writer.close()


def init_from(model: PointModel, name_or_path: str) -> None:
    """Copy the weights of a trained model into ``model`` (same kind and sizes; the number of points may differ)."""
    from ..models.registry import load_model

    source = load_model(name_or_path)
    mine, theirs = model.state_dict(), source.state_dict()
    # A proposals model may start from the ensemble it extends: each of its K ensembles starts as that one, its
    # odds head keeps its initialisation.
    extends = model.config.kind == "proposals" and source.config.kind == "ensemble"
    if extends:
        theirs = {f"drawers.{k}.{name}": value for k in range(model.config.proposals) for name, value in theirs.items()}
    if not (set(theirs) <= set(mine) if extends else set(theirs) == set(mine)) \
            or any(mine[k].shape != theirs[k].shape for k in theirs):
        raise UserError(f"init_model {name_or_path!r} has another architecture ({source.config})",
                        "use weights with the same model kind, hidden size, layers and activation "
                        "(or an ensemble's for a proposals model)")
    model.load_state_dict(theirs, strict=not extends)


@dataclass
class Run:
    """One training run between its phases: what :func:`_set_up` builds and every phase reads."""

    config: configs.TrainConfig
    out_dir: Path
    trainer: Trainer
    log: RunLog
    seed: int
    rank: int
    world: int
    command: str
    train_set: Digits
    test_set: Digits | None               # None when ``eval_digits`` is 0
    human: HumanSamples | None            # None without human-sample steps
    paired: PairedHuman | None            # None without paired steps
    validation: DigitSet | None           # the held-out training writers' paired digits
    step: int                             # reconstruction steps done
    pretrained: int                       # human pre-training steps done
    per_epoch: int                        # reconstruction steps per epoch
    total: int                            # reconstruction steps of the whole run
    started: float                        # time.perf_counter() at the start, less the seconds of earlier sessions

    @property
    def quiet(self) -> bool | None:
        """tqdm's ``disable``: bars on rank 0 (when a terminal), never on the others."""
        return None if self.rank == 0 else True

    @property
    def paired_first(self) -> int:
        """Paired pre-training steps, the first indices of the paired batch stream."""
        return self.config.paired.pretrain_steps if self.paired is not None else 0

    def paired_step(self, index: int) -> dict[str, float]:
        """Paired step ``index`` (:meth:`paired_batch`), its winners by drawing order for the first ``paired.order_steps``."""
        return self.trainer.paired_step(self.paired_batch(index), index < self.config.paired.order_steps)

    def paired_batch(self, index: int) -> PairedHuman:
        """Paired step ``index``'s batch: its own permutation stream (seed + 1), a pure function of ``index``,
        so resumes replay it."""
        indices = batch_indices(index, len(self.paired), self.config.paired.batch, self.seed + 1, self.rank, self.world)
        return self.paired.take(indices.to(self.trainer.device))

    def seconds(self) -> float:
        """Seconds trained, over the whole run across resumes."""
        return time.perf_counter() - self.started


def train(config: configs.TrainConfig, out_dir: str | Path, *, device="cpu", seed: int = 0,
          locations=None, resume: bool = False, command: str = "", tensorboard: bool = True) -> dict:
    """Run (or with ``resume``, continue) a training run writing into ``out_dir``; return its summary.

    ``locations``: where the data and the cache are (a :class:`mnist_handwriting.data.datasets.Locations`;
    default: the usual folders).

    ``out_dir`` receives ``config.json``, ``log.jsonl``, ``checkpoint.safetensors`` (every
    epoch and at the end), ``model.safetensors`` (+ ``.json``) and ``samples.png``.
    """
    run = _set_up(config, Path(out_dir), torch.device(device), seed, locations, resume, command, tensorboard)
    try:
        _human_pretraining(run)
        _paired_pretraining(run)
        _epochs(run)
        summary = {"steps": run.total, "steps_per_epoch": run.per_epoch, "train_seconds": round(run.seconds(), 1),
                   "completed_epochs": round(run.total / run.per_epoch, 3), "world_size": run.world}
        if run.rank == 0:
            summary.update(_finish(run, summary))
    finally:
        run.log.close()
    if run.world > 1:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return summary


def _set_up(config: configs.TrainConfig, out_dir: Path, device: torch.device, seed: int, locations, resume: bool,
            command: str, tensorboard: bool) -> Run:
    """Processes, the config (the checkpoint's on a resume, written to ``config.json``), model, data, log."""
    rank, world = distributed()
    if world > 1 and device.type == "cuda":   # torchrun: one GPU per process
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)))
        torch.cuda.set_device(device)
    for key, size in (("batch_size", config.batch_size), ("paired.batch", config.paired.batch)):
        if size % world:
            raise UserError(f"{key} {size} is not divisible by {world} processes",
                            f"choose a {key} that is a multiple of the process count")
    tensors, saved = _resume_point(out_dir) if resume else (None, None)
    if saved is not None:
        config = _resumed_config(saved["config"], config)
    config.validate()
    if rank == 0:
        _write_config(out_dir, config, seed, command)
    torch.manual_seed(seed)
    model = build_model(config.model).to(device)
    if config.init_model and tensors is None:
        init_from(model, config.init_model)
    wrapped = model
    if world > 1:
        wrapped = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    trainer = Trainer(config, model, device, wrapped)
    train_set, test_set, human = _load_sets(config, device, locations)
    paired, validation = load_paired(config, device, locations, seed) if config.paired.batch else (None, None)
    step, pretrained, earlier = 0, 0, 0.0
    if tensors is not None:
        restore(tensors, model, trainer.optimizers, out_dir)
        step, pretrained, earlier = saved["step"], saved["pretrained"], saved["seconds"]
    per_epoch = steps_per_epoch(len(train_set), config.batch_size)
    total = config.epochs * per_epoch
    if config.max_steps:
        total = min(total, config.max_steps)
    log = RunLog(out_dir, rank == 0, tensorboard, saved["log_bytes"] if saved else None)
    started = time.perf_counter() - earlier   # seconds count the whole run across resumes
    model.train()
    return Run(config, out_dir, trainer, log, seed, rank, world, command, train_set, test_set, human, paired,
               validation, step, pretrained, per_epoch, total, started)


def _resume_point(out_dir: Path) -> tuple[dict | None, dict]:
    """The checkpoint's ``(tensors, info)``; for a run stopped before its first checkpoint, ``(None, info)``
    with its saved config and nothing done, so it starts again as it was started."""
    if (out_dir / CHECKPOINT).is_file() or not (out_dir / CONFIG_FILE).is_file():
        return load_checkpoint(out_dir)
    try:
        config = json.loads((out_dir / CONFIG_FILE).read_text())["config"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(f"{out_dir / CONFIG_FILE} is unreadable ({error})", "start a new run") from None
    return None, {"config": config, "step": 0, "pretrained": 0, "seconds": 0.0, "log_bytes": 0}


def _resumed_config(saved: dict, config: configs.TrainConfig) -> configs.TrainConfig:
    """The checkpoint's config, with the fields a resume may change (``RESUME_MAY_CHANGE``) from ``config``."""
    resumed = configs.from_dict(saved)
    for name in configs.RESUME_MAY_CHANGE:   # e.g. the schedule may be extended
        setattr(resumed, name, getattr(config, name))
    return resumed


def _write_config(out_dir: Path, config: configs.TrainConfig, seed: int, command: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_write(out_dir / CONFIG_FILE) as temp:
        temp.write_text(json.dumps({"config": configs.to_dict(config), "seed": seed, "command": command},
                                   indent=2) + "\n")


def _load_sets(config: configs.TrainConfig, device, locations):
    from ..data.datasets import load

    train = Digits.from_set(load("mnist-train", locations), device, config.subset)
    test = Digits.from_set(load("mnist-test", locations), device, config.eval_digits) if config.eval_digits else None
    human = None
    if config.human.pretrain_steps or config.human.every:
        human = HumanSamples.from_set(load("human-samples", locations), config.model.points, device)
    return train, test, human


def _human_pretraining(run: Run) -> None:
    """``human.pretrain_steps`` supervised steps on the human samples (on a resume, those not done yet)."""
    steps = run.config.human.pretrain_steps if run.human is not None else 0
    for index in tqdm(range(run.pretrained, steps), initial=run.pretrained, total=run.config.human.pretrain_steps,
                      desc="human pre-training", disable=run.quiet, leave=False):
        run.log.write({"phase": "pretrain", "step": index, "human": run.trainer.human_step(run.human)})
    run.pretrained = steps


def _paired_pretraining(run: Run) -> None:
    """``paired.pretrain_steps`` paired steps before the first reconstruction step (resumed runs are past them)."""
    if run.step:
        return
    for index in tqdm(range(run.paired_first), desc="paired pre-training", disable=run.quiet, leave=False):
        run.log.write({"phase": "paired-pretrain", "step": index, **run.paired_step(index)})


def _epochs(run: Run) -> None:
    """The reconstruction steps up to ``run.total``, with a log line every ``log_every`` and a checkpoint
    every epoch and at the end."""
    running: dict[str, float] = {}
    bar = tqdm(range(run.step, run.total), initial=run.step, total=run.total, desc="training", disable=run.quiet)
    for step in bar:
        terms = _training_step(run, step)
        for key, value in terms.items():   # running mean shown on the bar, reset at each log line
            running[key] = running.get(key, 0.0) + value
        running["n"] = running.get("n", 0) + 1
        run.step = step + 1
        if run.step % run.config.log_every == 0 or run.step == run.total:
            means = {key: value / running["n"] for key, value in running.items() if key != "n"}
            bar.set_postfix({key: f"{value:.4f}" for key, value in means.items()})
            run.log.write({"phase": "train", "step": run.step, "epoch": run.step / run.per_epoch, **means,
                           "seconds": run.seconds()})
            running = {}
        if run.rank == 0 and (run.step % run.per_epoch == 0 or run.step == run.total):
            save_checkpoint(run.out_dir, run.trainer.model, run.trainer.optimizers, step=run.step,
                            pretrained=run.pretrained, seconds=run.seconds(), config=configs.to_dict(run.config),
                            log_bytes=run.log.file.tell())


def _training_step(run: Run, step: int) -> dict[str, float]:
    """Reconstruction step ``step``, then a human-sample and a paired step when they are due; the loss terms."""
    config, trainer = run.config, run.trainer
    indices = batch_indices(step, len(run.train_set), config.batch_size, run.seed, run.rank, run.world,
                            config.reshuffle).to(trainer.device)
    terms = trainer.reconstruction_step(run.train_set.images[indices], run.train_set.labels[indices])
    if run.human is not None and config.human.every and (step + 1) % config.human.every == 0:
        terms["human"] = trainer.human_step(run.human)
    if run.paired is not None and (step + 1) % config.paired.every == 0:
        terms.update(run.paired_step(run.paired_first + step // config.paired.every))
    return terms


def _finish(run: Run, summary: dict) -> dict:
    """Evaluate, write the model with its metrics and the sample PNG; return the metrics."""
    trainer, log, step, validation = run.trainer, run.log, run.total, run.validation
    eval_set = run.test_set or run.train_set
    metrics = dict(summary)
    dtype = getattr(torch, trainer.config.save_dtype)
    if dtype != torch.float32:   # evaluate the weights as they will be stored
        with torch.no_grad():
            for parameter in trainer.model.parameters():
                parameter.copy_(as_stored(parameter, dtype))
    if run.test_set is not None:
        metrics["test_mse"] = trainer.evaluate(eval_set)
        metrics["test_digits"] = len(eval_set)
        log.write({"phase": "eval", "step": step, "test_mse": metrics["test_mse"]})
    if validation is not None and len(validation):   # held-out training writers, never the dev writers
        metrics["paired_validation"] = human_validation(trainer.model, validation, trainer.device)
        metrics["paired_validation_digits"] = len(validation)
        if trainer.proposing:
            metrics["paired_validation_proposals"] = proposal_validation(trainer.model, validation, trainer.device)
        log.write({"phase": "eval", "step": step, **{f"val_{k}": v for k, v in metrics["paired_validation"].items()}})
    save_model(trainer.model, run.out_dir / MODEL_FILE, metrics=metrics, command=run.command, dtype=dtype,
               train=configs.to_dict(trainer.config), machine=describe_machine(trainer.device))
    sample = Digits(eval_set.images[:SAMPLE_DIGITS], eval_set.labels[:SAMPLE_DIGITS])
    trainer.model.eval()
    with torch.no_grad():
        rendered = trainer.render(trainer.model(sample.images, sample.labels))
    trainer.model.train()
    save_reconstructions(run.out_dir / SAMPLES_FILE, sample.images, rendered)
    log.image("samples", reconstruction_grid(sample.images, rendered), step)
    return {key: value for key, value in metrics.items()
            if key in ("test_mse", "test_digits", "paired_validation", "paired_validation_digits",
                       "paired_validation_proposals")}


__all__ = ["Trainer", "train", "MODEL_FILE", "CONFIG_FILE", "LOG_FILE", "SAMPLES_FILE"]
