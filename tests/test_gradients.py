"""The gradients that Part 1 derives by hand (1A, 1B, 1C), checked against float64 autograd.

Comparisons allow for rounding (the hand formula and autograd sum in different orders), except
where a gradient is exactly zero by construction: every one of its terms is a product with an
exact zero, which IEEE arithmetic keeps exactly zero on any processor.
"""

import pytest
import torch
import torch.nn.functional as F

from dlbook.initialization import initialize_
from dlbook.models import build_mlp, linear_layers
from dlbook.toydata import make_toy_data

RTOL = 1e3 * torch.finfo(torch.float64).eps
LEAKY_SLOPE = torch.nn.LeakyReLU().negative_slope

DERIVATIVES = {
    "relu": lambda s: (s > 0).double(),
    "leaky_relu": lambda s: torch.where(s > 0, torch.ones_like(s), torch.full_like(s, LEAKY_SLOPE)),
    "sigmoid": lambda s: torch.sigmoid(s) * (1 - torch.sigmoid(s)),
    "tanh": lambda s: 1 - torch.tanh(s) ** 2,
}
FUNCTIONS = {"relu": torch.relu, "leaky_relu": F.leaky_relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def data():
    x, y = make_toy_data("gaussians", n=41, seed=0)
    return x.double(), y


def autograd_gradients(net, x, y) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(dL/dW, dL/db) of every linear layer, L the mean binary cross-entropy of the one output logit."""
    net.zero_grad()
    F.binary_cross_entropy_with_logits(net(x).squeeze(1), y.double()).backward()
    return [(layer.weight.grad.clone(), layer.bias.grad.clone()) for layer in linear_layers(net)]


def hand_gradients(net, x, y, activation) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Backpropagation as written in 1A: dL/dW^l = delta^l (x^{l-1})^T, delta^l = f'(s^l) * (W^{l+1})^T delta^{l+1}."""
    layers = linear_layers(net)
    with torch.no_grad():
        xs, ss = [x], []
        for i, layer in enumerate(layers):
            s = xs[-1] @ layer.weight.T + layer.bias
            ss.append(s)
            xs.append(FUNCTIONS[activation](s) if i < len(layers) - 1 else s)
        delta = (torch.sigmoid(ss[-1]) - y.double()[:, None]) / len(x)  # dL/ds^L of the mean BCE
        grads = []
        for i in reversed(range(len(layers))):
            grads.append((delta.T @ xs[i], delta.sum(0)))
            if i:
                delta = DERIVATIVES[activation](ss[i - 1]) * (delta @ layers[i].weight)
    return grads[::-1]


def assert_close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    scale = max(float(expected.abs().max()), 1e-300)
    torch.testing.assert_close(actual, expected, rtol=RTOL, atol=RTOL * scale)


@pytest.mark.parametrize("activation", sorted(DERIVATIVES))
def test_backpropagation_formulas_of_1a(activation):
    x, y = data()
    net = initialize_(build_mlp(2, (5, 4), 1, activation=activation).double(), "default", seed=3)
    for (gw, gb), (hw, hb) in zip(autograd_gradients(net, x, y), hand_gradients(net, x, y, activation)):
        assert_close(gw, hw)
        assert_close(gb, hb)


def test_1a_zero_relu_net_only_the_output_bias_has_a_gradient():
    x, y = data()
    net = initialize_(build_mlp(2, (4, 4), 1, activation="relu").double(), "zero")
    grads = autograd_gradients(net, x, y)
    for gw, gb in grads[:-1]:
        assert gw.eq(0).all() and gb.eq(0).all()  # exact: products with zero weights
    assert grads[-1][0].eq(0).all()  # exact: products with zero activations
    assert_close(grads[-1][1], torch.tensor([0.5 - y.double().mean()]))  # sigma(0) - mean(y)


def test_1b_zero_sigmoid_net_first_step():
    x, y = data()
    net = initialize_(build_mlp(2, (3, 3), 1, activation="sigmoid").double(), "zero")
    grads = autograd_gradients(net, x, y)
    for gw, gb in grads[:-1]:
        assert gw.eq(0).all() and gb.eq(0).all()  # exact: the error reaches them through zero weights
    expected = 0.5 * (0.5 - y.double()).mean()  # every output weight: 1/2 * 1/N * sum_n (1/2 - y_n)
    assert_close(grads[-1][0], expected.expand(1, 3))


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_1c_dying_unit_gradient(activation):
    x, y = data()
    net = initialize_(build_mlp(2, (6,), 1, activation=activation).double(), "default", seed=1)
    with torch.no_grad():
        net[0].bias[0] = -100.0  # unit 0 is negative on every input: a dead unit
    first = linear_layers(net)[0]
    assert (x @ first.weight[0] + first.bias[0]).max() < 0
    gw, gb = autograd_gradients(net, x, y)[0]
    # eq. (eq-dying-grad): dL/dw_i = sum_n delta_{i,n} x_n, delta_{i,n} = f'(s_{i,n}) [(W^2)^T delta^2_n]_i
    with torch.no_grad():
        s = x @ first.weight.T + first.bias
        hidden = FUNCTIONS[activation](s)
        delta2 = (torch.sigmoid(hidden @ net[2].weight.T + net[2].bias) - y.double()[:, None]) / len(x)
        delta = DERIVATIVES[activation](s) * (delta2 @ net[2].weight)
    assert_close(gw, delta.T @ x)
    assert_close(gb, delta.sum(0))
    if activation == "relu":
        assert gw[0].eq(0).all() and gb[0] == 0  # exact: ReLU'(s) = 0 multiplies every term
    else:
        assert gb[0].abs() > 0  # the leaky unit still gets a gradient, LEAKY_SLOPE times a live one's
        assert_close(gb[0], LEAKY_SLOPE * net[2].weight[0, 0].item() * delta2.sum())
