"""Playground-style training of small binary classifiers that records loss, gradient norms, probes and snapshots."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from dlbook.models import linear_layers
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


@dataclass
class BatchRun:
    """The record of one :func:`train_sigmoid_batch` run of ``B`` networks.

    ``loss`` and ``accuracy`` are ``(n_iters + 1, B)`` tensors (training set of each network,
    before the first update and after each update); ``params`` holds the final ``(weight, bias)``
    of every layer, shaped ``(B, out, in)`` and ``(B, out)``; ``step_back[k - 1]`` is the ``(B,)``
    distance, over all parameters, between the final state and the state ``k`` updates earlier
    (``k = 1, 2``): about 0 for ``k = 1`` where a run has settled, for ``k = 2`` where it swings
    between two states.
    """

    loss: torch.Tensor
    accuracy: torch.Tensor
    params: list[tuple[torch.Tensor, torch.Tensor]]
    step_back: tuple[torch.Tensor, torch.Tensor]


def stack_parameters(models: Sequence[nn.Module]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Return every ``nn.Linear`` layer's ``(weight, bias)`` of equally shaped ``models``, stacked.

    The result, one ``(B, out, in)`` weight and ``(B, out)`` bias per layer for ``B = len(models)``,
    is the ``params`` argument of :func:`train_sigmoid_batch`. The tensors are copies.
    """
    layers = [linear_layers(m) for m in models]
    if not layers or any(len(ls) != len(layers[0]) for ls in layers):
        raise ValueError("expected at least one model, all with the same number of linear layers")
    return [(torch.stack([ls[l].weight.detach() for ls in layers]),
             torch.stack([ls[l].bias.detach() for ls in layers])) for l in range(len(layers[0]))]


def _forward_batch(params: list[tuple[torch.Tensor, torch.Tensor]], x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Every layer's input ``(B, N, width)`` and the logits ``(B, N)`` of a batch of sigmoid MLPs."""
    h = x.expand(params[0][0].shape[0], *x.shape)
    inputs = []
    for l, (w, b) in enumerate(params):
        inputs.append(h)
        s = h @ w.transpose(1, 2) + b.unsqueeze(1)
        h = torch.sigmoid(s) if l < len(params) - 1 else s
    return inputs, h.squeeze(2)


def train_sigmoid_batch(
    params: list[tuple[torch.Tensor, torch.Tensor]],
    x: torch.Tensor,
    y: torch.Tensor,
    sample_weight: torch.Tensor,
    lr: torch.Tensor,
    n_iters: int,
) -> BatchRun:
    """Train ``B`` sigmoid MLPs (one output logit) at once by full-batch gradient descent; return a :class:`BatchRun`.

    ``params`` lists every layer's ``(weight, bias)`` for all networks, shaped ``(B, out, in)``
    and ``(B, out)`` (the last layer has ``out = 1``); they are not changed. Every hidden layer is
    a sigmoid, as in ``build_mlp(..., activation="sigmoid")``. Each network sees the same points
    ``x`` ``(N, d)``, labels ``y`` ``(N,)`` in {0, 1}, with its own weights ``sample_weight``
    ``(B, N)`` (each row sums to 1; a point with weight 0 is left out), so that network ``b``'s
    loss is its weighted mean binary cross-entropy: a row of ``1 / n`` on ``n`` kept points is
    :func:`train_toy` on those points. ``lr`` ``(B,)`` holds each network's step. The gradients
    are written out by hand (back-propagation through the batch), and the only Python loop is
    over iterations.
    """
    if x.dim() != 2 or y.dim() != 1 or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"expected x (N, d) and y (N,) with N > 0, got {tuple(x.shape)} and {tuple(y.shape)}")
    n_nets = params[0][0].shape[0]
    if sample_weight.shape != (n_nets, len(x)) or lr.shape != (n_nets,):
        raise ValueError(f"expected sample_weight ({n_nets}, {len(x)}) and lr ({n_nets},), "
                         f"got {tuple(sample_weight.shape)} and {tuple(lr.shape)}")
    if n_iters < 2 or not bool((lr > 0).all()):
        raise ValueError(f"n_iters must be at least 2 and every lr positive, got {n_iters} and {lr.tolist()}")
    if params[-1][0].shape[1] != 1 or params[0][0].shape[2] != x.shape[1]:
        raise ValueError("the first layer must take x's columns and the last must have one output")
    params = [(w.detach().clone(), b.detach().clone()) for w, b in params]
    target = y.to(x.dtype)
    step = lr.to(x.dtype).view(-1, 1, 1)
    losses, accuracies, history = [], [], []

    for _ in range(n_iters + 1):
        inputs, logits = _forward_batch(params, x)
        loss = F.binary_cross_entropy_with_logits(logits, target.expand_as(logits), reduction="none")
        losses.append((sample_weight * loss).sum(1))
        accuracies.append((sample_weight * ((logits > 0) == (target > 0.5)).to(x.dtype)).sum(1))
        history = (history + [params])[-3:]
        if len(losses) == n_iters + 1:
            break
        delta = (sample_weight * (torch.sigmoid(logits) - target)).unsqueeze(2)  # (B, N, 1)
        grads = []
        for l in range(len(params) - 1, -1, -1):
            w, _ = params[l]
            grads.append((delta.transpose(1, 2) @ inputs[l], delta.sum(1)))
            if l:
                a = inputs[l]
                delta = (delta @ w) * a * (1 - a)
        params = [(w - step * gw, b - step.squeeze(2) * gb)
                  for (w, b), (gw, gb) in zip(params, reversed(grads))]
    flat = [torch.cat([t.flatten(1) for pair in state for t in pair], 1) for state in history]
    return BatchRun(torch.stack(losses), torch.stack(accuracies), params,
                    ((flat[-1] - flat[-2]).norm(dim=1), (flat[-1] - flat[-3]).norm(dim=1)))
