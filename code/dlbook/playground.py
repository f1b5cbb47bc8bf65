"""Playground-style training of small binary classifiers that records loss, gradient norms, probes and snapshots."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from dlbook.probes import gradient_norms
from dlbook.runtime import generator

#: Visiting orders accepted by :func:`train_toy`.
ORDERS = ("shuffle", "sorted")

Probe = Callable[[nn.Module], float]


@dataclass
class ToyRun:
    """The record of one :func:`train_toy` run.

    ``loss`` and ``accuracy`` (on the training set) and every ``probes`` series hold
    ``n_iters + 1`` values: before the first update and after each update. ``grad_norms``
    maps ``"<layer>.weight"``/``".bias"`` to ``n_iters`` values, the norm of the gradient used
    by each update. ``snapshots`` holds ``(iteration, state_dict)`` pairs.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    grad_norms: dict[str, list[float]] = field(default_factory=dict)
    probes: dict[str, list[float]] = field(default_factory=dict)
    snapshots: list[tuple[int, dict[str, torch.Tensor]]] = field(default_factory=list)


def _check_xy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    if x.dim() != 2 or y.dim() != 1 or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"expected x (N, d) and y (N,) with N > 0, got {tuple(x.shape)} and {tuple(y.shape)}")


@torch.inference_mode()
def loss_and_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Return the binary cross-entropy (nats) and accuracy of ``model`` (one logit per row) on ``(x, y)``.

    ``x`` is ``(N, d)``; ``y`` ``(N,)`` holds labels in {0, 1}; a row is classified as 1 when its logit is > 0.
    """
    _check_xy(model, x, y)
    logits = model(x).squeeze(1)
    loss = F.binary_cross_entropy_with_logits(logits, y.to(logits.dtype))
    return float(loss), float(((logits > 0).long() == y).double().mean())


def train_toy(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float,
    n_iters: int,
    batch_size: int | None = None,
    order: str = "shuffle",
    probes: dict[str, Probe] | None = None,
    snapshot_every: int = 0,
    snapshot_at: Sequence[int] = (),
    seed: int = 0,
) -> ToyRun:
    """Train ``model`` (one output logit) in place with binary cross-entropy and return a :class:`ToyRun`.

    One iteration is one parameter update. ``batch_size=None`` is full-batch gradient descent.
    Otherwise the data are visited in epochs of mini-batches: ``order="shuffle"`` draws a fresh
    order each epoch from ``seed``; ``order="sorted"`` visits every class-0 example, then every
    class-1 example, in every epoch (the ordered SGD of chapter 1C). The optimizer is plain SGD
    (steps of size ``lr``). ``probes`` maps names to functions of the model
    evaluated after every update; ``snapshot_every=k > 0`` stores the parameters every ``k``
    iterations (and at the start and end) for animations, ``snapshot_at`` at the listed
    iterations (``0..n_iters``) as well. Nothing is printed.
    """
    _check_xy(model, x, y)
    if n_iters < 1 or lr <= 0:
        raise ValueError(f"n_iters and lr must be positive, got {n_iters} and {lr}")
    if batch_size is not None and not 1 <= batch_size <= len(x):
        raise ValueError(f"batch_size must lie in 1..{len(x)} or be None, got {batch_size}")
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if snapshot_every < 0:
        raise ValueError(f"snapshot_every must be >= 0, got {snapshot_every}")
    if any(not 0 <= i <= n_iters for i in snapshot_at):
        raise ValueError(f"snapshot_at must list iterations in 0..{n_iters}, got {list(snapshot_at)}")
    keep = set(snapshot_at)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    probes = probes or {}
    gen = generator(seed)
    run = ToyRun(probes={name: [] for name in probes})
    batches: list[torch.Tensor] = []

    def record(iteration: int, logits: torch.Tensor | None = None) -> None:
        if logits is None:
            loss, acc = loss_and_accuracy(model, x, y)
        else:  # full batch: the forward pass of the update already evaluated this state
            loss = float(F.binary_cross_entropy_with_logits(logits, y.to(logits.dtype)))
            acc = float(((logits > 0).long() == y).double().mean())
        run.loss.append(loss)
        run.accuracy.append(acc)
        for name, probe in probes.items():
            run.probes[name].append(float(probe(model)))
        if iteration in keep or snapshot_every and (iteration % snapshot_every == 0 or iteration == n_iters):
            run.snapshots.append((iteration, copy.deepcopy(model.state_dict())))

    model.train()
    for it in range(1, n_iters + 1):
        if batch_size is None:
            xb, yb = x, y
        else:
            record(it - 1)
            if not batches:
                idx = torch.randperm(len(x), generator=gen) if order == "shuffle" else torch.argsort(y, stable=True)
                batches = list(idx.split(batch_size))
            b = batches.pop(0)
            xb, yb = x[b], y[b]
        logits = model(xb).squeeze(1)
        if batch_size is None:
            record(it - 1, logits.detach())
        loss = F.binary_cross_entropy_with_logits(logits, yb.to(logits.dtype))
        opt.zero_grad(set_to_none=False)
        loss.backward()
        for name, value in gradient_norms(model).items():
            run.grad_norms.setdefault(name, []).append(value)
        opt.step()
    record(n_iters)
    return run


def plateau_length(loss: list[float], rel_drop: float = 0.1, reference: float | None = None) -> int:
    """Return the first iteration at which ``loss`` is below ``(1 - rel_drop) * reference``.

    ``reference`` defaults to the starting value ``loss[0]``. For a classifier, a better
    reference is the loss of the best constant prediction (the entropy of the class
    frequencies): a randomly initialized network often falls to that level within a few
    steps, and its plateau is the stretch spent there. The result is the length of the
    initial plateau in iterations; ``len(loss)`` means the loss never got there (the run
    ended on the plateau).
    """
    if not loss:
        raise ValueError("loss must be a non-empty sequence")
    if not 0.0 < rel_drop < 1.0:
        raise ValueError(f"rel_drop must lie in (0, 1), got {rel_drop}")
    if reference is not None and not reference > 0:
        raise ValueError(f"reference must be positive, got {reference}")
    target = (1.0 - rel_drop) * (loss[0] if reference is None else reference)
    return next((i for i, value in enumerate(loss) if value < target), len(loss))


def loss_gradient_norm(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Return the Euclidean norm, over all parameters, of the gradient of the binary cross-entropy on ``(x, y)``.

    ``x`` is ``(N, d)``, ``y`` ``(N,)`` in {0, 1}; the loss is the mean over the ``N`` rows, as in
    :func:`train_toy`. ``model`` is not changed (its ``.grad`` fields are left as they were).
    """
    _check_xy(model, x, y)
    params = [p for p in model.parameters() if p.requires_grad]
    logits = model(x).squeeze(1)
    loss = F.binary_cross_entropy_with_logits(logits, y.to(logits.dtype))
    grads = torch.autograd.grad(loss, params)
    return float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))


def lowest_perturbed_loss(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, radius: float, n_tries: int, seed: int = 0
) -> float:
    """Return the lowest training loss of ``model`` over ``n_tries`` random perturbations of all its parameters.

    Each perturbation moves the whole parameter vector by ``radius`` in a uniformly random
    direction (drawn from ``seed``). Near a local minimum no perturbation lowers the loss; near a
    saddle the directions of negative curvature do. ``model`` is not changed.
    """
    _check_xy(model, x, y)
    if radius <= 0 or n_tries < 1:
        raise ValueError(f"radius and n_tries must be positive, got {radius} and {n_tries}")
    probe = copy.deepcopy(model)
    theta = torch.nn.utils.parameters_to_vector(model.parameters()).detach()
    gen = generator(seed)
    lowest = math.inf
    for _ in range(n_tries):
        step = torch.randn(theta.shape, generator=gen, dtype=torch.float64).to(theta.dtype)
        torch.nn.utils.vector_to_parameters(theta + radius * step / step.norm(), probe.parameters())
        lowest = min(lowest, loss_and_accuracy(probe, x, y)[0])
    return lowest
