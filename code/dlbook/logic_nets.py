"""Hand-built ReLU networks for the OR and XOR gates, as ordinary ``torch.nn`` modules."""

from __future__ import annotations

import torch
from torch import nn

#: OR: f(x) = ReLU(x1 + x2) - no hidden layer.
OR_WEIGHTS = {"weight": [[1.0, 1.0]], "bias": [0.0]}

#: XOR: h1 = ReLU(x1 + x2), h2 = ReLU(x1 + x2 - 1), f = h1 - 2 h2.
XOR_WEIGHTS = {
    "hidden.weight": [[1.0, 1.0], [1.0, 1.0]],
    "hidden.bias": [0.0, -1.0],
    "output.weight": [[1.0, -2.0]],
    "output.bias": [0.0],
}


def _linear(weight: list[list[float]], bias: list[float], dtype: torch.dtype) -> nn.Linear:
    w = torch.tensor(weight, dtype=dtype)
    layer = nn.Linear(w.shape[1], w.shape[0], dtype=dtype)
    with torch.no_grad():
        layer.weight.copy_(w)
        layer.bias.copy_(torch.tensor(bias, dtype=dtype))
    return layer


def build_or_net(dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """Return ``ReLU(x1 + x2)``: one ``nn.Linear(2, 1)`` with weights (1, 1), bias 0, then ReLU. Input ``(B, 2)``, output ``(B, 1)``."""
    return nn.Sequential(_linear(OR_WEIGHTS["weight"], OR_WEIGHTS["bias"], dtype), nn.ReLU())


def build_xor_net(dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """Return the 2-2-1 XOR network ``h = ReLU(W1 x + b1)``, ``f = W2 h + b2`` (:data:`XOR_WEIGHTS`). Input ``(B, 2)``, output ``(B, 1)``."""
    hidden = _linear(XOR_WEIGHTS["hidden.weight"], XOR_WEIGHTS["hidden.bias"], dtype)
    output = _linear(XOR_WEIGHTS["output.weight"], XOR_WEIGHTS["output.bias"], dtype)
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
