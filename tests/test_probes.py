"""Tests for dlbook.probes: gradient norms, dead units, symmetry between units and rank."""

import pytest
import torch
from torch import nn

from dlbook.models import build_mlp, linear_layers
from dlbook.probes import dead_unit_fraction, gradient_norms, hidden_preactivations, matrix_rank, max_unit_difference


def test_gradient_norms_match_autograd():
    torch.manual_seed(0)
    net = build_mlp(2, (3,), 1).double()
    assert gradient_norms(net)["1.weight"] == 0.0  # no backward yet: no arithmetic, exactly 0
    net(torch.randn(5, 2, dtype=torch.float64)).sum().backward()
    norms = gradient_norms(net)
    assert set(norms) == {"1.weight", "1.bias", "2.weight", "2.bias"}
    assert norms["2.bias"] == pytest.approx(5.0)
    assert norms["1.weight"] == pytest.approx(float(net[0].weight.grad.norm()))


def test_dead_unit_fraction_known_answers():
    net = build_mlp(2, (4, 2), 1).double()
    x = torch.randn(20, 2, dtype=torch.float64)
    with torch.no_grad():
        for layer in linear_layers(net)[:2]:
            layer.weight.zero_()
        net[0].bias.fill_(-100.0)
        net[2].bias.fill_(100.0)
    # fractions of counts; with zero weights every pre-activation is exactly -100 or +100
    assert dead_unit_fraction(net, x, layer=1) == 1.0
    assert dead_unit_fraction(net, x, layer=2) == 0.0
    assert dead_unit_fraction(net, x) == pytest.approx(4 / 6)
    assert [p.shape for p in hidden_preactivations(net, x)] == [(20, 4), (20, 2)]
    with pytest.raises(ValueError, match="layer"):
        dead_unit_fraction(net, x, layer=3)


def test_symmetry_and_rank():
    layer = nn.Linear(3, 4).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([1.0, -2.0, 0.5]).expand(4, 3))
        layer.bias.fill_(0.3)
    assert max_unit_difference(layer) == 0.0 and matrix_rank(layer.weight) == 1  # copied rows: x - x == 0 exactly
    with torch.no_grad():
        layer.bias[2] = 0.8
        layer.weight[1, 0] = 3.0
    assert max_unit_difference(layer) == pytest.approx(2.0)
    assert matrix_rank(layer.weight) == 2
    assert matrix_rank(torch.zeros(3, 2)) == 0
    with pytest.raises(ValueError, match="2-D"):
        matrix_rank(torch.zeros(3))
