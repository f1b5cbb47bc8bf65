"""What a page ran on: package versions, the processor, the thread count, and the pins they must match.

Kept apart from :mod:`dlbook.runtime`, which the training code imports: a change to how the
environment is reported does not change the fingerprint of any trained network.
"""

from __future__ import annotations

import platform
import re
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import torch

from dlbook.runtime import default_device


def _cpuinfo_model(cpuinfo: str) -> str:
    """Return the first ``model name`` (x86) or ``Model`` / ``Hardware`` (ARM) entry of a /proc/cpuinfo text."""
    for key in ("model name", "Model", "Hardware"):
        match = re.search(rf"^{key}\s*:\s*(.+)$", cpuinfo, flags=re.MULTILINE)
        if match and match.group(1).strip():
            return match.group(1).strip()
    return ""


def processor_name() -> str:
    """Return the CPU's model name (e.g. ``Intel(R) Xeon(R) Processor``), or its architecture if unknown."""
    name = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        name = _cpuinfo_model(cpuinfo.read_text(errors="replace"))
    elif platform.system() == "Darwin":
        try:
            name = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                  text=True, timeout=5, check=False).stdout.strip()
        except OSError:
            name = ""
    return name or platform.processor() or platform.machine() or "unknown processor"


def environment_report() -> dict[str, str]:
    """Return the versions of Python and the numerical packages, the device, the processor and its thread count."""
    import matplotlib

    device = default_device()
    return {
        "Python": platform.python_version(),
        "PyTorch": torch.__version__,
        "NumPy": np.__version__,
        "matplotlib": matplotlib.__version__,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU",
        "processor": processor_name(),
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
