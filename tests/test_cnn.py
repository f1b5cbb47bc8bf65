"""CNN builders: shapes, equal parameter counts of the three variants, the extra convolution, bad input."""

import pytest
import torch
from torch import nn

from dlbook.cnn import DOWNSAMPLING, build_cnn
from dlbook.models import count_parameters


@pytest.mark.parametrize("downsample", DOWNSAMPLING)
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


def test_avgpool_variant_matches_the_others_in_parameters_and_feature_sizes():
    models = {ds: build_cnn((4, 8, 16), ds, final_conv_channels=12) for ds in DOWNSAMPLING}
    assert len({count_parameters(m) for m in models.values()}) == 1
    avg = models["avgpool"]
    pools = [m for m in avg if isinstance(m, nn.AvgPool2d)]
    assert len(pools) == 3 and not any(isinstance(m, nn.MaxPool2d) for m in avg)
    assert [p.ceil_mode for p in pools] == [False, False, True]  # sides 28, 14, 7: ceil only where odd
    assert all(isinstance(m, nn.Conv2d) and m.stride == (1, 1) for m in avg if isinstance(m, nn.Conv2d))
    x = torch.rand(2, 1, 28, 28)
    for n_blocks, side in zip((1, 2, 3), (14, 7, 4)):
        cut = 4 * n_blocks  # Conv, Pool, BatchNorm, ReLU per block
        sizes = {ds: m[:cut - (ds == "stride") * n_blocks](x).shape for ds, m in models.items()}
        assert set(sizes.values()) == {(2, (4, 8, 16)[n_blocks - 1], side, side)}


def test_avgpool_averages_an_odd_edge_over_the_pixels_it_covers():
    model = build_cnn((1,), "avgpool", image_size=7)
    conv, pool = model[0], model[1]
    assert pool(torch.ones(1, 1, 7, 7)).equal(torch.ones(1, 1, 4, 4))  # no zero padding in the edge windows
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, 1, 1] = 1.0  # identity filter
        x = torch.arange(16.0).reshape(1, 1, 4, 4)
        expected = torch.tensor([[[[2.5, 4.5], [10.5, 12.5]]]])
        assert model[:2](x).equal(expected)


def test_dropout_sits_before_the_classifier():
    model = build_cnn((4,), dropout=0.3)
    assert isinstance(model[-2], nn.Dropout) and model[-2].p == 0.3


@pytest.mark.parametrize("kwargs,match", [
    (dict(downsample="avg"), "downsample"),
    (dict(downsample="AvgPool"), "downsample"),
    (dict(channels=()), "channels"),
    (dict(channels=(4, 0)), "channels"),
    (dict(dropout=1.0), "dropout"),
    (dict(final_conv_channels=-1), "final_conv_channels"),
    (dict(final_conv_channels=2.0), "final_conv_channels"),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_cnn(**kwargs)


@pytest.mark.parametrize("downsample", DOWNSAMPLING)
def test_final_conv_keeps_the_smallest_maps_and_both_variants_equal(downsample):
    model = build_cnn((4, 8), downsample, final_conv_channels=12)
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    assert len(convs) == 3 and convs[-1].stride == (1, 1) and convs[-1].out_channels == 12
    assert model[:-3](torch.rand(2, 1, 28, 28)).shape == (2, 12, 7, 7)
    assert model(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    for other in DOWNSAMPLING:
        assert count_parameters(model) == count_parameters(build_cnn((4, 8), other, final_conv_channels=12))
    assert count_parameters(model) == count_parameters(build_cnn((4, 8), downsample)) + (
        12 * 8 * 9 + 2 * 12 + (12 - 8) * 7 * 7 * 10)
