"""Tests for dlbook.initialization: the four schemes, seeding, and bad input."""

import pytest
import torch

from dlbook.initialization import initialize_
from dlbook.models import build_mlp, linear_layers


def net():
    return build_mlp(2, (4, 3), 1).double()


def test_zero_and_constant_bias():
    for scheme, bias in [("zero", 0.0), ("constant_bias", 0.1)]:
        for layer in linear_layers(initialize_(net(), scheme, bias=0.1)):
            assert layer.weight.eq(0).all() and layer.bias.eq(bias).all()


def test_zero_noise_is_small_random_and_seeded():
    a = initialize_(net(), "zero_noise", noise=1e-3, seed=5)
    b = initialize_(net(), "zero_noise", noise=1e-3, seed=5)
    w = linear_layers(a)[0].weight
    assert torch.equal(w, linear_layers(b)[0].weight)
    assert 0 < w.abs().max() < 1e-2 and linear_layers(a)[0].bias.eq(0).all()


def test_default_is_seeded_and_leaves_global_rng_alone():
    a = net()
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    initialize_(a, "default", seed=1)
    assert torch.equal(torch.rand(1), expected)
    b = initialize_(net(), "default", seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert linear_layers(a)[0].weight.abs().min() > 0


def test_bad_input():
    with pytest.raises(ValueError, match="scheme"):
        initialize_(net(), "orthogonal")
    with pytest.raises(ValueError, match="nn.Linear"):
        initialize_(torch.nn.ReLU(), "zero")
