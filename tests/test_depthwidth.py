"""Tests for dlbook.depthwidth: parameter counts, matched widths, the study points, paired comparisons and the plot."""

import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from dlbook import depthwidth
from dlbook.experiments import Recipe
from dlbook.models import MLP, count_parameters
from dlbook.preprocess import MnistSplits

BASE = Recipe(network=MLP(hidden_sizes=(1,)), n_epochs=2, batch_size=32, lr=0.05)


def _tiny_splits() -> MnistSplits:
    g = torch.Generator().manual_seed(0)
    y = torch.arange(150) % 3
    x = torch.nn.functional.one_hot(y, 5).float() + 0.2 * torch.rand(150, 5, generator=g)
    return MnistSplits(x[:90], y[:90], x[90:120], y[90:120], x[120:], y[120:], "tiny")


@pytest.mark.parametrize(("depth", "width"), [(1, 100), (2, 90), (3, 83), (3, 7)])
def test_n_params_matches_a_real_model(depth, width):
    model = MLP(hidden_sizes=(width,) * depth).build()
    assert depthwidth.n_params(depth, width) == count_parameters(model)


def test_matched_width_is_the_closest_count():
    budget = depthwidth.n_params(1, 100)  # 79,510
    for depth in (1, 2, 3):
        w = depthwidth.matched_width(depth, budget)
        gaps = [abs(depthwidth.n_params(depth, v) - budget) for v in (w - 1, w, w + 1)]
        assert gaps[1] == min(gaps)
    assert depthwidth.matched_width(1, budget) == 100
    with pytest.raises(ValueError):
        depthwidth.matched_width(2, 10)


def test_matched_recipes_are_budget_major_with_equal_widths():
    recipes = depthwidth.matched_recipes([1, 3], [25000, 80000], BASE)
    assert [len(r.network.hidden_sizes) for r in recipes] == [1, 3, 1, 3]
    assert all(len(set(r.network.hidden_sizes)) == 1 and r.lr == BASE.lr for r in recipes)
    with pytest.raises(ValueError):
        depthwidth.matched_recipes([], [25000], BASE)


def test_study_points_and_their_paired_difference():
    data = _tiny_splits()
    recipes = [Recipe(network=MLP(hidden_sizes=(w,) * d), n_epochs=2, batch_size=32, lr=0.05) for d, w in [(1, 6), (2, 4)]]
    points = depthwidth.run_study(recipes, data, seeds=[0, 1])
    assert [(p.depth, p.width) for p in points] == [(1, 6), (2, 4)]
    assert [p.n_params for p in points] == [depthwidth.n_params(d, w, n_in=5) for d, w in [(1, 6), (2, 4)]]
    for p in points:
        assert len(p.val_correct) == 2 and len(p.val_correct[0]) == len(data.y_val)
        assert p.val_accs[0] == pytest.approx(float(p.val_correct[0].double().mean()))
        assert p.val().low <= p.val().mean <= p.val().high and 0 <= p.test().mean <= 1
        assert len(p.test_correct[0]) == len(data.y_test) and p.val_std >= 0
        assert len(p.train_loss) == 2 and all(len(losses) == 2 for losses in p.train_loss)  # seeds x epochs
    both = depthwidth.difference(points[1], points[0])
    assert both.mean == pytest.approx(sum(a - b for a, b in zip(points[1].val_accs, points[0].val_accs)) / 2)
    assert both.low <= both.mean <= both.high


def test_study_rejects_one_seed_and_unequal_widths():
    data = _tiny_splits()
    with pytest.raises(ValueError, match="two seeds"):
        depthwidth.run_study([BASE], data, seeds=[0])
    with pytest.raises(ValueError, match="equal widths"):
        depthwidth.run_study([Recipe(network=MLP(hidden_sizes=(4, 2)), n_epochs=1, batch_size=32, lr=0.05)], data, seeds=[0, 1])
