"""What every benchmark prints first: the machine, the torch version and the device."""

from __future__ import annotations

import os
import platform

import torch


def print_machine(device: torch.device) -> None:
    """One line each: CPU / GPU, torch version and threads, the device the numbers are for."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"machine: {cpu}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"torch:   {torch.__version__}, {torch.get_num_threads()} threads")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device:  {device} ({name})")
