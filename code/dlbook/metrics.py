"""Measurements of trained classifiers: confusion matrices, which images they get right under corruptions, and batch-norm statistics re-estimated on new inputs."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from dlbook.train import EVAL_BATCH_SIZE, predict


def confusion_matrix(y_true: torch.Tensor, y_pred: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """Return the ``(n_classes, n_classes)`` int64 count matrix: row = true class, column = predicted class."""
    if y_true.shape != y_pred.shape or y_true.dim() != 1:
        raise ValueError(f"expected two label vectors of equal shape (N,), got {tuple(y_true.shape)} and {tuple(y_pred.shape)}")
    if len(y_true) and (int(torch.min(torch.cat([y_true, y_pred]))) < 0
                        or int(torch.max(torch.cat([y_true, y_pred]))) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes - 1}]")
    flat = y_true.long() * n_classes + y_pred.long()
    return torch.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def reestimate_batchnorm(model: nn.Module, x: torch.Tensor, batch_size: int = EVAL_BATCH_SIZE) -> nn.Module:
    """Return a copy of ``model`` whose batch-norm layers normalize with the statistics of inputs ``x``.

    Every batch-norm layer of the copy forgets its running mean and variance and collects them anew
    in one pass over ``x`` without gradients, in training mode (every other layer stays in
    evaluation mode): each batch's statistics are averaged in with weight ``batch / inputs seen``,
    which for batches of equal size is PyTorch's ``momentum=None`` (a plain average over the
    batches). No weight changes and no label is used. The copy comes back in evaluation mode;
    ``model`` is untouched.
    """
    adapted = copy.deepcopy(model).eval()
    norms = [m for m in adapted.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        raise ValueError("model has no batch-norm layer")
    if len(x) == 0:
        raise ValueError("need at least one input")
    momenta = [norm.momentum for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.train()
    device = next(adapted.parameters()).device
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            batch = x[start : start + batch_size]
            for norm in norms:  # a running average weighted by batch size
                norm.momentum = len(batch) / (start + len(batch))
            adapted(batch.to(device))
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
    return adapted.eval()


def correct_under_corruption(
    models: Mapping[str, Sequence[nn.Module]],
    x: torch.Tensor,
    y: torch.Tensor,
    corrupt: Callable[[torch.Tensor, float, int], torch.Tensor],
    levels: Sequence[float],
    seed: int = 0,
    adapt: Callable[[nn.Module, torch.Tensor], nn.Module] | None = None,
) -> dict[str, np.ndarray]:
    """Return, for each named group of ``models``, which images every model gets right at every level.

    Each group's result is a boolean array of shape ``(len(group), len(levels), len(x))``; its
    mean over the last axis is the accuracy, and two models' rows at one level can be compared
    image by image (:func:`dlbook.stats.paired_comparison`). ``corrupt(x, level, seed)`` (e.g.
    :func:`dlbook.corruption.zero_pixels` or :func:`dlbook.corruption.shift_images`) is applied once
    per level with the same ``seed``, and every model of every group sees exactly those corrupted images.
    With ``adapt`` (e.g. :func:`reestimate_batchnorm`), each model is replaced by ``adapt(model, corrupted)``
    before it predicts the corrupted images of each level.
    """
    if not levels or not models or not all(models.values()):
        raise ValueError("need at least one corruption level and at least one model in every group")
    result = {name: np.empty((len(group), len(levels), len(x)), dtype=bool) for name, group in models.items()}
    for j, level in enumerate(levels):
        corrupted = corrupt(x, level, seed)
        for name, group in models.items():
            for i, model in enumerate(group):
                if adapt is not None:
                    model = adapt(model, corrupted)
                result[name][i, j] = (predict(model, corrupted) == y.cpu()).numpy()  # predict returns CPU labels
    return result
