"""What every benchmark prints first: the machine, the torch version, and each device it measures."""

from __future__ import annotations

import os
import platform

import torch


def print_machine() -> None:
    """Two lines: the CPU and core count, then the torch version and its thread count."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"torch:   {torch.__version__}, {torch.get_num_threads()} threads")


def describe_device(device: torch.device) -> str:
    """``cpu`` or ``cuda:0 (NVIDIA H100 ...)``."""
    return f"{device} ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else str(device)
