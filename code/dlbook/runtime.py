"""Where and how reproducibly code runs: device choice and seeding."""

from __future__ import annotations

import random

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

