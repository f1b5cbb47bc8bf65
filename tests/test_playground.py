"""Tests for dlbook.playground: the recorded run, zero gradients of the zero net, symmetry, ordering, plateaus."""

import pytest
import torch

from dlbook.initialization import initialize_
from dlbook.models import build_mlp, linear_layers
import math

from torch import nn

from dlbook.playground import (loss_and_accuracy, loss_gradient_norm, lowest_perturbed_loss, plateau_length,
                               train_toy)
from dlbook.probes import max_unit_difference
from dlbook.toydata import make_toy_data, truth_table


def data():
    return make_toy_data("gaussians", n=41, seed=0)


def test_record_lengths_and_snapshots():
    x, y = data()
    net = initialize_(build_mlp(2, (3,), 1).double(), "default", seed=0)
    run = train_toy(net, x, y, lr=0.1, n_iters=7, snapshot_every=3, probes={"one": lambda m: 1.0})
    assert len(run.loss) == len(run.accuracy) == len(run.probes["one"]) == 8
    assert all(len(v) == 7 for v in run.grad_norms.values())
    assert [i for i, _ in run.snapshots] == [0, 3, 6, 7]
    assert run.loss[-1] == pytest.approx(loss_and_accuracy(net, x, y)[0])
    assert run.loss[-1] < run.loss[0]
    run = train_toy(net, x, y, lr=0.1, n_iters=7, snapshot_every=3, snapshot_at=[1, 2, 3])
    assert [i for i, _ in run.snapshots] == [0, 1, 2, 3, 6, 7]
    with pytest.raises(ValueError, match="snapshot_at"):
        train_toy(net, x, y, lr=0.1, n_iters=7, snapshot_at=[8])


def test_same_seed_same_history_minibatch():
    x, y = data()
    runs = [train_toy(initialize_(build_mlp(2, (4,), 1).double(), "default", seed=2), x, y, lr=0.3,
                      n_iters=12, batch_size=5, seed=1) for _ in range(2)]
    assert runs[0].loss == runs[1].loss  # the same operations twice in one process: bit-identical


def test_zero_relu_net_only_output_bias_moves():
    x, y = data()  # 20 of 41 points are class 1: the output bias has a gradient
    net = initialize_(build_mlp(2, (4, 4), 1, activation="relu").double(), "zero")
    run = train_toy(net, x, y, lr=0.5, n_iters=25)
    # Exactly zero on any processor: every term of these gradients is a product with an exact zero
    # (zero weights or zero activations), and sums of zeros are zero in IEEE arithmetic.
    assert all(v == 0.0 for k, s in run.grad_norms.items() if k != "3.bias" for v in s)
    assert min(run.grad_norms["3.bias"]) > 0
    assert all(p.eq(0).all() for n, p in net.named_parameters() if n != "4.bias")


#: Rounding allowance for the symmetry check, relative to the size of a layer's weights. Units that are
#: equal in exact arithmetic can differ by rounding: a matrix product may sum the rows of one layer in
#: different orders (vectorized kernels treat edge rows apart), and that depends on the processor; an
#: AMD CPU left 1.5e-21 where an Intel one left 0. Thirty float64 updates of small sums stay far
#: below 1e3 epsilons; a broken symmetry is many orders of magnitude above it (see the noisy run).
SYMMETRY_RTOL = 1e3 * torch.finfo(torch.float64).eps


def asymmetry(layer: torch.nn.Linear) -> float:
    """The largest difference between two units of ``layer``, relative to its largest weight or bias."""
    scale = max(float(layer.weight.detach().abs().max()), float(layer.bias.detach().abs().max()))
    return max_unit_difference(layer) / scale


def test_zero_sigmoid_net_stays_symmetric_up_to_rounding():
    x, y = data()
    net = initialize_(build_mlp(2, (3, 3), 1, activation="sigmoid").double(), "zero")
    train_toy(net, x, y, lr=2.0, n_iters=30)
    first, second = linear_layers(net)[:2]
    assert first.weight.abs().max() > 0 and second.weight.abs().max() > 0
    assert asymmetry(first) <= SYMMETRY_RTOL and asymmetry(second) <= SYMMETRY_RTOL
    noisy = initialize_(build_mlp(2, (3, 3), 1, activation="sigmoid").double(), "zero_noise", noise=1e-6, seed=0)
    train_toy(noisy, x, y, lr=2.0, n_iters=30)
    assert asymmetry(linear_layers(noisy)[0]) > 1e6 * SYMMETRY_RTOL  # the check can fail


def test_sorted_order_visits_class_zero_first():
    x, y = data()  # 21 points of class 0, 20 of class 1
    batches = []
    net = build_mlp(2, (2,), 1).double()
    net.register_forward_pre_hook(lambda m, inp: batches.append(inp[0]) if len(inp[0]) < len(x) else None)
    train_toy(net, x, y, lr=0.1, n_iters=6, batch_size=7, order="sorted")
    labels = [[int(y[(x == row).all(dim=1)][0]) for row in batch] for batch in batches]
    assert [len(b) for b in labels] == [7, 7, 7, 7, 7, 6]
    assert all(set(b) == {0} for b in labels[:3]) and all(set(b) == {1} for b in labels[3:])


def test_hidden_layer_fits_xor_and_linear_model_does_not():
    x, y = truth_table("xor")
    net = initialize_(build_mlp(2, (8,), 1).double(), "default", seed=0)
    run = train_toy(net, x, y, lr=0.5, n_iters=100)
    # an accuracy is a count over four points: exact; every logit is on its side by a wide margin,
    # so no rounding difference between processors can move a point across the boundary
    assert run.accuracy[-1] == 1.0
    with torch.no_grad():
        assert float(((2 * y - 1) * net(x.double()).squeeze(1)).min()) > 1.0
    linear = initialize_(build_mlp(2, (), 1).double(), "default", seed=0)
    assert train_toy(linear, x, y, lr=0.5, n_iters=100).accuracy[-1] < 1.0


def test_plateau_length_and_bad_input():
    assert plateau_length([1.0, 0.99, 0.95, 0.85, 0.5], rel_drop=0.1) == 3
    assert plateau_length([1.0, 1.0], rel_drop=0.1) == 2
    # measured from a reference level: the quick fall from 1.2 to 0.7 is not the end of the plateau
    assert plateau_length([1.2, 0.7, 0.69, 0.69, 0.5], rel_drop=0.05, reference=0.69) == 4
    assert plateau_length([1.2, 0.7, 0.69, 0.69, 0.5], rel_drop=0.05) == 1
    with pytest.raises(ValueError, match="reference"):
        plateau_length([1.0], reference=0.0)
    with pytest.raises(ValueError):
        plateau_length([])
    x, y = data()
    with pytest.raises(ValueError, match="order"):
        train_toy(build_mlp(2, (2,), 1).double(), x, y, lr=0.1, n_iters=1, order="reverse")
    with pytest.raises(ValueError, match="batch_size"):
        train_toy(build_mlp(2, (2,), 1).double(), x, y, lr=0.1, n_iters=1, batch_size=0)


def test_perturbations_tell_a_minimum_from_a_saddle():
    x = torch.tensor([[-1.0], [1.0]], dtype=torch.float64)
    y = torch.tensor([0, 1])
    # w2 * w1 * x at w = 0: a saddle (the loss falls where w2 * w1 > 0), with zero gradient
    saddle = nn.Sequential(nn.Linear(1, 1, bias=False), nn.Linear(1, 1, bias=False)).double()
    for layer in saddle:
        nn.init.zeros_(layer.weight)
    assert loss_gradient_norm(saddle, x, y) == 0.0  # every term is a product with an exact zero weight
    assert lowest_perturbed_loss(saddle, x, y, radius=0.1, n_tries=50) < math.log(2) - 1e-4
    # one linear unit on XOR at w = 0, b = 0: the global minimum of a convex loss
    xor_x, xor_y = truth_table("xor")
    linear = initialize_(build_mlp(2, (), 1).double(), "zero")
    assert loss_gradient_norm(linear, xor_x, xor_y) < 1e-15
    assert lowest_perturbed_loss(linear, xor_x, xor_y, radius=0.1, n_tries=50) > math.log(2)
    assert linear[0].weight.eq(0).all()  # the model itself is left unchanged
    with pytest.raises(ValueError, match="positive"):
        lowest_perturbed_loss(linear, xor_x, xor_y, radius=0.0, n_tries=5)


def test_batch_of_sigmoid_nets_matches_train_toy():
    from dlbook.playground import stack_parameters, train_sigmoid_batch

    x, y = data()
    subsets = [torch.ones(len(y), dtype=torch.bool), torch.arange(len(y)) % 3 != 0]
    nets = [initialize_(build_mlp(2, (4, 3), 1, activation="sigmoid").double(), "default", seed=s)
            for s in (0, 1)]
    lrs = [0.5, 2.0]
    weights = torch.stack([k.double() / k.sum() for k in subsets])
    run = train_sigmoid_batch(stack_parameters(nets), x, y, weights, torch.tensor(lrs), 6)
    assert run.loss.shape == run.accuracy.shape == (7, 2)
    for b, (net, keep, lr) in enumerate(zip(nets, subsets, lrs)):
        ref = train_toy(net, x[keep], y[keep], lr=lr, n_iters=6)
        assert run.loss[:, b].tolist() == pytest.approx(ref.loss, abs=1e-12)
        assert run.accuracy[:, b].tolist() == pytest.approx(ref.accuracy, abs=1e-12)
        final = stack_parameters([net])
        for (w, bias), (w_ref, b_ref) in zip(run.params, final):
            assert torch.allclose(w[b], w_ref[0], atol=1e-12) and torch.allclose(bias[b], b_ref[0], atol=1e-12)


def test_batch_tells_settling_from_swinging():
    from dlbook.playground import stack_parameters, train_sigmoid_batch

    # one output bias on a constant input, a quarter of the labels 0: the loss is a function of one
    # variable with curvature p(1 - p) = 3/16 at its minimum, so steps below 32/3 settle and
    # steps above swing between two states
    x, y = torch.zeros(4, 1, dtype=torch.float64), torch.tensor([1, 1, 1, 0])
    net = nn.Linear(1, 1).double()
    with torch.no_grad():
        net.weight.zero_()
        net.bias.fill_(0.0)
    params = stack_parameters([net, net])
    run = train_sigmoid_batch(params, x, y, torch.full((2, 4), 0.25, dtype=torch.float64),
                              torch.tensor([2.0, 12.0]), 40)
    one_back, two_back = run.step_back
    assert one_back[0] < two_back[0]  # settles
    assert one_back[1] > 100 * two_back[1]  # swings between two states
    with pytest.raises(ValueError, match="sample_weight"):
        train_sigmoid_batch(params, x, y, torch.ones(3, 4), torch.tensor([1.0, 1.0]), 5)
    with pytest.raises(ValueError, match="at least 2"):
        train_sigmoid_batch(params, x, y, torch.ones(2, 4) / 4, torch.tensor([1.0, 1.0]), 1)
    with pytest.raises(ValueError, match="same number"):
        stack_parameters([])
