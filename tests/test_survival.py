"""Tests for dlbook.survival: batched ReLU training makes train_toy's updates; dead layers stay dead."""

import pytest
import torch

from dlbook.initialization import initialize_
from dlbook.models import build_mlp, linear_layers
from dlbook.playground import train_toy
from dlbook.probes import dead_unit_fraction
from dlbook.survival import batch_logits, stack_mlps, train_relu_batch, visiting_order
from dlbook.toydata import make_toy_data


def data():
    return make_toy_data("circle", n=40, noise=0.05, seed=0)


def nets(seeds, hidden=(5, 4)):
    return [initialize_(build_mlp(2, hidden, 1).double(), "default", seed=s) for s in seeds]


@pytest.mark.parametrize("order", ["shuffle", "sorted"])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_batch_makes_the_updates_of_train_toy(order, activation):
    x, y = data()
    seeds, lrs, n_iters = (0, 1, 2), (0.3, 1.0, 0.5), 17  # 17 updates: past one epoch of 8
    models = [initialize_(build_mlp(2, (5, 4), 1, activation=activation).double(), "default", seed=s)
              for s in seeds]
    slope = torch.nn.LeakyReLU().negative_slope if activation == "leaky_relu" else 0.0
    batches = torch.stack([visiting_order(y, n_iters, 5, order, s) for s in seeds])
    run = train_relu_batch(stack_mlps(models), x, y, torch.tensor(lrs, dtype=torch.float64), batches,
                           negative_slope=slope)
    assert [a.shape for a in run.alive] == [(n_iters + 1, 3, 5), (n_iters + 1, 3, 4)]
    for i, (model, lr, seed) in enumerate(zip(models, lrs, seeds)):
        ref = train_toy(model, x, y, lr=lr, n_iters=n_iters, batch_size=5, order=order, seed=seed,
                        probes={f"dead{l}": (lambda m, l=l: dead_unit_fraction(m, x, layer=l)) for l in (1, 2)})
        for l, alive in enumerate(run.alive, start=1):
            dead = 1 - alive[:, i].double().mean(dim=1)
            assert dead.tolist() == pytest.approx(ref.probes[f"dead{l}"], abs=1e-12)
        assert run.accuracy[:, i].tolist() == pytest.approx(ref.accuracy, abs=1e-12)
        for (w, b), layer in zip(run.params, linear_layers(model)):
            torch.testing.assert_close(w[i], layer.weight.detach(), rtol=0, atol=1e-12)
            torch.testing.assert_close(b[i], layer.bias.detach(), rtol=0, atol=1e-12)


def test_record_every_keeps_every_kth_state_and_the_last():
    x, y = data()
    start, batches = stack_mlps(nets((0, 1))), torch.stack([visiting_order(y, 10, 5, "sorted", s) for s in (0, 1)])
    full = train_relu_batch(start, x, y, 0.5, batches)
    some = train_relu_batch(start, x, y, 0.5, batches, record_every=4)
    for a, b in zip(full.alive, some.alive):
        assert torch.equal(a[[0, 4, 8, 10]], b)
    assert torch.equal(full.accuracy[[0, 4, 8, 10]], some.accuracy)
    assert torch.equal(full.weight_grad, some.weight_grad)
    with pytest.raises(ValueError, match="record_every"):
        train_relu_batch(start, x, y, 0.5, batches, record_every=0)
    with pytest.raises(ValueError, match="negative_slope"):
        train_relu_batch(start, x, y, 0.5, batches, negative_slope=-0.1)


def test_visiting_order():
    _, y = data()
    order = visiting_order(y, 10, 5, "sorted", 0)
    assert order.shape == (10, 5)
    assert torch.equal(order[:8].flatten(), torch.argsort(y, stable=True))  # one epoch: class 0 first
    assert torch.equal(order[8:], order[:2])
    shuffled = visiting_order(y, 16, 5, "shuffle", 3)
    assert sorted(shuffled[:8].flatten().tolist()) == list(range(40))  # each epoch: a permutation
    assert not torch.equal(shuffled[:8], shuffled[8:])
    assert torch.equal(shuffled, visiting_order(y, 16, 5, "shuffle", 3))
    with pytest.raises(ValueError, match="batch_size"):
        visiting_order(y, 10, 7, "sorted", 0)
    with pytest.raises(ValueError, match="order"):
        visiting_order(y, 10, 5, "random", 0)


def test_a_dead_layer_stays_dead_and_gets_no_gradient():
    x, y = data()
    models = nets((0, 1))
    with torch.no_grad():
        linear_layers(models[0])[1].bias.fill_(-100.0)  # the whole second layer of network 0 dead
    start = stack_mlps(models)
    run = train_relu_batch(start, x, y, 1.0, torch.stack([visiting_order(y, 12, 5, "sorted", s) for s in (0, 1)]))
    assert not run.alive[1][:, 0].any()
    assert run.weight_grad[:, 0].eq(0).all() and run.weight_grad[:, 1].gt(0).any()
    for (w, _), (w0, _) in zip(run.params, start):
        assert torch.equal(w[0], w0[0])  # no weight of network 0 moved
    assert torch.equal(start[1][1][0], linear_layers(models[0])[1].bias)  # stack_mlps copies; training copies


def test_stack_mlps_checks_shapes():
    with pytest.raises(ValueError, match="same layer sizes"):
        stack_mlps([build_mlp(2, (3,), 1), build_mlp(2, (4,), 1)])
    with pytest.raises(ValueError, match="empty"):
        stack_mlps([])
    with pytest.raises(ValueError, match="batches"):
        x, y = data()
        train_relu_batch(stack_mlps(nets((0,))), x, y, 0.1, torch.zeros(2, 3, 5, dtype=torch.long))


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_batch_logits_are_the_models_logits(activation):
    x, _ = data()
    models = [initialize_(build_mlp(2, (5, 4), 1, activation=activation).double(), "default", seed=s)
              for s in (0, 1)]
    slope = 0.01 if activation == "leaky_relu" else 0.0
    logits = batch_logits(stack_mlps(models), x, negative_slope=slope)
    for i, model in enumerate(models):
        torch.testing.assert_close(logits[i], model(x).detach().squeeze(1), rtol=0, atol=1e-12)
