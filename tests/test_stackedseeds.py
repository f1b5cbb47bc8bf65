"""Tests for dlbook.stackedseeds: seeds trained as one stacked network end where separate training ends them."""

import pytest
import torch

from dlbook import stackedseeds, store
from dlbook.experiments import Recipe, train_model
from dlbook.models import MLP
from dlbook.preprocess import MnistSplits

RECIPE = Recipe(network=MLP(hidden_sizes=(7, 7)), n_epochs=3, batch_size=64, lr=0.01, label_smoothing=0.1)


def _data(n: int = 600, n_in: int = 50) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    y = torch.arange(n) % 10
    x = torch.nn.functional.one_hot(y, 10).float().repeat(1, n_in // 10) + 0.5 * torch.rand(n, n_in, generator=g)
    return x, y


@pytest.mark.parametrize(("dtype", "tolerance"), [(torch.float64, 1e-12), (torch.float32, 1e-5)])
def test_stacked_training_matches_separate_training(dtype, tolerance):
    # 600 examples in batches of 64: a short last batch, as in the book (50,000 in batches of 256)
    x, y = _data()
    seeds = [0, 1, 2]
    net, losses = stackedseeds.train_stacked(RECIPE, x, y, seeds, dtype=dtype)
    for state, seed, loss in zip(net.state_dicts(), seeds, losses):
        model, history = train_model(lambda: RECIPE.network.build((50,)).to(dtype), RECIPE, x.to(dtype), y, seed)
        reference = model.state_dict()
        assert state.keys() == reference.keys()
        for key, value in reference.items():
            # only the rounding of batched against separate matrix products differs
            assert torch.allclose(state[key].to(dtype), value, rtol=0, atol=tolerance), key
        assert loss == pytest.approx(history.train_loss, rel=1e-5)
    # the seeds really differ from each other (each keeps its own initialization and order)
    first = net.state_dicts()
    assert not torch.allclose(first[0]["0.weight"], first[1]["0.weight"])


def test_stacked_predictions_and_loaded_models_agree():
    x, y = _data()
    recipe = Recipe(network=MLP(hidden_sizes=(16,)), n_epochs=10, batch_size=64, lr=0.03)
    net, _ = stackedseeds.train_stacked(recipe, x, y, [0, 1])
    predictions = stackedseeds.predict_stacked(net, x, batch_size=100)
    assert predictions.shape == (2, len(x))
    for s, state in enumerate(net.state_dicts()):
        model = recipe.network.build((50,))
        model.load_state_dict(state)
        with torch.inference_mode():
            # the same weights, products rounded another way: a near tie may flip on some processor
            agree = (model(x).argmax(1) == predictions[s]).double().mean()
        assert float(agree) > 0.99
    assert float((predictions == y).double().mean()) > 0.5  # it learned something


def test_stacked_seeds_are_stored_once(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "store_dir", lambda: tmp_path)
    x, y = _data()
    data = MnistSplits(x[:400], y[:400], x[400:500], y[400:500], x[500:], y[500:], "tiny")
    recipe = Recipe(network=MLP(hidden_sizes=(5,)), n_epochs=1, batch_size=64, lr=0.01)
    net, losses = stackedseeds.stacked_seeds(recipe, data, [0, 1])
    assert len(list(tmp_path.glob("stacked-*.pt"))) == 1 and len(losses) == 2
    calls = []
    monkeypatch.setattr(stackedseeds, "train_stacked", lambda *a, **k: calls.append(a))
    again, _ = stackedseeds.stacked_seeds(recipe, data, [0, 1])
    assert not calls  # loaded, not trained again
    for a, b in zip(net.parameters(), again.parameters()):
        assert torch.equal(a, b)  # exact: the same tensors saved and loaded


def test_stacked_rejects_what_it_cannot_train():
    x, y = _data()
    with pytest.raises(ValueError, match="without dropout"):
        stackedseeds.train_stacked(Recipe(network=MLP(hidden_sizes=(5,), dropout=0.2), n_epochs=1, batch_size=64, lr=0.01),
                                   x, y, [0])
    with pytest.raises(ValueError, match="flat inputs"):
        stackedseeds.train_stacked(RECIPE, x.view(600, 5, 10), y, [0])
    with pytest.raises(ValueError):
        stackedseeds.StackedMLP([])
