"""Convolution arithmetic against real PyTorch layers, and its errors for impossible settings."""

import itertools

import pytest
import torch
from torch import nn

from dlbook.convarith import (
    conv_output_size,
    conv_param_count,
    coverage_map,
    layer_costs,
    pool_output_size,
    same_padding,
    shape_trace,
)

SIZES = (5, 8, 13, 28, 32)
KERNELS = (1, 2, 3, 5)
STRIDES = (1, 2, 3)
PADDINGS = (0, 1, 2)
DILATIONS = (1, 2)


def _fits(size: int, kernel: int, padding: int, dilation: int = 1) -> bool:
    return dilation * (kernel - 1) + 1 <= size + 2 * padding


@pytest.mark.parametrize("size", SIZES)
def test_conv_output_size_matches_conv2d(size):
    x = torch.zeros(1, 1, size, size)
    n_checked = 0
    for kernel, stride, padding, dilation in itertools.product(KERNELS, STRIDES, PADDINGS, DILATIONS):
        if not _fits(size, kernel, padding, dilation):
            continue
        layer = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
        expected = layer(x).shape[-1]
        assert conv_output_size(size, kernel, stride, padding, dilation) == expected, (kernel, stride, padding, dilation)
        n_checked += 1
    assert n_checked > 50


@pytest.mark.parametrize("pool_cls", [nn.MaxPool2d, nn.AvgPool2d])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pool_output_size_matches_torch_pooling(pool_cls, ceil_mode):
    n_checked = 0
    for size, kernel, stride, padding in itertools.product(SIZES, (2, 3, 4), (1, 2, 3), (0, 1, 2)):
        if padding > kernel // 2 or not _fits(size, kernel, padding):
            continue
        layer = pool_cls(kernel, stride=stride, padding=padding, ceil_mode=ceil_mode)
        expected = layer(torch.zeros(1, 1, size, size)).shape[-1]
        assert pool_output_size(size, kernel, stride, padding, ceil_mode=ceil_mode) == expected, (
            size, kernel, stride, padding)
        n_checked += 1
    assert n_checked > 50


def test_pool_stride_defaults_to_kernel():
    assert pool_output_size(28, 2) == 14
    assert pool_output_size(4, 2) == nn.MaxPool2d(2)(torch.zeros(1, 1, 4, 4)).shape[-1] == 2


@pytest.mark.parametrize(
    "c_in,c_out,kernel,bias,groups",
    [(3, 8, 5, True, 1), (1, 16, 3, False, 1), (4, 8, (3, 5), True, 2), (6, 6, 3, True, 6), (32, 64, 1, True, 1)],
)
def test_conv_param_count_matches_conv2d(c_in, c_out, kernel, bias, groups):
    layer = nn.Conv2d(c_in, c_out, kernel, bias=bias, groups=groups)
    assert conv_param_count(c_in, c_out, kernel, bias=bias, groups=groups) == sum(p.numel() for p in layer.parameters())


def test_book_example_608_parameters_and_28x28x8():
    assert conv_param_count(3, 8, 5) == 608
    assert conv_output_size(32, 5) == 28


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(size=3, kernel=5), "kernel spans 5"),
        (dict(size=4, kernel=3, dilation=2), "kernel spans 5"),
        (dict(size=28, kernel=3, stride=0), "stride"),
        (dict(size=28, kernel=0), "kernel"),
        (dict(size=28, kernel=3, padding=-1), "padding"),
        (dict(size=0, kernel=1), "size"),
        (dict(size=28, kernel=3, stride=1.5), "stride"),
    ],
)
def test_conv_output_size_rejects_impossible_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        conv_output_size(**kwargs)


def test_pool_rejects_padding_over_half_kernel_like_torch():
    with pytest.raises(ValueError, match="padding"):
        pool_output_size(8, 2, padding=2)
    with pytest.raises(RuntimeError):
        nn.MaxPool2d(2, padding=2)(torch.zeros(1, 1, 8, 8))


def test_conv_param_count_rejects_bad_groups_and_sizes():
    with pytest.raises(ValueError, match="groups"):
        conv_param_count(3, 8, 3, groups=2)
    with pytest.raises(ValueError, match="in_channels"):
        conv_param_count(0, 8, 3)


@pytest.mark.parametrize("size,kernel,stride,padding", [(7, 3, 1, 0), (7, 3, 1, 1), (8, 5, 1, 2), (9, 3, 2, 1)])
def test_coverage_map_counts_positions_that_use_each_pixel(size, kernel, stride, padding):
    # Oracle: the gradient of the sum of a ones-kernel convolution w.r.t. its input counts the windows per pixel.
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    weight = torch.ones(1, 1, kernel, kernel, dtype=torch.float64)
    torch.nn.functional.conv2d(x, weight, stride=stride, padding=padding).sum().backward()
    # the gradient of a sum of convolutions with unit weights is a sum of ones: an exact small integer
    assert torch.equal(coverage_map(size, kernel, stride, padding), x.grad[0, 0].long())


def test_coverage_with_same_padding_is_uniform_except_border():
    plain = coverage_map(28, 5)
    padded = coverage_map(28, 5, padding=2)
    assert int(plain[0, 0]) == 1 and int(plain[14, 14]) == 25
    assert int(padded[0, 0]) == 9 and int(padded.max()) == 25


def test_shape_trace_with_and_without_padding():
    assert shape_trace(28, 3, 5) == [28, 24, 20, 16]
    assert shape_trace(28, 3, 5, padding=2) == [28, 28, 28, 28]
    assert shape_trace(12, 5, 5) == [12, 8, 4]  # stops when the kernel no longer fits


def test_same_padding():
    assert same_padding(5) == 2 and same_padding(3, dilation=2) == 2
    with pytest.raises(ValueError, match="even"):
        same_padding(4)


def test_layer_costs_counts_by_hand():
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.BatchNorm2d(4), nn.ReLU(),  # 28 -> 28 -> 14
        nn.Conv2d(4, 8, 3, stride=2, groups=2),  # 14 -> 6, each filter sees 2 of the 4 channels
        nn.Flatten(), nn.Linear(8 * 6 * 6, 10))
    costs = layer_costs(net)
    assert [(c.kind, c.in_channels, c.out_channels, c.out_size) for c in costs] == [
        ("convolution", 1, 4, (28, 28)), ("convolution", 4, 8, (6, 6)), ("linear", 288, 10, None)]
    assert [c.macs for c in costs] == [28 * 28 * 4 * 1 * 9, 6 * 6 * 8 * 2 * 9, 288 * 10]


def test_layer_costs_leaves_the_network_as_it_was():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2 * 26 * 26, 3)).train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    layer_costs(net)
    assert net.training and all(m.training for m in net.modules())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # copies: exact by construction
    assert not net[0]._forward_hooks


def test_layer_costs_rejects_bad_input():
    with pytest.raises(ValueError, match="three positive ints"):
        layer_costs(nn.Linear(4, 2), (4,))
    with pytest.raises(ValueError, match="at least one"):
        layer_costs(nn.Sequential(nn.ReLU()))
