"""The device names familybench knows, shared by the suite, the CLI, the runner and the MLP."""

from __future__ import annotations

AUTO = "auto"
CPU = "cpu"
CUDA = "cuda"
#: ``auto``: CUDA when torch sees a GPU, else the CPU (resolved where the model trains).
DEVICES: tuple[str, ...] = (AUTO, CPU, CUDA)


def check_device(device: str) -> str:
    """Return ``device`` if it is a known device name, else raise a one-line ValueError."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    return device
