"""Our weights files: one way to write them, one strict way to read them, for every artefact.

Every ``.safetensors`` file we ship or train (handwriting models, the classifier, the
learned line model) carries the same metadata, each value a string:

============  ======  ==========================================================================
key           value   meaning
============  ======  ==========================================================================
``format``    text    ``mnist-handwriting-<kind>/1``: which loader reads it (:data:`KINDS`)
``config``    JSON    what the loader needs to rebuild the network (an object)
``train``     JSON    how it was trained (an object; ``{}`` when the config says it all)
``metrics``   JSON    what was measured after training (an object)
``command``   text    the command that produced the file
``date``      text    when, ISO 8601 in UTC
``machine``   text    what it was trained and measured on (:func:`describe_machine`)
============  ======  ==========================================================================

A ``.json`` side file next to the weights repeats the same description (JSON values
decoded) for people and tools that cannot read safetensors. Handwriting models written
before this scheme differ only in lacking ``train`` and ``machine``, and load as they are.

Tensors are stored as float32, float16 or, for the largest models, int8 (:func:`stored_tensors`):
every matrix as int8 with one float32 scale per row (``NAME`` and ``NAME:int8-scale``, the
row's largest magnitude / 127), every vector as float16. Reading restores float32.

Reading is strict: a weights file either loads exactly (the right kind, every tensor
present, no extra ones, the right shapes, finite values) or raises a ``UserError`` naming
the file, what is wrong and the fix: a half-loaded model would silently draw nonsense. The
tensors are checked against the config stored with them before the network is allocated
(:func:`build_checked`), and a weight matrix of zeros is refused.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
from pathlib import Path

import torch

from .errors import UserError
from .paths import atomic_write, require_file

KINDS = {"model": ("model", "mnist-handwriting model"), "classifier": ("classifier", "legibility classifier"),
         "line-model": ("line model", "line model"), "reader": ("reader", "number reader"),
         "synthesis": ("synthesis model", "handwriting synthesis model")}
"""Kind of artefact -> how errors name it: short (``classifier weights``) and in full (``not a legibility classifier``)."""
JSON_KEYS = ("config", "train", "metrics")
TEXT_KEYS = ("format", "command", "date", "machine")


INT8_SCALE = ":int8-scale"
"""Suffix of the per-row scale tensor stored next to an int8 matrix."""


def stored_tensors(tensors: dict[str, torch.Tensor], dtype: torch.dtype | None) -> dict[str, torch.Tensor]:
    """``tensors`` as they are written for a storage ``dtype`` (None: each tensor's own; see the module docstring)."""
    stored = {}
    for name, value in tensors.items():
        value = value.detach().to("cpu")
        if dtype == torch.int8 and value.is_floating_point():
            if value.dim() >= 2:
                rows = value.float().reshape(value.shape[0], -1)
                scale = rows.abs().amax(dim=1).clamp_min(torch.finfo(torch.float32).tiny) / 127
                stored[name] = torch.round(rows / scale[:, None]).to(torch.int8).reshape(value.shape)
                stored[name + INT8_SCALE] = scale
            else:
                stored[name] = value.to(torch.float16)
        else:
            stored[name] = value.to(dtype or value.dtype)
    return {name: value.contiguous() for name, value in stored.items()}


def restored_tensors(stored: dict[str, torch.Tensor], path: str | os.PathLike, fix: str) -> dict[str, torch.Tensor]:
    """The inverse of :func:`stored_tensors`: int8 matrices times their row scales, as float32."""
    tensors = {}
    for name, value in stored.items():
        if name.endswith(INT8_SCALE):
            if name[:-len(INT8_SCALE)] not in stored:
                raise UserError(f"{path}: scale {name} has no int8 matrix", fix)
            continue
        if value.dtype == torch.int8:
            scale = stored.get(name + INT8_SCALE)
            if scale is None or value.dim() < 2 or scale.shape != (value.shape[0],):
                raise UserError(f"{path}: int8 tensor {name} has no per-row scale {name + INT8_SCALE}", fix)
            value = (value.float().reshape(value.shape[0], -1) * scale.float()[:, None]).reshape(value.shape)
        tensors[name] = value
    return tensors


def as_stored(value: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``value`` (float) as it reads back after being stored as ``dtype``: evaluate what will ship."""
    stored = stored_tensors({"value": value}, dtype)
    return restored_tensors(stored, "value", "").get("value").to(value.device, value.dtype)


def format_tag(kind: str) -> str:
    """The ``format`` metadata of a ``kind`` of artefact: ``mnist-handwriting-model/1``, ..."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(KINDS)}")
    return f"mnist-handwriting-{kind}/1"


def describe_machine(device: str | torch.device = "cpu") -> str:
    """One line naming the hardware and software a number was measured on.

    ``AMD EPYC 7B13 x2 cores (Linux x86_64), python 3.11.2, torch 2.13.0+cpu, 1 threads`` and, for a
    CUDA ``device``, its name at the end.
    """
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    line = (f"{cpu} x{os.cpu_count()} cores ({platform.system()} {platform.machine()}), "
            f"python {platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    device = torch.device(device)
    if device.type == "cuda":
        line += f", {torch.cuda.get_device_name(device)}"
    return line


def describe(kind: str, *, config: dict, metrics: dict, command: str, train: dict | None = None,
             machine: str | None = None) -> dict:
    """The self-description stored with a weights file (see the module docstring), JSON values decoded."""
    return {"format": format_tag(kind), "config": config, "train": train or {}, "metrics": metrics,
            "command": command, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": machine if machine is not None else describe_machine()}


def save_weights(path: str | os.PathLike, tensors: dict[str, torch.Tensor], *, kind: str, config: dict,
                 metrics: dict, command: str, train: dict | None = None, machine: str | None = None,
                 dtype: torch.dtype | None = None, description: dict | None = None) -> Path:
    """Write ``tensors`` to ``path`` (.safetensors) and the ``.json`` side file, both atomically.

    ``dtype``: the storage type (``torch.float16`` halves a file, ``torch.int8`` quarters its
    matrices; loading gives float32); ``None`` keeps each tensor's own. ``description``: a complete description to store as it
    is (``scripts/rewrite_weights.py``) instead of building one from the other arguments.
    Returns ``path``.
    """
    from safetensors.torch import save_file

    path = Path(path)
    info = description or describe(kind, config=config, metrics=metrics, command=command, train=train,
                                   machine=machine)
    metadata = {key: json.dumps(value) if key in JSON_KEYS else str(value) for key, value in info.items()}
    stored = stored_tensors(tensors, dtype)
    with atomic_write(path) as temp:
        save_file(stored, str(temp), metadata=metadata)
    with atomic_write(path.with_suffix(".json")) as temp:
        temp.write_text(json.dumps(info, indent=2) + "\n")
    return path


def _decode(path: Path, metadata: dict[str, str], noun: str, fix: str) -> dict:
    info = {}
    for key, value in metadata.items():
        if key in JSON_KEYS:
            try:
                info[key] = json.loads(value)
            except json.JSONDecodeError as error:
                raise UserError(f"{path} has an unreadable {noun} {key} ({error})", fix) from None
            if not isinstance(info[key], dict):
                raise UserError(f"{path} has an unreadable {noun} {key} (not a JSON object)", fix)
        else:
            info[key] = value
    return info


def read_weights(path: str | os.PathLike, kind: str, fix: str) -> tuple[dict[str, torch.Tensor], dict]:
    """The tensors and the decoded description of the weights file of ``kind`` at ``path``.

    A missing or unreadable file, a file of another kind and unreadable ``config`` /
    ``train`` / ``metrics`` metadata are ``UserError`` with ``fix`` (check the tensors with
    :func:`build_checked`, which builds the network).
    """
    from safetensors import SafetensorError
    from safetensors.torch import safe_open

    tag, (noun, what) = format_tag(kind), KINDS[kind]
    path = require_file(path, f"{noun} weights", fix)
    try:
        with safe_open(str(path), framework="pt") as handle:   # one open for tensors and metadata
            tensors, metadata = {name: handle.get_tensor(name) for name in handle.keys()}, handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        raise UserError(f"cannot read {noun} weights {path}: not a readable safetensors file ({error})", fix) from None
    if metadata.get("format") != tag:
        raise UserError(f"{path} is not a {what} (format {metadata.get('format')!r}, expected {tag!r})", fix)
    info = _decode(path, metadata, noun, fix)
    if "config" not in info:
        raise UserError(f"{path} has an unreadable {noun} config (none stored)", fix)
    return restored_tensors(tensors, path, fix), info


def read_description(path: str | os.PathLike) -> dict:
    """The decoded description of any of our weights files (no tensors read, kind not checked)."""
    from safetensors.torch import safe_open

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
    return _decode(Path(path), metadata, "weights", "rewrite the file with save_weights")


def weights_kind(path: str | os.PathLike) -> str | None:
    """The kind of our weights file at ``path`` (``"model"``, ...), or None for anything else."""
    from safetensors import SafetensorError
    from safetensors.torch import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            tag = (handle.metadata() or {}).get("format")
    except (SafetensorError, OSError, ValueError):
        return None
    return next((kind for kind in KINDS if format_tag(kind) == tag), None)


def check_tensors(tensors: dict[str, torch.Tensor], module: torch.nn.Module, path: str | os.PathLike, what: str,
                  fix: str) -> dict[str, torch.Tensor]:
    """Check ``tensors`` against ``module``'s state dict; return them as float32 ready for ``load_state_dict``.

    Names and shapes must be the module's (built from the config stored with the tensors), values
    finite, and no weight matrix all zeros: a trained network never has one, a blanked file does.
    """
    expected = module.state_dict()
    missing, extra = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
    if missing or extra:
        raise UserError(f"{what} {path} do not match the config stored with them (tensors renamed, or of another "
                        f"model): missing {missing}, unexpected {extra}", fix)
    for name, value in tensors.items():
        if value.shape != expected[name].shape:
            raise UserError(f"{what} {path}: {name} has shape {tuple(value.shape)}, but the config stored with them "
                            f"builds {tuple(expected[name].shape)}", fix)
        if not bool(torch.isfinite(value).all()):
            raise UserError(f"{what} {path}: {name} contains NaN or infinite values", fix)
        if value.ndim >= 2 and not bool(value.any()):
            raise UserError(f"{what} {path}: {name} is all zeros, which no trained network has", fix)
    return {name: value.float() for name, value in tensors.items()}


def build_checked(build, tensors: dict[str, torch.Tensor], path: str | os.PathLike, what: str,
                  fix: str) -> torch.nn.Module:
    """``build()`` (a network from a stored config) with ``tensors`` loaded after :func:`check_tensors`.

    The check runs against a copy built on the meta device, without memory, so a config that
    disagrees with the tensors (say ``hidden = 10**6``) is refused before anything is allocated.
    """
    with torch.device("meta"):
        skeleton = build()
    checked = check_tensors(tensors, skeleton, path, what, fix)
    module = build()
    module.load_state_dict(checked, strict=True)
    return module
