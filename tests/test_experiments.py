"""Tests for dlbook.experiments: recipes of an MLP or a CNN, seeded training, stored runs over seeds."""

import dataclasses
import shutil

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook import store
from dlbook.cnn import CNN
from dlbook.experiments import Recipe, train_model, train_seeds
from dlbook.fingerprint import EXTERNAL_INPUTS, REPO_ROOT, dependency_fingerprint
from dlbook.models import MLP, count_parameters
from dlbook.preprocess import MnistSplits
from dlbook.runtime import default_device, seed_everything


def _tiny_splits() -> MnistSplits:
    """A linearly separable 3-class problem in 6 dimensions, split like MNIST into train/val/test."""
    g = torch.Generator().manual_seed(0)
    y = torch.arange(240) % 3
    x = torch.nn.functional.one_hot(y, 6).float() * 2 + 0.3 * torch.rand(240, 6, generator=g)
    return MnistSplits(x[:160], y[:160], x[160:200], y[160:200], x[200:], y[200:], "tiny")


def _tiny_images(n: int = 128) -> MnistSplits:
    """Two classes of 12x12 images: a bright square in the top-left or in the bottom-right corner."""
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (n,), generator=g)
    x = 0.1 * torch.rand(n, 1, 12, 12, generator=g)
    x[y == 0, :, 1:5, 1:5] += 1.0
    x[y == 1, :, 7:11, 7:11] += 1.0
    return MnistSplits(x, y, x[:32], y[:32], x[:32], y[:32], "tiny-images")


TINY = Recipe(network=MLP(hidden_sizes=(8,)), n_epochs=4, batch_size=32, lr=0.05, label_smoothing=0.1)
TINY_CNN = Recipe(network=CNN(channels=(4,)), n_epochs=3, batch_size=32, lr=0.01)
BOOK = Recipe(network=CNN(channels=(8, 16, 64), final_conv_channels=64),
              n_epochs=3, batch_size=256, lr=0.02, label_smoothing=0.1)  # chapter 3G's


def _with_network(recipe: Recipe, **changes) -> Recipe:
    return dataclasses.replace(recipe, network=dataclasses.replace(recipe.network, **changes))


def test_key_and_label_name_the_recipe():
    recipe = Recipe(network=MLP(hidden_sizes=(500, 300, 200), dropout=0.2), n_epochs=10, batch_size=512, lr=3e-3)
    assert recipe.key() == "mlp-500x300x200-d0.2-ls0-lr0.003-wd0.0001-e10-b512"
    assert recipe.label().startswith("784-500-300-200-10, dropout 0.2")
    assert recipe.key() != _with_network(recipe, dropout=0.1).key()
    assert BOOK.key() == "cnn-maxpool-c8-16-64-f64-d0-ls0.1-lr0.02-wd0.0001-e3-b256"
    assert BOOK.label().startswith("CNN maxpool 8-16-64 + 64")
    keys = {_with_network(BOOK, downsample=ds).key() for ds in ("maxpool", "avgpool", "stride")}
    assert len(keys) == 3  # each way of downsampling has its own stored runs
    average = _with_network(BOOK, downsample="avgpool")
    assert average.key() == "cnn-avgpool-c8-16-64-f64-d0-ls0.1-lr0.02-wd0.0001-e3-b256"
    assert average.label().startswith("CNN avgpool 8-16-64 + 64")


@pytest.mark.parametrize("make", [
    lambda: MLP(hidden_sizes=()), lambda: MLP(hidden_sizes=(0,)), lambda: MLP(hidden_sizes=(4, True)),
    lambda: MLP(hidden_sizes=(4,), dropout=-0.1), lambda: CNN(channels=(4, True)), lambda: CNN(channels=()),
    lambda: CNN(channels=(4,), downsample="avg"), lambda: CNN(channels=(4,), dropout=1.0),
    lambda: Recipe(network=MLP(hidden_sizes=(4,)), n_epochs=1, batch_size=8, lr=0.0),
    lambda: Recipe(network=MLP(hidden_sizes=(4,)), n_epochs=1, batch_size=8, lr=0.01, label_smoothing=1.0),
    lambda: Recipe(network=MLP(hidden_sizes=(4,)), n_epochs=0, batch_size=8, lr=0.01),
    lambda: Recipe(network=nn.Linear(4, 2), n_epochs=1, batch_size=8, lr=0.01),
])
def test_bad_recipes_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


def test_networks_build_the_recipe_shape():
    mlp = MLP(hidden_sizes=(5, 4), dropout=0.3).build((6,), n_out=3)
    assert count_parameters(mlp) == 6 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3
    assert mlp(torch.zeros(2, 6)).shape == (2, 3)
    assert BOOK.network.build()(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match="flat"):
        TINY.network.build((1, 28, 28))
    with pytest.raises(ValueError, match="square"):
        BOOK.network.build((784,))


def _edit_function_body(root, module: str, function: str) -> None:
    """Append a statement that changes nothing at run time to ``function`` of ``code/dlbook/<module>.py``."""
    path = root / "code" / "dlbook" / f"{module}.py"
    source = path.read_text()
    head = f"def {function}("
    start = source.index(head)
    body = source.index('"""', source.index('"""', start) + 3) + 3  # after the docstring
    path.write_text(source[:body] + "\n    _edited = True" + source[body:])


@pytest.mark.parametrize(("edited", "function", "changes_mlp", "changes_cnn"), [
    ("cnn", "build_cnn", False, True),
    ("models", "build_mlp", True, False),
    ("train", "train", True, True),
    ("experiments", "train_model", True, True),
    ("toyplots", "plot_curves", False, False),
])
def test_a_stored_run_depends_on_its_own_builder_and_the_training_loop(tmp_path, edited, function,
                                                                      changes_mlp, changes_cnn):
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "code", root / "code")
    for name in EXTERNAL_INPUTS:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, root / name)
    keys = lambda: [dependency_fingerprint(r.depends_on("dlbook.experiments"), root)  # noqa: E731
                    for r in (TINY, TINY_CNN)]
    before = keys()
    _edit_function_body(root, edited, function)
    after = keys()
    assert [a != b for a, b in zip(before, after)] == [changes_mlp, changes_cnn]


@pytest.mark.parametrize(("recipe", "data"), [(TINY, _tiny_splits()), (TINY_CNN, _tiny_images())],
                         ids=["mlp", "cnn"])
def test_train_model_learns_and_repeats_itself(recipe, data):
    build = lambda: recipe.network.build(tuple(data.x_train.shape[1:]), n_out=int(data.y_train.max()) + 1)  # noqa: E731
    model, history = train_model(build, recipe, data.x_train, data.y_train, seed=1, val=(data.x_val, data.y_val))
    again, history_again = train_model(build, recipe, data.x_train, data.y_train, seed=1)
    assert len(history.val_acc) == recipe.n_epochs and history.val_acc[-1] > 0.9
    assert history.train_loss[-1] < history.train_loss[0]
    assert not model.training and next(model.parameters()).device == default_device()
    # the same operations twice in one process: bit-identical on any processor
    assert history_again.train_loss == history.train_loss
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), again.parameters()))


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_train_model_minimizes_label_smoothed_cross_entropy(smoothing):
    data = _tiny_images(64)
    recipe = dataclasses.replace(_with_network(TINY_CNN, channels=(2,)), n_epochs=1, batch_size=64,
                                 label_smoothing=smoothing)
    build = lambda: recipe.network.build((1, 12, 12), n_out=2)  # noqa: E731
    _, history = train_model(build, recipe, data.x_train, data.y_train, seed=0)
    seed_everything(0)  # the same initial weights as train_model's; one full batch, so its loss is the initial one
    with torch.no_grad():
        expected = F.cross_entropy(build().train()(data.x_train), data.y_train, label_smoothing=smoothing)
    assert history.train_loss[0] == pytest.approx(expected.item(), rel=1e-5)


def test_train_model_trains_images_channels_last():
    data = _tiny_images(32)
    model, _ = train_model(lambda: TINY_CNN.network.build((1, 12, 12)), TINY_CNN, data.x_train, data.y_train, seed=0)
    conv = next(m for m in model if isinstance(m, nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize(("recipe", "data"), [(TINY, _tiny_splits()), (TINY_CNN, _tiny_images())],
                         ids=["mlp", "cnn"])
def test_train_seeds_stores_runs_and_reloads_the_same_networks(recipe, data):
    runs = train_seeds(recipe, data, seeds=[0, 1])
    assert [r.seed for r in runs] == [0, 1]
    assert len(list(store.store_dir().glob(f"{recipe.key()}-{data.source}-s*.pt"))) == 2
    again = train_seeds(recipe, data, seeds=[0, 1])  # loaded from the store
    for run, loaded in zip(runs, again):
        assert loaded.history == run.history and not loaded.model.training
        # a stored copy: the same bits
        assert all(torch.equal(p, q) for p, q in zip(run.model.state_dict().values(), loaded.model.state_dict().values()))
    assert runs[0].final_val_acc == runs[0].history.val_acc[-1] and runs[0].n_params == count_parameters(runs[0].model)
    train_seeds(dataclasses.replace(recipe, label_smoothing=0.05), data, seeds=[0])
    assert len(list(store.store_dir().glob("*.pt"))) == 3  # the smoothing is part of the stored name
    other_split = dataclasses.replace(data, x_train=data.x_val, y_train=data.y_val, source="tiny-other")
    train_seeds(recipe, other_split, seeds=[0])
    assert len(list(store.store_dir().glob("*.pt"))) == 4  # so is the data's source
    with pytest.raises(ValueError, match="seed"):
        train_seeds(recipe, data, seeds=[])
