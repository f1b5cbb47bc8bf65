"""A mini-batch training loop over in-memory tensors that records a history and never prints."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from dlbook.runtime import generator

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

#: Inputs per forward pass in :func:`evaluate` and :func:`predict`. Big enough to amortize the
#: per-call overhead, small enough that a CNN's feature maps stay in the CPU cache: for the CNN
#: of chapter 3G, 512 is about twice as fast as 10000 (``benchmarks/eval_batch.py``).
EVAL_BATCH_SIZE = 512


@dataclass
class History:
    """Per-epoch metrics of one training run (validation lists stay empty without validation data)."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)


@torch.inference_mode()
def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: LossFn = F.cross_entropy,
    batch_size: int = EVAL_BATCH_SIZE,
) -> tuple[float, float]:
    """Return ``(mean loss, accuracy)`` of ``model`` on inputs ``x`` ``(N, ...)`` and class labels ``y`` ``(N,)``."""
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and equally long, got {len(x)} and {len(y)}")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total_loss, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb = x[start : start + batch_size].to(device)
        yb = y[start : start + batch_size].to(device)
        logits = model(xb)
        total_loss += float(loss_fn(logits, yb)) * len(xb)
        correct += int((logits.argmax(dim=1) == yb).sum())
    model.train(was_training)
    return total_loss / len(x), correct / len(x)


@torch.inference_mode()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = EVAL_BATCH_SIZE) -> torch.Tensor:
    """Return the predicted class ``(N,)`` of each input in ``x`` ``(N, ...)``."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = torch.cat([model(x[s : s + batch_size].to(device)).argmax(dim=1).cpu()
                     for s in range(0, len(x), batch_size)])
    model.train(was_training)
    return out


def train(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    n_epochs: int,
    batch_size: int,
    *,
    loss_fn: LossFn = F.cross_entropy,
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
    shuffle: bool = True,
    seed: int = 0,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
) -> History:
    """Train ``model`` in place on ``(x, y)`` with mini-batches and return its :class:`History`.

    Batches are slices of in-memory tensors (no DataLoader). With ``shuffle`` each epoch
    visits the examples in a fresh order drawn from ``seed``; without it, in the given
    order. ``scheduler`` is stepped after every batch. Train metrics are measured over the
    epoch's batches; train accuracy is recorded only for class-index targets ``(N,)``.
    """
    if n_epochs < 1 or batch_size < 1:
        raise ValueError(f"n_epochs and batch_size must be positive, got {n_epochs} and {batch_size}")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and equally long, got {len(x)} and {len(y)}")
    device = next(model.parameters()).device
    x, y = x.to(device), y.to(device)
    class_targets = y.dim() == 1 and not y.dtype.is_floating_point
    rng = generator(seed)
    history = History()
    for _ in range(n_epochs):
        start_time = time.perf_counter()
        model.train()
        order = torch.randperm(len(x), generator=rng).to(device) if shuffle else None
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for start in range(0, len(x), batch_size):
            if order is None:
                xb, yb = x[start : start + batch_size], y[start : start + batch_size]
            else:
                idx = order[start : start + batch_size]
                xb, yb = x[idx], y[idx]
            logits = model(xb)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            loss_sum += loss.detach() * len(xb)
            if class_targets:
                correct += (logits.detach().argmax(dim=1) == yb).sum()
        history.train_loss.append(float(loss_sum) / len(x))
        if class_targets:
            history.train_acc.append(float(correct) / len(x))
        if val is not None:
            val_loss, val_acc = evaluate(model, val[0], val[1], loss_fn)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
        history.epoch_seconds.append(time.perf_counter() - start_time)
    return history
