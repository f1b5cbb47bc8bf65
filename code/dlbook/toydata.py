"""Seeded 2-D toy datasets in the style of the TensorFlow Playground, and the OR/XOR truth tables."""

from __future__ import annotations

import math

import torch
from dlbook.runtime import generator

#: Names accepted by :func:`make_toy_data`.
DATASETS = ("circle", "xor", "gaussians")

#: Names accepted by :func:`truth_table`.
TRUTH_TABLES = ("or", "xor")


def make_toy_data(
    name: str,
    n: int = 200,
    noise: float = 0.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(x, y)``: ``n`` points ``(n, 2)`` in about ``[-1, 1]^2`` and class labels ``(n,)`` in {0, 1}.

    The generators follow the Playground's: ``circle`` (class 1 inside radius 0.5, class 0 in the
    ring 0.7-1), ``xor`` (class 1 where ``x1 * x2 > 0``) and ``gaussians`` (two blobs on the
    diagonal). Half of the points (rounded down) are drawn for class 1.
    ``noise`` is the standard deviation of Gaussian jitter added to the coordinates.
    """
    if name not in DATASETS:
        raise ValueError(f"name must be one of {DATASETS}, got {name!r}")
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")
    gen = generator(seed)
    n_pos = n // 2
    y = torch.cat([torch.ones(n_pos, dtype=torch.long), torch.zeros(n - n_pos, dtype=torch.long)])

    def uniform(size: int, low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(size, generator=gen, dtype=torch.float64)

    if name == "circle":
        radius = torch.where(y == 1, uniform(n, 0.0, 0.5), uniform(n, 0.7, 1.0))
        angle = uniform(n, 0.0, 2 * math.pi)
        x = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    elif name == "xor":
        # magnitudes away from the axes (as the Playground pads them), signs chosen to match the class
        mag = uniform(2 * n, 0.05, 1.0).reshape(n, 2)
        s1 = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0).double()
        s2 = torch.where(y == 1, s1, -s1)
        x = mag * torch.stack([s1, s2], dim=1)
    else:  # gaussians
        centre = torch.where(y == 1, 0.5, -0.5).double().unsqueeze(1).expand(n, 2)
        x = centre + 0.25 * torch.randn(n, 2, generator=gen, dtype=torch.float64)
    x = x + noise * torch.randn(n, 2, generator=gen, dtype=torch.float64)
    perm = torch.randperm(n, generator=gen)
    return x[perm].to(dtype), y[perm]


def train_test_split(
    x: torch.Tensor, y: torch.Tensor, train_fraction: float = 0.5, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return ``(x_train, y_train, x_test, y_test)`` from a seeded random split of ``(x, y)``."""
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"x and y must be equally long with at least 2 rows, got {len(x)} and {len(y)}")
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must lie in (0, 1), got {train_fraction}")
    n_train = min(max(1, round(train_fraction * len(x))), len(x) - 1)
    perm = torch.randperm(len(x), generator=generator(seed))
    tr, te = perm[:n_train], perm[n_train:]
    return x[tr], y[tr], x[te], y[te]


def truth_table(name: str, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the four binary inputs ``(4, 2)`` in the order 00, 01, 10, 11 and the gate's outputs ``(4,)``."""
    if name not in TRUTH_TABLES:
        raise ValueError(f"name must be one of {TRUTH_TABLES}, got {name!r}")
    x = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype)
    a, b = x[:, 0].bool(), x[:, 1].bool()
    y = a | b if name == "or" else a ^ b
    return x, y.long()
