"""Convolution arithmetic: output sizes, parameter counts, coverage maps, shape traces and multiply-adds."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


def _check_int(name: str, value: int, minimum: int) -> None:
    """Raise ValueError unless ``value`` is an int (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1, ceil_mode: bool = False
) -> int:
    """Return the output length along one axis of a convolution or pooling window.

    ``floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1``; with ``ceil_mode``
    the division rounds up, but (as in PyTorch pooling) the last window must start inside the
    input or the left padding. Raises ValueError when the (dilated) kernel does not fit in the
    padded input, or when a setting is not a positive integer (``padding`` may be 0).
    """
    _check_int("size", size, 1)
    _check_int("kernel", kernel, 1)
    _check_int("stride", stride, 1)
    _check_int("padding", padding, 0)
    _check_int("dilation", dilation, 1)
    span = dilation * (kernel - 1) + 1
    padded = size + 2 * padding
    if span > padded:
        raise ValueError(
            f"the kernel spans {span} pixels (kernel={kernel}, dilation={dilation}) but the padded "
            f"input has only {padded} (size={size}, padding={padding}); expected span <= padded size"
        )
    steps = padded - span
    out = (-(-steps // stride) if ceil_mode else steps // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def pool_output_size(
    size: int, kernel: int, stride: int | None = None, padding: int = 0, dilation: int = 1, ceil_mode: bool = False
) -> int:
    """Return the output length of a pooling window along one axis (``stride`` defaults to ``kernel``).

    Pooling follows the same arithmetic as :func:`conv_output_size`; PyTorch also requires
    ``padding <= kernel // 2``, which is checked here with a ValueError.
    """
    stride = kernel if stride is None else stride
    _check_int("kernel", kernel, 1)
    _check_int("padding", padding, 0)
    if padding > kernel // 2:
        raise ValueError(f"pooling padding must be at most kernel // 2 = {kernel // 2}, got {padding}")
    return conv_output_size(size, kernel, stride, padding, dilation, ceil_mode)


def conv_param_count(in_channels: int, out_channels: int, kernel: int | tuple[int, int],
                     bias: bool = True, groups: int = 1) -> int:
    """Return the number of weights and biases of a 2-D convolution.

    ``out_channels * (in_channels / groups) * kh * kw`` weights plus ``out_channels`` biases.
    Pooling layers have no parameters.
    """
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("kernel height", kh), ("kernel width", kw), ("groups", groups)):
        _check_int(name, value, 1)
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}")
    return out_channels * (in_channels // groups) * kh * kw + (out_channels if bias else 0)


def coverage_map(size: int, kernel: int, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """Return a ``(size, size)`` int64 map: how many kernel positions cover each input pixel.

    The kernel slides over the zero-padded ``size x size`` input with the given stride; a pixel
    counts once for every window position whose ``kernel x kernel`` footprint contains it.
    """
    n_out = conv_output_size(size, kernel, stride, padding)
    counts = torch.zeros(size + 2 * padding, dtype=torch.int64)
    for start in range(0, n_out * stride, stride):
        counts[start : start + kernel] += 1
    counts = counts[padding : padding + size]
    # The 2-D count factorizes: a window covers (r, c) iff its row span covers r and its column span covers c.
    return torch.outer(counts, counts)


def shape_trace(size: int, n_layers: int, kernel: int, padding: int = 0, stride: int = 1) -> list[int]:
    """Return the spatial sizes ``[size, after layer 1, ...]`` through ``n_layers`` identical convolutions.

    The trace stops early (shorter list) at the first layer whose kernel no longer fits.
    """
    _check_int("n_layers", n_layers, 0)
    _check_int("size", size, 1)
    sizes = [size]
    for _ in range(n_layers):
        try:
            sizes.append(conv_output_size(sizes[-1], kernel, stride, padding))
        except ValueError:
            break
    return sizes


def same_padding(kernel: int, dilation: int = 1) -> int:
    """Return the padding that keeps the size at stride 1: ``dilation * (kernel - 1) / 2`` (odd spans only)."""
    _check_int("kernel", kernel, 1)
    _check_int("dilation", dilation, 1)
    span = dilation * (kernel - 1)
    if span % 2:
        raise ValueError(f"an even span {span + 1} cannot be padded symmetrically to keep the size")
    return span // 2


@dataclass(frozen=True)
class LayerCost:
    """One convolution or linear layer of a network: its sizes and its multiply-adds per image."""

    kind: str  #: "convolution" or "linear"
    in_channels: int  #: input channels (input features of a linear layer)
    out_channels: int  #: filters (output features of a linear layer)
    out_size: tuple[int, int] | None  #: (height, width) of a convolution's output map; None for a linear layer
    macs: int  #: multiply-adds for one image


def layer_costs(net: nn.Module, input_shape: tuple[int, int, int] = (1, 28, 28)) -> list[LayerCost]:
    """Return the convolutions and linear layers of ``net``, in the order one forward pass runs them.

    A convolution with ``C_in`` input channels in ``groups`` groups, ``C_out`` filters of
    ``kh x kw`` and an ``H x W`` output costs ``H * W * C_out * (C_in / groups) * kh * kw``
    multiply-adds per image, a linear layer ``in_features * out_features``. The output sizes are
    measured in one forward pass of a zero image of ``input_shape`` ``(C, H, W)``, in evaluation
    mode (batch-norm statistics stay untouched) and without gradients; ``net``'s mode is restored.
    """
    if len(input_shape) != 3 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in input_shape):
        raise ValueError(f"input_shape must be three positive ints (C, H, W), got {input_shape!r}")
    costs: list[LayerCost] = []

    def record(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        if isinstance(module, nn.Conv2d):
            h, w = output.shape[-2:]
            kh, kw = module.kernel_size
            per_output = module.in_channels // module.groups * kh * kw
            costs.append(LayerCost("convolution", module.in_channels, module.out_channels, (h, w),
                                   h * w * module.out_channels * per_output))
        else:
            costs.append(LayerCost("linear", module.in_features, module.out_features, None,
                                   module.in_features * module.out_features))

    layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    if not layers:
        raise ValueError("expected a network with at least one nn.Conv2d or nn.Linear layer")
    parameter = next(net.parameters())
    handles = [m.register_forward_hook(record) for m in layers]
    was_training = net.training
    try:
        net.eval()
        with torch.no_grad():
            net(torch.zeros(1, *input_shape, dtype=parameter.dtype, device=parameter.device))
    finally:
        net.train(was_training)
        for handle in handles:
            handle.remove()
    return costs
