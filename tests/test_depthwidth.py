"""Tests for dlbook.depthwidth: the recipe grid and the study summary (its plot is tested with dlbook.plots)."""

import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from dlbook import depthwidth, plots
from dlbook.experiments import Recipe
from dlbook.preprocess import MnistSplits

BASE = Recipe(hidden_sizes=(1,), n_epochs=2, batch_size=32, lr=0.05)


def _tiny_splits() -> MnistSplits:
    g = torch.Generator().manual_seed(0)
    y = torch.arange(150) % 3
    x = torch.nn.functional.one_hot(y, 5).float() + 0.2 * torch.rand(150, 5, generator=g)
    return MnistSplits(x[:90], y[:90], x[90:120], y[90:120], x[120:], y[120:])


def test_grid_is_depth_major_with_equal_widths():
    recipes = depthwidth.grid_recipes([1, 3], [4, 8], BASE)
    assert [r.hidden_sizes for r in recipes] == [(4,), (8,), (4, 4, 4), (8, 8, 8)]
    assert all(r.n_epochs == BASE.n_epochs and r.lr == BASE.lr for r in recipes)


@pytest.mark.parametrize(("depths", "widths"), [([], [4]), ([1], []), ([0], [4]), ([1], [0])])
def test_grid_rejects_empty_or_non_positive(depths, widths):
    with pytest.raises(ValueError):
        depthwidth.grid_recipes(depths, widths, BASE)


def test_study_points_and_their_plot():
    data = _tiny_splits()
    recipes = depthwidth.grid_recipes([1, 2], [3, 6], BASE)
    points = depthwidth.run_study(recipes, data, seeds=[0, 1])
    assert [(p.depth, p.width) for p in points] == [(1, 3), (1, 6), (2, 3), (2, 6)]
    # parameters with 5 inputs and 10 outputs, as eq. (dw-params) with n_in = 5
    assert [p.n_params for p in points] == [6 * w + (d - 1) * (w + 1) * w + (w + 1) * 10 for d, w in
                                            [(1, 3), (1, 6), (2, 3), (2, 6)]]
    assert all(0.0 <= p.test_acc_mean <= 1.0 and p.test_acc_std >= 0.0 for p in points)
    fig = plots.plot_accuracy_vs_params(points)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and len(ax.get_legend().get_texts()) == 2
    assert "parameters" in ax.get_xlabel() and "%" in ax.get_ylabel()


def test_study_rejects_one_seed_and_unequal_widths():
    data = _tiny_splits()
    with pytest.raises(ValueError, match="two seeds"):
        depthwidth.run_study([BASE], data, seeds=[0])
    with pytest.raises(ValueError, match="equal widths"):
        depthwidth.run_study([Recipe(hidden_sizes=(4, 2), n_epochs=1, batch_size=32, lr=0.05)], data, seeds=[0, 1])
    with pytest.raises(ValueError):
        plots.plot_accuracy_vs_params([])
