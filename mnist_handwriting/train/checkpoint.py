"""Training checkpoints in safetensors: model, Adam state, step and RNG state, for bit-exact resume."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, safe_open, save_file

from ..errors import UserError
from ..paths import atomic_write

CHECKPOINT = "checkpoint.safetensors"
ADAM_STATE = ("step", "exp_avg", "exp_avg_sq")


def save_checkpoint(out_dir: Path, model: torch.nn.Module, optimizers: dict[str, torch.optim.Optimizer], *,
                    step: int, pretrained: int, seconds: float, config: dict, log_bytes: int = 0) -> Path:
    """Write ``out_dir/checkpoint.safetensors`` atomically; return its path.

    ``optimizers``: tensor-name prefix -> Adam optimiser (``"optim"`` for the main one);
    ``log_bytes``: the length of the run's log so far, which a resume cuts it back to.
    """
    tensors = {f"model.{name}": value.detach().cpu().contiguous() for name, value in model.state_dict().items()}
    for prefix, optimizer in optimizers.items():
        for index, state in optimizer.state_dict()["state"].items():
            for key in ADAM_STATE:
                tensors[f"{prefix}.{index}.{key}"] = torch.as_tensor(state[key]).detach().cpu().reshape(-1).contiguous()
    tensors["rng.cpu"] = torch.get_rng_state()
    device = next(model.parameters()).device
    if device.type == "cuda":   # dropout on the GPU draws from the device's generator
        tensors["rng.cuda"] = torch.cuda.get_rng_state(device)
    metadata = {"step": str(step), "pretrained": str(pretrained), "seconds": repr(seconds), "config": json.dumps(config),
                "log_bytes": str(log_bytes)}
    path = out_dir / CHECKPOINT
    with atomic_write(path) as temp:
        save_file(tensors, str(temp), metadata=metadata)
    return path


def load_checkpoint(run_dir: Path) -> tuple[dict, dict]:
    """``run_dir/checkpoint.safetensors`` -> (tensors, info: step, pretrained, seconds trained so far, config dict,
    log_bytes: the log's length then, or None for checkpoints that did not record it)."""
    path = Path(run_dir) / CHECKPOINT
    if not path.is_file():
        raise UserError(f"no checkpoint in {run_dir} ({CHECKPOINT} missing)", "pass as 'resume' the folder of an earlier train run",
                        "resume")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = dict(handle.metadata() or {})
        tensors = load_file(str(path))
        info = {"step": int(metadata["step"]), "pretrained": int(metadata["pretrained"]),
                "seconds": float(metadata.get("seconds", 0.0)), "config": json.loads(metadata["config"]),
                "log_bytes": int(metadata["log_bytes"]) if "log_bytes" in metadata else None}
    except (SafetensorError, OSError, KeyError, ValueError) as error:
        raise UserError(f"{path} is not a readable training checkpoint ({error})", "start a new run") from None
    return tensors, info


def restore(tensors: dict, model: torch.nn.Module, optimizers: dict[str, torch.optim.Optimizer], path: Path) -> None:
    """Load model weights, the Adam states (prefix -> optimiser, as saved) and the RNG states (CPU, and CUDA
    when saved on CUDA) from ``tensors``."""
    weights = {name[len("model."):]: value for name, value in tensors.items() if name.startswith("model.")}
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as error:
        raise UserError(f"{path}: checkpoint does not fit the model ({str(error).splitlines()[0]})",
                        "resume with the config the run was started with") from None
    device = next(model.parameters()).device
    for prefix, optimizer in optimizers.items():
        state = optimizer.state_dict()
        for index, param in enumerate(p for group in optimizer.param_groups for p in group["params"]):
            if f"{prefix}.{index}.exp_avg" in tensors:
                state["state"][index] = {
                    "step": tensors[f"{prefix}.{index}.step"].reshape(()).clone(),
                    "exp_avg": tensors[f"{prefix}.{index}.exp_avg"].reshape(param.shape).to(device),
                    "exp_avg_sq": tensors[f"{prefix}.{index}.exp_avg_sq"].reshape(param.shape).to(device)}
        optimizer.load_state_dict(state)
    torch.set_rng_state(tensors["rng.cpu"])
    if "rng.cuda" in tensors and device.type == "cuda":
        torch.cuda.set_rng_state(tensors["rng.cuda"], device)
