"""Builders for fully connected networks and the initialization schemes the book compares."""

from __future__ import annotations

import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "leaky_relu": nn.LeakyReLU,
}


def build_mlp(
    n_in: int,
    hidden_sizes: list[int] | tuple[int, ...],
    n_out: int,
    activation: str = "relu",
    dropout: float = 0.0,
) -> nn.Sequential:
    """Return ``Linear -> activation [-> Dropout]`` per hidden layer, then a final ``Linear`` (logits).

    Input ``(B, n_in)``, output ``(B, n_out)``. ``hidden_sizes`` may be empty (a linear model).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if n_in < 1 or n_out < 1 or any(int(h) < 1 for h in hidden_sizes):
        raise ValueError(f"layer sizes must be positive, got n_in={n_in}, hidden_sizes={hidden_sizes}, n_out={n_out}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
    layers: list[nn.Module] = []
    width = n_in
    for size in hidden_sizes:
        layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def count_parameters(model: nn.Module) -> int:
    """Return the number of trainable parameters (weights and biases) of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """Return the ``nn.Linear`` layers of ``model`` in forward order."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]
