"""What every benchmark prints first: the machine, the torch version, and each device it measures."""

from __future__ import annotations

import torch

from mnist_handwriting.safeweights import describe_machine


def print_machine() -> None:
    """One line: the machine (CPU, cores, python, torch and its thread count), as weights files record it."""
    print(f"machine: {describe_machine()}")


def describe_device(device: torch.device) -> str:
    """``cpu`` or ``cuda:0 (NVIDIA H100 ...)``."""
    return f"{device} ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else str(device)
