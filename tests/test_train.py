"""Tests for dlbook.train: the loop learns, is reproducible, and evaluation counts correctly."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook.models import build_mlp
from dlbook.runtime import seed_everything
from dlbook.train import History, evaluate, predict, train


def _blobs(n: int = 200, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Three well separated Gaussian blobs in 2-D: a tiny problem any small MLP can learn."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    centers = torch.tensor([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    return centers[y] + 0.5 * torch.randn(n, 2, generator=g), y


def _fit(seed: int, n_epochs: int = 5) -> tuple[nn.Module, History]:
    x, y = _blobs()
    seed_everything(seed)
    model = build_mlp(2, [16], 3, dropout=0.1)
    history = train(model, x, y, torch.optim.SGD(model.parameters(), lr=0.1), n_epochs, 32,
                    val=(x[:50], y[:50]), seed=seed)
    return model, history


def test_loop_lowers_the_loss_on_a_tiny_problem():
    _, history = _fit(seed=0, n_epochs=20)
    assert len(history.train_loss) == len(history.val_acc) == len(history.epoch_seconds) == 20
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert history.train_acc[-1] > 0.95 and history.val_acc[-1] > 0.95


def test_same_seed_gives_identical_weights_and_history():
    (model_a, hist_a), (model_b, hist_b) = _fit(seed=3), _fit(seed=3)
    for p, q in zip(model_a.parameters(), model_b.parameters()):
        assert torch.equal(p, q)
    # the same operations twice in one process: bit-identical on any processor
    assert hist_a.train_loss == hist_b.train_loss and hist_a.val_acc == hist_b.val_acc


def test_different_seeds_give_different_weights():
    (model_a, _), (model_b, _) = _fit(seed=1), _fit(seed=2)
    assert not torch.equal(model_a[0].weight, model_b[0].weight)


def test_evaluate_matches_a_hand_count():
    # Logits are the inputs themselves, so the predicted class is the argmax of each row.
    model = nn.Sequential(nn.Identity(), nn.Linear(3, 3))
    with torch.no_grad():
        model[1].weight.copy_(torch.eye(3))
        model[1].bias.zero_()
    x = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 5.0], [1.0, 3.0, 0.0]])
    y = torch.tensor([0, 2, 2, 0])  # rows 0 and 2 right, rows 1 and 3 wrong: 2 of 4
    loss, acc = evaluate(model, x, y, batch_size=3)  # batches of 3 and 1 must add up correctly
    assert acc == 0.5  # 2 of 4: a count, exact
    assert loss == pytest.approx(float(F.cross_entropy(x, y)), rel=1e-6)
    assert predict(model, x, batch_size=2).tolist() == [0, 1, 2, 1]


def test_evaluate_restores_training_mode():
    model = build_mlp(2, [4], 3, dropout=0.5)
    model.train()
    evaluate(model, torch.zeros(4, 2), torch.zeros(4, dtype=torch.long))
    assert model.training


def test_one_hot_targets_train_without_accuracy():
    x, y = _blobs(60)
    model = build_mlp(2, [8], 3)
    history = train(model, x, F.one_hot(y, 3).float(), torch.optim.SGD(model.parameters(), lr=0.1), 2, 16)
    assert len(history.train_loss) == 2 and history.train_acc == [] and history.val_loss == []


@pytest.mark.parametrize(("n_epochs", "batch_size", "n_y"), [(0, 8, 10), (1, 0, 10), (1, 8, 9)])
def test_bad_arguments_raise(n_epochs, batch_size, n_y):
    model = build_mlp(2, [4], 3)
    with pytest.raises(ValueError):
        train(model, torch.zeros(10, 2), torch.zeros(n_y, dtype=torch.long),
              torch.optim.SGD(model.parameters(), lr=0.1), n_epochs, batch_size)
