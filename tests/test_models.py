"""Tests for dlbook.models: layer structure, exact parameter counts and argument checks."""

import pytest
import torch
from torch import nn

from dlbook import models


@pytest.mark.parametrize(
    ("hidden_sizes", "expected"),
    [
        ([], 784 * 10 + 10),
        ([100], 784 * 100 + 100 + 100 * 10 + 10),  # 79,510: chapter 2D
        ([100, 100], 784 * 100 + 100 + 100 * 100 + 100 + 100 * 10 + 10),  # 89,610
        ([500, 300, 200], 784 * 500 + 500 + 500 * 300 + 300 + 300 * 200 + 200 + 200 * 10 + 10),
    ],
)
def test_count_parameters_is_exact(hidden_sizes, expected):
    assert models.count_parameters(models.build_mlp(784, hidden_sizes, 10)) == expected


def test_known_counts_by_hand():
    assert models.count_parameters(models.build_mlp(784, [100], 10)) == 79510
    assert models.count_parameters(models.build_mlp(784, [100, 100], 10)) == 89610
    assert models.count_parameters(models.build_mlp(784, [500, 300, 200], 10)) == 605010


def test_dropout_adds_no_parameters_and_frozen_ones_are_not_counted():
    plain = models.build_mlp(20, [8, 4], 3)
    with_dropout = models.build_mlp(20, [8, 4], 3, dropout=0.5)
    assert models.count_parameters(plain) == models.count_parameters(with_dropout) == 20 * 8 + 8 + 8 * 4 + 4 + 4 * 3 + 3
    plain[0].weight.requires_grad_(False)
    assert models.count_parameters(plain) == models.count_parameters(with_dropout) - 20 * 8


def test_layer_order_and_output_shape():
    model = models.build_mlp(6, [5, 4], 3, activation="tanh", dropout=0.2)
    kinds = [type(m) for m in model]
    assert kinds == [nn.Linear, nn.Tanh, nn.Dropout, nn.Linear, nn.Tanh, nn.Dropout, nn.Linear]
    assert [(l.in_features, l.out_features) for l in models.linear_layers(model)] == [(6, 5), (5, 4), (4, 3)]
    assert model(torch.zeros(7, 6)).shape == (7, 3)


@pytest.mark.parametrize(
    "kwargs",
    [dict(activation="gelu"), dict(hidden_sizes=[0]), dict(n_in=0), dict(dropout=1.0), dict(dropout=-0.1)],
)
def test_bad_arguments_raise(kwargs):
    args = dict(n_in=4, hidden_sizes=[3], n_out=2) | kwargs
    with pytest.raises(ValueError):
        models.build_mlp(**args)
