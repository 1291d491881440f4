"""Shipped model names -> weights, and saving/loading handwriting models.

A model's weights file describes itself in the one metadata scheme of
:mod:`mnist_handwriting.safeweights`: ``config`` is the :class:`ModelConfig`, ``train`` the training
configuration, ``metrics`` what training measured, ``command`` the producing command; the ``.json``
side file repeats it.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import torch

from ..errors import UserError
from ..paths import WEIGHTS_DIR
from ..safeweights import build_checked, read_description, read_weights, save_weights, weights_kind
from . import build_model
from .handwriting_lstm import ModelConfig, PointModel

DEFAULT_MODEL = "human-best"
"""Name of the shipped model used when none is given."""

KIND = "model"


def shipped_models() -> list[str]:
    """Names of the models shipped in ``mnist_handwriting/weights/`` (handwriting models only)."""
    return [path.stem for path in sorted(WEIGHTS_DIR.glob("*.safetensors")) if weights_kind(path) == KIND]


def save_model(model: PointModel, path: str | os.PathLike, *, metrics: dict, command: str,
               dtype: torch.dtype = torch.float32, train: dict | None = None, machine: str | None = None) -> None:
    """Write ``model`` to ``path`` (.safetensors, atomically) and a ``.json`` side file with the same description.

    ``dtype=torch.float16`` halves the file (shipped weights); loading always gives float32.
    ``train``: the training configuration; ``machine``: what the metrics were measured on
    (default: this machine's CPU).
    """
    save_weights(path, model.state_dict(), kind=KIND, config=dataclasses.asdict(model.config), metrics=metrics,
                 command=command, train=train, machine=machine, dtype=dtype)


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


def read_config(path: Path, config: dict, fix: str) -> ModelConfig:
    """The ModelConfig stored in a weights file's metadata, strictly."""
    try:
        # validate() inside: a field of the wrong type ("hidden": "64") fails there with a TypeError.
        return ModelConfig(**config).validate()
    except TypeError as error:
        raise UserError(f"{path} has an unreadable model config ({error})", fix) from None


def load_model(name_or_path: str | os.PathLike, device: str | torch.device = "cpu") -> PointModel:
    """Load a shipped model by name, or a weights file by path, in eval mode on ``device``.

    Strict: not a safetensors file, missing or extra keys, wrong shapes and NaN/inf
    weights are UserErrors naming the file.
    """
    path = resolve(name_or_path)
    fix = "pass a file written by `mnist-handwriting train`, or reinstall the package for a shipped one"
    tensors, info = read_weights(path, KIND, fix)
    config = read_config(path, info["config"], fix)
    return build_checked(lambda: build_model(config), tensors, path, "model weights", fix).to(device).eval()


def load_description(path: str | os.PathLike) -> dict:
    """The config/train/metrics/command/date/machine stored with a weights file (JSON values decoded)."""
    return read_description(resolve(path))


__all__ = ["DEFAULT_MODEL", "load_description", "load_model", "save_model", "shipped_models"]
