"""Probes of a network's state: per-layer gradient norms, pre-activations, dead units, symmetry between units, rank."""

from __future__ import annotations

import torch
from torch import nn

from dlbook.models import linear_layers


def gradient_norms(model: nn.Module) -> dict[str, float]:
    """Return the Euclidean norm of the current ``.grad`` of each parameter, keyed ``"<layer>.weight"``/``".bias"``.

    Layers are numbered 1, 2, ... in forward order over the ``nn.Linear`` layers; a parameter
    without a gradient yet counts as 0.0.
    """
    norms = {}
    for i, layer in enumerate(linear_layers(model), start=1):
        for kind in ("weight", "bias"):
            param = getattr(layer, kind)
            if param is not None:
                norms[f"{i}.{kind}"] = 0.0 if param.grad is None else float(param.grad.norm())
    return norms


@torch.inference_mode()
def hidden_preactivations(model: nn.Sequential, x: torch.Tensor) -> list[torch.Tensor]:
    """Return the pre-activation ``(N, width)`` of every hidden ``nn.Linear`` of ``model`` on inputs ``x`` ``(N, n_in)``.

    The last ``nn.Linear`` (the output layer) is not included.
    """
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"model must be an nn.Sequential, got {type(model).__name__}")
    out = []
    h = x
    for module in model:
        h = module(h)
        if isinstance(module, nn.Linear):
            out.append(h)
    return out[:-1]


def dead_unit_fraction(model: nn.Sequential, x: torch.Tensor, layer: int | None = None) -> float:
    """Return the fraction of hidden units whose pre-activation is <= 0 on every row of ``x`` ``(N, n_in)``.

    Such a ReLU unit outputs 0 on the whole dataset and its own weights receive zero gradient; it can
    come back only if the layers below it change (chapter 1C). ``layer`` (1-based) restricts the
    count to one hidden layer; ``None`` pools all.
    """
    pre = hidden_preactivations(model, x)
    if not pre:
        raise ValueError("model has no hidden layer")
    if layer is not None:
        if not 1 <= layer <= len(pre):
            raise ValueError(f"layer must lie in 1..{len(pre)}, got {layer}")
        pre = [pre[layer - 1]]
    dead = sum(int((s <= 0).all(dim=0).sum()) for s in pre)
    return dead / sum(s.shape[1] for s in pre)


def max_unit_difference(layer: nn.Linear) -> float:
    """Return the largest absolute difference between two units of ``layer`` (rows of ``[W | b]``).

    0.0 means every unit of the layer computes the same function: the layer is symmetric.
    """
    if not isinstance(layer, nn.Linear):
        raise ValueError(f"layer must be an nn.Linear, got {type(layer).__name__}")
    with torch.no_grad():
        rows = layer.weight if layer.bias is None else torch.cat([layer.weight, layer.bias[:, None]], dim=1)
        return float((rows[:, None, :] - rows[None, :, :]).abs().max())


def matrix_rank(weight: torch.Tensor, rtol: float | None = None) -> int:
    """Return the numerical rank of a 2-D tensor (singular values above ``rtol`` times the largest).

    With ``rtol=None`` the tolerance is ``max(shape) * eps`` of the dtype, as in ``numpy.linalg.matrix_rank``.
    """
    if weight.dim() != 2:
        raise ValueError(f"weight must be a 2-D tensor, got shape {tuple(weight.shape)}")
    with torch.no_grad():
        return int(torch.linalg.matrix_rank(weight.detach(), rtol=rtol))
