"""Hand-built ReLU networks for the OR and XOR gates, as ordinary ``torch.nn`` modules."""

from __future__ import annotations

import torch
from torch import nn


def _linear(weight: list[list[float]], bias: list[float], dtype: torch.dtype) -> nn.Linear:
    """Return an ``nn.Linear`` with the given weight ``(out, in)`` and bias ``(out,)``."""
    w = torch.tensor(weight, dtype=dtype)
    layer = nn.Linear(w.shape[1], w.shape[0], dtype=dtype)
    with torch.no_grad():
        layer.weight.copy_(w)
        layer.bias.copy_(torch.tensor(bias, dtype=dtype))
    return layer


def build_or_net(dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """Return OR as ``f(x) = ReLU(x1 + x2)``: no hidden layer. Input ``(B, 2)``, output ``(B, 1)``."""
    unit = _linear(weight=[[1.0, 1.0]], bias=[0.0], dtype=dtype)  # w = (1, 1), b = 0
    return nn.Sequential(unit, nn.ReLU())


def build_xor_net(dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """Return XOR as ``h1 = ReLU(x1 + x2)``, ``h2 = ReLU(x1 + x2 - 1)``, ``f = h1 - 2 h2``. Input ``(B, 2)``, output ``(B, 1)``."""
    hidden = _linear(weight=[[1.0, 1.0], [1.0, 1.0]], bias=[0.0, -1.0], dtype=dtype)
    output = _linear(weight=[[1.0, -2.0]], bias=[0.0], dtype=dtype)
    return nn.Sequential(hidden, nn.ReLU(), output)


def meets_or_spec(outputs: torch.Tensor) -> bool:
    """Return whether outputs ``(4,)`` for inputs 00, 01, 10, 11 satisfy f(0,0) = 0 and f >= 1 elsewhere."""
    if outputs.shape != (4,):
        raise ValueError(f"outputs must have shape (4,), got {tuple(outputs.shape)}")
    return bool(outputs[0] == 0 and (outputs[1:] >= 1).all())


def meets_xor_spec(outputs: torch.Tensor) -> bool:
    """Return whether outputs ``(4,)`` for inputs 00, 01, 10, 11 satisfy f = 0 on 00 and 11, f >= 1 on 01 and 10."""
    if outputs.shape != (4,):
        raise ValueError(f"outputs must have shape (4,), got {tuple(outputs.shape)}")
    return bool(outputs[0] == 0 and outputs[3] == 0 and (outputs[1:3] >= 1).all())
