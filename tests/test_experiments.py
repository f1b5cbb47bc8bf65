"""Tests for dlbook.experiments: recipes, seeded multi-seed training, and test scoring."""

import pytest
import torch

from dlbook import experiments, store
from dlbook.experiments import MlpRecipe
from dlbook.preprocess import MnistSplits


def _tiny_splits() -> MnistSplits:
    """A linearly separable 3-class problem in 6 dimensions, split like MNIST into train/val/test."""
    g = torch.Generator().manual_seed(0)
    y = torch.arange(240) % 3
    x = torch.nn.functional.one_hot(y, 6).float() * 2 + 0.3 * torch.rand(240, 6, generator=g)
    return MnistSplits(x[:160], y[:160], x[160:200], y[160:200], x[200:], y[200:])


TINY = MlpRecipe(hidden_sizes=(8,), n_epochs=4, batch_size=32, lr=0.05, label_smoothing=0.1)


def test_key_and_label_name_the_recipe():
    recipe = MlpRecipe(hidden_sizes=(500, 300, 200), dropout=0.2, n_epochs=10, batch_size=512)
    assert recipe.key() == "mlp-500x300x200-d0.2-ls0-lr0.003-wd0.0001-e10-b512"
    assert recipe.label().startswith("784-500-300-200-10, dropout 0.2")
    assert recipe.key() != MlpRecipe(hidden_sizes=(500, 300, 200), dropout=0.1, n_epochs=10, batch_size=512).key()


@pytest.mark.parametrize("kwargs", [dict(hidden_sizes=()), dict(hidden_sizes=(0,)), dict(hidden_sizes=(4,), lr=0.0),
                                    dict(hidden_sizes=(4,), label_smoothing=1.0), dict(hidden_sizes=(4,), n_epochs=0)])
def test_bad_recipes_raise(kwargs):
    with pytest.raises(ValueError):
        MlpRecipe(**kwargs)


def test_build_model_has_the_recipe_shape():
    model = experiments.build_model(MlpRecipe(hidden_sizes=(5, 4), dropout=0.3), n_in=6, n_out=3)
    assert experiments.count_parameters(model) == 6 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3
    assert model(torch.zeros(2, 6)).shape == (2, 3)


def test_train_recipe_learns_and_is_reproducible():
    data = _tiny_splits()
    run_a, run_b = experiments.train_recipe(TINY, data, seed=1), experiments.train_recipe(TINY, data, seed=1)
    assert len(run_a.history.val_acc) == TINY.n_epochs
    assert run_a.history.train_loss[-1] < run_a.history.train_loss[0]
    assert run_a.final_val_acc > 0.9
    assert run_a.n_params == 6 * 8 + 8 + 8 * 10 + 10  # ten output classes, as for MNIST
    for p, q in zip(run_a.model.parameters(), run_b.model.parameters()):
        assert torch.equal(p, q)
    assert next(run_a.model.parameters()).device.type == "cpu" and not run_a.model.training


def test_train_seeds_stores_runs_and_scores_on_test():
    data = _tiny_splits()
    runs = experiments.train_seeds(TINY, data, seeds=[0, 1])
    assert [r.seed for r in runs] == [0, 1]
    assert len(list(store.store_dir().glob(f"{TINY.key()}-s*.pt"))) == 2
    again = experiments.train_seeds(TINY, data, seeds=[0, 1])  # loaded from the store
    assert torch.equal(runs[1].model[0].weight, again[1].model[0].weight)
    assert again[1].history == runs[1].history and not again[1].model.training
    scores = experiments.score_on_test(runs, data)
    expected = [float((r.model(data.x_test).argmax(1) == data.y_test).float().mean()) for r in runs]
    assert scores == pytest.approx(expected)
    with pytest.raises(ValueError):
        experiments.train_seeds(TINY, data, seeds=[])

