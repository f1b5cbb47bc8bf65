"""Measurements of trained classifiers: confusion matrices and which images they get right under corruptions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from dlbook.train import predict


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """Return the ``(n_classes, n_classes)`` int64 count matrix: row = true class, column = predicted class."""
    if y_true.shape != y_pred.shape or y_true.dim() != 1:
        raise ValueError(f"expected two label vectors of equal shape (N,), got {tuple(y_true.shape)} and {tuple(y_pred.shape)}")
    if len(y_true) and (int(torch.min(torch.cat([y_true, y_pred]))) < 0
                        or int(torch.max(torch.cat([y_true, y_pred]))) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes - 1}]")
    flat = y_true.long() * n_classes + y_pred.long()
    return torch.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


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
    :func:`dlbook.corruption.zero_pixels` or :func:`dlbook.corruption.shift_images`) is applied once
    per level with the same ``seed``, and every model of every group sees exactly those corrupted images.
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
