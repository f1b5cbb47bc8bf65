"""Many small ReLU (or Leaky ReLU) networks trained at once by mini-batch SGD, with every hidden layer's live units recorded (1C).

Chapter 1C asks how often ordered SGD kills hidden units, and when. One run says little, so the
page trains tens of networks (seeds x learning rates x orders) as one batch of tensors: the
weights of layer ``l`` of ``B`` networks form one ``(B, out, in)`` tensor, and every update is a
handful of batched matrix products, with no Python loop over the networks.

:func:`train_relu_batch` makes the same updates as :func:`dlbook.playground.train_toy` (plain SGD
on the mean binary cross-entropy of each mini-batch) when it is given the same initial weights
(:func:`stack_mlps`) and the same visiting orders (:func:`visiting_order`); only the rounding of
the batched products may differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dlbook.models import linear_layers
from dlbook.playground import ORDERS
from dlbook.runtime import generator

Params = list[tuple[torch.Tensor, torch.Tensor]]


def stack_mlps(models: Sequence[nn.Module]) -> Params:
    """Return every layer's ``(weight, bias)`` of ``models``, stacked: ``(B, out, in)`` and ``(B, out)``.

    The models must have the same layer sizes (e.g. from :func:`dlbook.models.build_mlp`); the
    tensors are copies, so training them leaves the models as they were.
    """
    if not models:
        raise ValueError("models must not be empty")
    layers = [linear_layers(m) for m in models]
    shapes = {tuple(tuple(layer.weight.shape) for layer in ls) for ls in layers}
    if len(shapes) != 1:
        raise ValueError(f"models must have the same layer sizes, got {sorted(shapes)}")
    return [(torch.stack([ls[i].weight.detach() for ls in layers]).clone(),
             torch.stack([ls[i].bias.detach() for ls in layers]).clone())
            for i in range(len(layers[0]))]


def visiting_order(y: torch.Tensor, n_iters: int, batch_size: int, order: str, seed: int) -> torch.Tensor:
    """Return the ``(n_iters, batch_size)`` example indices of each update, as :func:`train_toy` visits them.

    ``order="shuffle"`` draws a fresh permutation every epoch from ``seed``; ``"sorted"`` visits every
    class-0 example, then every class-1 example, in every epoch. ``batch_size`` must divide ``len(y)``.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if n_iters < 1 or batch_size < 1 or len(y) % batch_size:
        raise ValueError(f"need n_iters >= 1 and a batch_size dividing {len(y)}, got {n_iters} and {batch_size}")
    per_epoch = len(y) // batch_size
    gen = generator(seed)
    epochs = []
    for _ in range(-(-n_iters // per_epoch)):
        idx = torch.randperm(len(y), generator=gen) if order == "shuffle" else torch.argsort(y, stable=True)
        epochs.append(idx.view(per_epoch, batch_size))
    return torch.cat(epochs)[:n_iters]


@dataclass
class SurvivalRun:
    """The record of one :func:`train_relu_batch` run of ``B`` networks.

    ``alive`` lists one ``(n_iters + 1, B, width)`` boolean tensor per hidden layer: which units
    of each network are alive (a unit is dead when its pre-activation is <= 0 on every training
    point, as in :func:`dlbook.probes.dead_unit_fraction`), before the first update and after
    each update. ``accuracy`` ``(n_iters + 1, B)`` is the training accuracy at the same
    times. ``weight_grad`` ``(n_iters, B)`` is the largest absolute weight gradient (all layers)
    of each update. ``params`` holds the final weights, stacked as by :func:`stack_mlps`.
    """

    alive: list[torch.Tensor]
    accuracy: torch.Tensor
    weight_grad: torch.Tensor
    params: Params


def _forward(params: Params, h: torch.Tensor, slope: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Hidden pre-activations ``(B, N, width)`` and logits ``(B, N)`` of ``B`` MLPs on inputs ``(B, N, d)``.

    Each network's hidden units compute ``s`` for ``s > 0`` and ``slope * s`` otherwise (``slope``
    ``(B,)``; 0 is ReLU).
    """
    pre = []
    for w, b in params[:-1]:
        s = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
        pre.append(s)
        h = torch.where(s > 0, s, slope.view(-1, 1, 1) * s)
    w, b = params[-1]
    return pre, torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2)).squeeze(2)


def _slopes(negative_slope: float | torch.Tensor, n_nets: int, dtype: torch.dtype) -> torch.Tensor:
    """One negative-side slope per network, ``(B,)``, checked to lie in [0, 1)."""
    slope = torch.as_tensor(negative_slope, dtype=dtype).expand(n_nets)
    if not ((slope >= 0) & (slope < 1)).all():
        raise ValueError("every negative_slope must be in [0, 1) (0: ReLU, 0.01: PyTorch's Leaky ReLU)")
    return slope


def batch_logits(params: Params, x: torch.Tensor, negative_slope: float | torch.Tensor = 0.0) -> torch.Tensor:
    """Return the logits ``(B, N)`` of ``B`` MLPs, stacked as by :func:`stack_mlps`, on inputs ``x`` ``(N, d)``.

    ``negative_slope``: as in :func:`train_relu_batch`.
    """
    n_nets = params[0][0].shape[0]
    with torch.no_grad():
        return _forward(params, x.expand(n_nets, *x.shape), _slopes(negative_slope, n_nets, x.dtype))[1]


def train_relu_batch(params: Params, x: torch.Tensor, y: torch.Tensor, lr: float | torch.Tensor,
                     batches: torch.Tensor, record_every: int = 1,
                     negative_slope: float | torch.Tensor = 0.0) -> SurvivalRun:
    """Train ``B`` ReLU MLPs (one output logit) at once by mini-batch SGD; return a :class:`SurvivalRun`.

    ``negative_slope`` (one value or one per network, ``(B,)``) turns a network's units into Leaky
    ReLUs with that slope for negative inputs, as ``torch.nn.LeakyReLU``; a unit then counts as
    dead (in ``alive``) when it *would* be dead as a ReLU.

    ``params`` lists each layer's ``(weight, bias)`` of all networks, shaped ``(B, out, in)`` and
    ``(B, out)`` (see :func:`stack_mlps`); they are not changed. ``x`` ``(N, d)``, ``y`` ``(N,)``
    in {0, 1}: one training set for all. ``lr`` is one step size or one per network ``(B,)``.
    ``batches`` ``(B, n_iters, batch_size)`` lists the examples of each update of each network
    (see :func:`visiting_order`). Each update is plain SGD on the mean binary cross-entropy of
    the network's mini-batch. ``record_every=k`` records ``alive`` and ``accuracy`` only before
    updates ``0, k, 2k, ...`` (0-based) and after the last one (``weight_grad`` at every update), which is
    faster when only the end matters.
    """
    if x.dim() != 2 or y.dim() != 1 or len(x) != len(y):
        raise ValueError(f"expected x (N, d) and y (N,), got {tuple(x.shape)} and {tuple(y.shape)}")
    n_nets = params[0][0].shape[0]
    if batches.dim() != 3 or batches.shape[0] != n_nets:
        raise ValueError(f"batches must be (B={n_nets}, n_iters, batch_size), got {tuple(batches.shape)}")
    if record_every < 1:
        raise ValueError(f"record_every must be >= 1, got {record_every}")
    lr = torch.as_tensor(lr, dtype=x.dtype).expand(n_nets)
    if not (lr > 0).all():
        raise ValueError("every learning rate must be positive")
    slope = _slopes(negative_slope, n_nets, x.dtype)
    params = [(w.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()) for w, b in params]
    target = y.to(x.dtype)
    whole = x.expand(n_nets, *x.shape)
    alive, accuracy, weight_grad = [], [], []

    def record() -> None:
        with torch.no_grad():
            pre, logits = _forward(params, whole, slope)
            alive.append([(s > 0).any(dim=1) for s in pre])
            accuracy.append(((logits > 0).long() == y).to(x.dtype).mean(dim=1))

    for it, step in enumerate(batches.unbind(dim=1)):  # (B, batch_size): one update of every network
        if it % record_every == 0:
            record()
        _, logits = _forward(params, x[step], slope)
        # the sum over networks of each network's mean loss: each gets the gradient of its own
        loss = F.binary_cross_entropy_with_logits(logits, target[step], reduction="none").mean(dim=1).sum()
        grads = torch.autograd.grad(loss, [p for layer in params for p in layer])
        with torch.no_grad():
            weight_grad.append(torch.stack([g.abs().amax(dim=(1, 2)) for g in grads[::2]]).amax(dim=0))
            for p, g in zip((p for layer in params for p in layer), grads):
                p -= lr.view(-1, *[1] * (g.dim() - 1)) * g
    record()
    return SurvivalRun(alive=[torch.stack(layer) for layer in zip(*alive)], accuracy=torch.stack(accuracy),
                       weight_grad=torch.stack(weight_grad) if weight_grad else torch.zeros(0, n_nets),
                       params=[(w.detach(), b.detach()) for w, b in params])
