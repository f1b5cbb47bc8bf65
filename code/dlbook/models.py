"""Builders for fully connected networks and the initialization schemes the book compares."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, kw_only=True)
class MLP:
    """The architecture of a ReLU MLP: its hidden layer sizes and the dropout after each hidden layer.

    A :class:`dlbook.experiments.Recipe` holds one (its ``network``); training a recipe builds it
    with :meth:`build`.
    """

    hidden_sizes: tuple[int, ...]
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if not self.hidden_sizes or any(isinstance(s, bool) or not isinstance(s, int) or s < 1
                                        for s in self.hidden_sizes):
            raise ValueError(f"hidden_sizes must be a non-empty tuple of positive ints, got {self.hidden_sizes!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {self.dropout}")

    def build(self, input_shape: tuple[int, ...] = (784,), n_out: int = 10) -> nn.Sequential:
        """Return the untrained network for flat inputs of shape ``(B, n_in)``, ``n_out`` logits."""
        if len(input_shape) != 1:
            raise ValueError(f"an MLP takes flat inputs (n_in,), got input_shape={input_shape}")
        return build_mlp(input_shape[0], list(self.hidden_sizes), n_out, activation="relu", dropout=self.dropout)

    def key(self) -> str:
        """Return a file-name-safe name of the architecture, e.g. ``mlp-100x100-d0.2``."""
        return f"mlp-{'x'.join(map(str, self.hidden_sizes))}-d{self.dropout:g}"

    def label(self) -> str:
        """Return a short description for MNIST, e.g. ``784-100-10, dropout 0.1``."""
        return f"{'-'.join(str(h) for h in (784, *self.hidden_sizes, 10))}, dropout {self.dropout:g}"


def count_parameters(model: nn.Module) -> int:
    """Return the number of trainable parameters (weights and biases) of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """Return the ``nn.Linear`` layers of ``model`` in forward order."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]
