"""Shipped model names -> weights, and strict safetensors saving/loading.

A weights file carries its own description in the safetensors metadata: ``config`` (the
:class:`ModelConfig` as JSON), ``metrics`` (JSON), ``command`` (the producing command) and
``date``; a ``.json`` sidecar repeats them for people and tools that cannot read safetensors.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import safe_open, save_file

from ..errors import UserError
from ..paths import WEIGHTS_DIR, atomic_write
from ..safeweights import check_tensors, read_weights
from . import build_model
from .handwriting_lstm import ModelConfig, PointModel

DEFAULT_MODEL = "human-best"
"""Name of the shipped model used when none is given."""

FORMAT = "mnist-handwriting-model/1"


def shipped_models() -> list[str]:
    """Names of the models shipped in ``mnist_handwriting/weights/`` (handwriting models only)."""
    names = []
    for path in sorted(WEIGHTS_DIR.glob("*.safetensors")):
        try:
            with safe_open(str(path), framework="pt") as handle:
                if (handle.metadata() or {}).get("format") == FORMAT:
                    names.append(path.stem)
        except (SafetensorError, OSError):
            continue
    return names


def describe(model: PointModel, *, metrics: dict, command: str) -> dict:
    """The self-description stored with a model: format, config, metrics, command, date."""
    return {"format": FORMAT, "config": dataclasses.asdict(model.config), "metrics": metrics,
            "command": command, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def save_model(model: PointModel, path: str | os.PathLike, *, metrics: dict, command: str,
               dtype: torch.dtype = torch.float32) -> None:
    """Write ``model`` to ``path`` (.safetensors, atomically) and a ``.json`` sidecar with the same description.

    ``dtype=torch.float16`` halves the file (shipped weights); loading always gives float32.
    """
    path = Path(path)
    info = describe(model, metrics=metrics, command=command)
    tensors = {name: value.detach().to("cpu", dtype).contiguous() for name, value in model.state_dict().items()}
    metadata = {key: value if isinstance(value, str) else json.dumps(value) for key, value in info.items()}
    with atomic_write(path) as temp:
        save_file(tensors, str(temp), metadata=metadata)
    with atomic_write(path.with_suffix(".json")) as temp:
        temp.write_text(json.dumps(info, indent=2) + "\n")


def resolve(name_or_path: str | os.PathLike) -> Path:
    """A shipped model name or a path -> the weights file, or a UserError listing the names."""
    text = str(name_or_path)
    path = Path(text).expanduser()
    if path.suffix == ".safetensors" or os.sep in text or path.exists():
        if not path.is_file():
            raise UserError(f"model file not found: {path}", "check the path, or pass a shipped model name")
        return path
    shipped = WEIGHTS_DIR / f"{text}.safetensors"
    if text in shipped_models():
        return shipped
    raise UserError(f"unknown model {text!r}",
                    f"use one of: {', '.join(shipped_models()) or '(none shipped)'}, or a path to a .safetensors file")


def read_config(path: Path, metadata: dict) -> ModelConfig:
    """The ModelConfig stored in a weights file's metadata, strictly."""
    if metadata.get("format") != FORMAT or "config" not in metadata:
        raise UserError(f"{path} is not a mnist-handwriting model (no '{FORMAT}' metadata)",
                        "pass a file written by `mnist-handwriting train`")
    try:
        # validate() inside: a field of the wrong type ("hidden": "64") fails there with a TypeError.
        return ModelConfig(**json.loads(metadata["config"])).validate()
    except (json.JSONDecodeError, TypeError) as error:
        raise UserError(f"{path} has an unreadable model config ({error})", "re-export the model") from None


def load_model(name_or_path: str | os.PathLike, device: str | torch.device = "cpu") -> PointModel:
    """Load a shipped model by name, or a weights file by path, in eval mode on ``device``.

    Strict: not a safetensors file, missing or extra keys, wrong shapes and NaN/inf
    weights are UserErrors naming the file.
    """
    path = resolve(name_or_path)
    fix = "re-train the model with `mnist-handwriting train`, or reinstall the package for a shipped one"
    tensors, metadata = read_weights(path, "model weights", fix)
    model = build_model(read_config(path, metadata))
    model.load_state_dict(check_tensors(tensors, model, path, "model weights", fix), strict=True)
    return model.to(device).eval()


def load_description(path: str | os.PathLike) -> dict:
    """The metrics/command/date/config stored with a weights file (decoded JSON values)."""
    with safe_open(str(resolve(path)), framework="pt") as handle:
        metadata = handle.metadata() or {}
    decoded = {}
    for key, value in metadata.items():
        try:
            decoded[key] = json.loads(value)
        except json.JSONDecodeError:
            decoded[key] = value
    return decoded


__all__ = ["DEFAULT_MODEL", "load_description", "load_model", "save_model", "shipped_models"]
