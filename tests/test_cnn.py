"""CNN builders: shapes, equal parameter counts of both variants, the extra convolution, bad input."""

import pytest
import torch
from torch import nn

from dlbook.cnn import build_cnn
from dlbook.models import count_parameters


@pytest.mark.parametrize("downsample", ["maxpool", "stride"])
@pytest.mark.parametrize("channels", [(4,), (4, 8), (4, 8, 16)])
def test_output_shape(downsample, channels):
    model = build_cnn(channels, downsample)
    assert model(torch.rand(3, 1, 28, 28)).shape == (3, 10)


def test_variants_share_parameter_count_and_feature_sizes():
    pool, stride = build_cnn((4, 8, 16), "maxpool"), build_cnn((4, 8, 16), "stride")
    assert count_parameters(pool) == count_parameters(stride)
    x = torch.rand(2, 1, 28, 28)
    sizes = [m(x).shape for m in (pool[:-3], stride[:-3])]
    assert sizes[0] == sizes[1] == (2, 16, 4, 4)
    assert any(isinstance(m, nn.MaxPool2d) for m in pool) and not any(isinstance(m, nn.MaxPool2d) for m in stride)


def test_dropout_sits_before_the_classifier():
    model = build_cnn((4,), dropout=0.3)
    assert isinstance(model[-2], nn.Dropout) and model[-2].p == 0.3


@pytest.mark.parametrize("kwargs,match", [
    (dict(downsample="avg"), "downsample"),
    (dict(channels=()), "channels"),
    (dict(channels=(4, 0)), "channels"),
    (dict(dropout=1.0), "dropout"),
    (dict(final_conv_channels=-1), "final_conv_channels"),
    (dict(final_conv_channels=2.0), "final_conv_channels"),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_cnn(**kwargs)


@pytest.mark.parametrize("downsample", ["maxpool", "stride"])
def test_final_conv_keeps_the_smallest_maps_and_both_variants_equal(downsample):
    model = build_cnn((4, 8), downsample, final_conv_channels=12)
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    assert len(convs) == 3 and convs[-1].stride == (1, 1) and convs[-1].out_channels == 12
    assert model[:-3](torch.rand(2, 1, 28, 28)).shape == (2, 12, 7, 7)
    assert model(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    other = build_cnn((4, 8), "stride" if downsample == "maxpool" else "maxpool", final_conv_channels=12)
    assert count_parameters(model) == count_parameters(other)
    assert count_parameters(model) == count_parameters(build_cnn((4, 8), downsample)) + (
        12 * 8 * 9 + 2 * 12 + (12 - 8) * 7 * 7 * 10)
