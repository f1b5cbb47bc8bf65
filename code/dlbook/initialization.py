"""Initialization schemes for the linear layers of a network: PyTorch's default, all-zero, constant bias, tiny noise."""

from __future__ import annotations

import torch
from torch import nn

from dlbook.models import linear_layers
from dlbook.seeds import book_seed

#: Names accepted by :func:`initialize_`.
SCHEMES = ("default", "zero", "constant_bias", "zero_noise")


@torch.no_grad()
def initialize_(
    model: nn.Module,
    scheme: str,
    *,
    seed: int = 0,
    bias: float = 0.1,
    noise: float = 1e-3,
) -> nn.Module:
    """Re-initialize every ``nn.Linear`` of ``model`` in place and return ``model``.

    ``default``: PyTorch's own random initialization (uniform, scaled by fan-in), drawn from
    ``seed``. ``zero``: every weight and bias 0. ``constant_bias``: weights 0, every bias ``bias``
    (the Playground's default bias is 0.1). ``zero_noise``: biases 0, weights drawn from
    ``N(0, noise^2)`` with ``seed`` - the smallest change that breaks the symmetry of ``zero``.
    The global random state is left untouched.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if noise <= 0:
        raise ValueError(f"noise must be positive, got {noise}")
    layers = linear_layers(model)
    if not layers:
        raise ValueError("model has no nn.Linear layer to initialize")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(book_seed(seed))
        for layer in layers:
            if scheme == "default":
                layer.reset_parameters()
            elif scheme == "zero_noise":
                layer.weight.normal_(0.0, noise)
            else:
                layer.weight.zero_()
            if layer.bias is not None and scheme != "default":
                layer.bias.fill_(bias if scheme == "constant_bias" else 0.0)
    return model
