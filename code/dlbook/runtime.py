"""Where and how reproducibly code runs: device choice, seeding, versions and their pins."""

from __future__ import annotations

import platform
import random
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import torch


def default_device() -> torch.device:
    """Return the CUDA device when one is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch so that a run can be repeated exactly on the same machine.

    On a GPU this also makes cuDNN pick deterministic convolution algorithms; its fastest
    ones accumulate in a varying order, so two runs with the same seed would differ slightly.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def environment_report() -> dict[str, str]:
    """Return the versions of Python and the numerical packages, the device and the CPU thread count."""
    import matplotlib

    device = default_device()
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    return {
        "Python": platform.python_version(),
        "PyTorch": torch.__version__,
        "NumPy": np.__version__,
        "matplotlib": matplotlib.__version__,
        "device": f"{device.type} ({device_name})",
        "CPU threads used by PyTorch": str(torch.get_num_threads()),
    }


def pinned_versions(requirements: Path | str) -> dict[str, str]:
    """Return ``{package: version}`` for every ``name==version`` line of a requirements file."""
    pins = {}
    for line in Path(requirements).read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def pin_mismatches(requirements: Path | str) -> dict[str, tuple[str, str]]:
    """Return ``{package: (pinned, installed)}`` for pins the running environment does not satisfy.

    A local version label is ignored (``2.13.0+cpu`` satisfies ``2.13.0``), as pip does.
    """
    mismatches = {}
    for name, pinned in pinned_versions(requirements).items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "not installed"
        if installed.split("+")[0] != pinned.split("+")[0]:
            mismatches[name] = (pinned, installed)
    return mismatches
