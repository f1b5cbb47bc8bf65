"""Seeded, vectorized corruptions of image batches (missing pixels, small random shifts) and which images models still get right."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from dlbook.train import predict


def _check_images(x: torch.Tensor) -> None:
    if x.dim() != 4:
        raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(x.shape)}")


def zero_pixels(x: torch.Tensor, fraction: float, seed: int) -> torch.Tensor:
    """Return a copy of ``x`` ``(N, C, H, W)`` with ``round(fraction * H * W)`` pixel positions per image set to 0.

    Each image loses its own random set of positions (the same positions in every channel),
    drawn from a generator seeded with ``seed``.
    """
    _check_images(x)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction}")
    n, _, h, w = x.shape
    n_drop = round(fraction * h * w)
    generator = torch.Generator().manual_seed(seed)
    dropped = torch.rand(n, h * w, generator=generator).argsort(dim=1)[:, :n_drop]
    keep = torch.ones(n, h * w, dtype=torch.bool).scatter_(1, dropped, False)
    return x * keep.reshape(n, 1, h, w).to(x.device)


def shift_images(x: torch.Tensor, max_shift: int, seed: int) -> torch.Tensor:
    """Return a copy of ``x`` ``(N, C, H, W)`` with each image moved by its own random whole-pixel offset.

    The offsets ``(dy, dx)`` are drawn uniformly from ``{-max_shift, ..., max_shift}`` for each
    axis with a generator seeded by ``seed``; pixels moved in from outside the image are 0.
    """
    _check_images(x)
    if isinstance(max_shift, bool) or not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"max_shift must be a non-negative int, got {max_shift!r}")
    n, _, h, w = x.shape
    if max_shift >= min(h, w):
        raise ValueError(f"max_shift must be smaller than the image ({h}x{w}), got {max_shift}")
    generator = torch.Generator().manual_seed(seed)
    offsets = torch.randint(-max_shift, max_shift + 1, (n, 2), generator=generator)
    padded = torch.nn.functional.pad(x, (max_shift,) * 4)
    # Gather one crop per image with advanced indexing: rows and columns shifted per image.
    rows = torch.arange(h) + max_shift - offsets[:, :1]  # (N, H)
    cols = torch.arange(w) + max_shift - offsets[:, 1:]  # (N, W)
    rows, cols = rows.to(x.device), cols.to(x.device)
    batch = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # (N, H, W, C)
    return out.permute(0, 3, 1, 2).contiguous()


def correct_under_corruption(
    models: Mapping[str, Sequence[nn.Module]],
    x: torch.Tensor,
    y: torch.Tensor,
    corrupt: Callable[[torch.Tensor, float, int], torch.Tensor],
    levels: Sequence[float],
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Return, for each named group of ``models``, which images every model gets right at every level.

    Each group's result is a boolean array of shape ``(len(group), len(levels), len(x))``; its
    mean over the last axis is the accuracy, and two models' rows at one level can be compared
    image by image (:func:`dlbook.stats.paired_comparison`). ``corrupt(x, level, seed)`` (e.g.
    :func:`zero_pixels` or :func:`shift_images`) is applied once per level with the same ``seed``,
    and every model of every group sees exactly those corrupted images.
    """
    if not levels or not models or not all(models.values()):
        raise ValueError("need at least one corruption level and at least one model in every group")
    result = {name: np.empty((len(group), len(levels), len(x)), dtype=bool) for name, group in models.items()}
    for j, level in enumerate(levels):
        corrupted = corrupt(x, level, seed)
        for name, group in models.items():
            for i, model in enumerate(group):
                result[name][i, j] = (predict(model, corrupted) == y.cpu()).numpy()  # predict returns CPU labels
    return result
