"""Strict reading of our safetensors weight files, shared by every model loader.

A weights file either loads exactly (every tensor present, no extra ones, the right
shapes, finite values) or raises a ``UserError`` naming the file, what is wrong and the fix:
a half-loaded model would silently draw nonsense.
"""

from __future__ import annotations

import os

import torch

from .errors import UserError


def read_weights(path: str | os.PathLike, what: str, fix: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The tensors and the metadata of the safetensors file at ``path`` (``what`` names it in errors)."""
    from safetensors import SafetensorError
    from safetensors.torch import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:   # one open for tensors and metadata
            return {name: handle.get_tensor(name) for name in handle.keys()}, handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        raise UserError(f"cannot read {what} {path}: not a readable safetensors file ({error})", fix) from None


def check_tensors(tensors: dict[str, torch.Tensor], module: torch.nn.Module, path: str | os.PathLike, what: str,
                  fix: str) -> dict[str, torch.Tensor]:
    """Check ``tensors`` against ``module``'s state dict; return them as float32 ready for ``load_state_dict``."""
    expected = module.state_dict()
    missing, extra = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
    if missing or extra:
        raise UserError(f"{what} {path} do not match the model: missing {missing}, unexpected {extra}", fix)
    for name, value in tensors.items():
        if value.shape != expected[name].shape:
            raise UserError(f"{what} {path}: {name} has shape {tuple(value.shape)}, "
                            f"expected {tuple(expected[name].shape)}", fix)
        if not bool(torch.isfinite(value).all()):
            raise UserError(f"{what} {path}: {name} contains NaN or infinite values", fix)
    return {name: value.float() for name, value in tensors.items()}
