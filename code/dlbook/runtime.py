"""Where and how reproducibly code runs: device choice, generators and seeding (seeds from dlbook.seeds)."""

from __future__ import annotations

import random

import numpy as np
import torch

from dlbook.seeds import book_seed


def default_device() -> torch.device:
    """Return the CUDA device when one is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def generator(seed: int) -> torch.Generator:
    """Return a CPU ``torch.Generator`` seeded with :func:`book_seed` of ``seed``."""
    return torch.Generator().manual_seed(book_seed(seed))


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch with :func:`book_seed` of ``seed``, so that a run repeats on the same machine.

    On a GPU this also makes cuDNN pick deterministic convolution algorithms; its fastest
    ones accumulate in a varying order, so two runs with the same seed would differ slightly.
    """
    actual = book_seed(seed)
    random.seed(actual)
    np.random.seed(actual)
    torch.manual_seed(actual)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
