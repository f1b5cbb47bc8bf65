"""CNN builders: shapes, equal parameter counts of both variants, training on tiny data, bad input."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook.cnn import Recipe, build_cnn, train_cnn
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


def _toy_data(n=256, seed=0):
    # Two classes: a bright square in the top-left or in the bottom-right corner.
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = 0.1 * torch.rand(n, 1, 12, 12, generator=g)
    x[y == 0, :, 1:5, 1:5] += 1.0
    x[y == 1, :, 7:11, 7:11] += 1.0
    return x, y


def test_train_cnn_learns_a_toy_task_and_is_repeatable():
    x, y = _toy_data(128)
    recipe = Recipe(n_epochs=3, batch_size=32, max_lr=0.01)
    model, history = train_cnn(x, y, recipe, seed=0, channels=(4,), val=(x, y))
    assert history.val_acc[-1] > 0.95
    assert not model.training
    _, again = train_cnn(x, y, recipe, seed=0, channels=(4,), val=(x, y))
    assert again.train_loss == history.train_loss


@pytest.mark.parametrize("recipe", [Recipe(n_epochs=0), Recipe(label_smoothing=1.0), Recipe(label_smoothing=-0.1)])
def test_train_cnn_rejects_bad_recipe(recipe):
    x, y = _toy_data(16)
    with pytest.raises(ValueError, match="recipe"):
        train_cnn(x, y, recipe, seed=0)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_train_cnn_minimizes_label_smoothed_cross_entropy(smoothing):
    from dlbook.runtime import seed_everything

    x, y = _toy_data(64)
    recipe = Recipe(n_epochs=1, batch_size=len(x), label_smoothing=smoothing)
    _, history = train_cnn(x, y, recipe, seed=0, channels=(2,))
    seed_everything(0)  # the same initial weights as train_cnn's; one full batch, so its loss is the initial one
    with torch.no_grad():
        expected = F.cross_entropy(build_cnn((2,), image_size=x.shape[-1]).train()(x), y, label_smoothing=smoothing)
    assert history.train_loss[0] == pytest.approx(expected.item(), rel=1e-5)


def test_trained_cnn_stores_and_reloads_the_same_network(private_store):
    from dlbook import cnn as cnn_module
    from dlbook.preprocess import MnistSplits

    x, y = _toy_data(64)
    data = MnistSplits(x, y, x[:16], y[:16], x[:16], y[:16])
    recipe = Recipe(n_epochs=1, batch_size=16)
    first, history = cnn_module.trained_cnn(data, recipe, seed=0, channels=(2,))
    assert len(list(private_store.glob("*.pt"))) == 1
    second, again = cnn_module.trained_cnn(data, recipe, seed=0, channels=(2,))
    assert again.train_loss == history.train_loss
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))
    cnn_module.trained_cnn(data, Recipe(n_epochs=1, batch_size=16, label_smoothing=0.1), seed=0, channels=(2,))
    assert len(list(private_store.glob("*.pt"))) == 2  # the smoothing is part of the stored name


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
