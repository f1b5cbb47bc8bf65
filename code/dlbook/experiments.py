"""Train one MLP recipe on MNIST for several seeds and score each trained model on the test set."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from dlbook.models import build_mlp, count_parameters
from dlbook.preprocess import MnistSplits
from dlbook.runtime import default_device, seed_everything
from dlbook.store import cached
from dlbook.train import History, evaluate, train


@dataclass(frozen=True)
class MlpRecipe:
    """Everything that defines one training run except the seed: architecture, optimizer and budget.

    The optimizer is AdamW with weight decay ``weight_decay``; the learning rate follows a
    one-cycle schedule that peaks at ``lr``; the loss is cross-entropy with ``label_smoothing``.
    """

    hidden_sizes: tuple[int, ...]
    dropout: float = 0.0
    label_smoothing: float = 0.0
    lr: float = 3e-3
    weight_decay: float = 1e-4
    n_epochs: int = 15
    batch_size: int = 256

    def __post_init__(self) -> None:
        if not self.hidden_sizes or any(int(h) < 1 for h in self.hidden_sizes):
            raise ValueError(f"hidden_sizes must be a non-empty tuple of positive ints, got {self.hidden_sizes}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must lie in [0, 1), got {self.label_smoothing}")
        if self.lr <= 0 or self.weight_decay < 0 or self.n_epochs < 1 or self.batch_size < 1:
            raise ValueError(
                "expected lr > 0, weight_decay >= 0, n_epochs >= 1 and batch_size >= 1, got "
                f"{self.lr}, {self.weight_decay}, {self.n_epochs}, {self.batch_size}"
            )

    def key(self) -> str:
        """Return a file-name-safe string that identifies the recipe (used as the store key)."""
        sizes = "x".join(str(h) for h in self.hidden_sizes)
        return (f"mlp-{sizes}-d{self.dropout:g}-ls{self.label_smoothing:g}-lr{self.lr:g}"
                f"-wd{self.weight_decay:g}-e{self.n_epochs}-b{self.batch_size}").lower()

    def label(self) -> str:
        """Return a short human-readable description, e.g. ``784-100-10, dropout 0.1``."""
        sizes = "-".join(str(h) for h in (784, *self.hidden_sizes, 10))
        return f"{sizes}, dropout {self.dropout:g}, label smoothing {self.label_smoothing:g}"


@dataclass
class Run:
    """One trained model (on the CPU) and its per-epoch history."""

    recipe: MlpRecipe
    seed: int
    model: nn.Module
    history: History = field(repr=False)

    @property
    def n_params(self) -> int:
        """Number of trainable parameters of the model."""
        return count_parameters(self.model)

    @property
    def final_val_acc(self) -> float:
        """Validation accuracy after the last epoch (the number recipes are compared on)."""
        return self.history.val_acc[-1]


def build_model(recipe: MlpRecipe, n_in: int = 784, n_out: int = 10) -> nn.Sequential:
    """Return the untrained ReLU MLP of ``recipe``: input ``(B, n_in)``, logits ``(B, n_out)``."""
    return build_mlp(n_in, list(recipe.hidden_sizes), n_out, activation="relu", dropout=recipe.dropout)


def train_recipe(recipe: MlpRecipe, data: MnistSplits, seed: int) -> Run:
    """Train ``recipe`` from seed ``seed`` on ``data.x_train`` with validation on ``data.x_val``.

    The test split is not touched. The model is trained on :func:`default_device` and
    returned on the CPU.
    """
    seed_everything(seed)
    device = default_device()
    model = build_model(recipe, data.x_train.shape[1]).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    steps_per_epoch = math.ceil(len(data.x_train) / recipe.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=recipe.lr, total_steps=recipe.n_epochs * steps_per_epoch)
    loss_fn = functools.partial(F.cross_entropy, label_smoothing=recipe.label_smoothing)
    history = train(model, data.x_train, data.y_train, optimizer, recipe.n_epochs, recipe.batch_size,
                    loss_fn=loss_fn, val=(data.x_val, data.y_val), seed=seed, scheduler=scheduler)
    return Run(recipe=recipe, seed=seed, model=model.cpu().eval(), history=history)


def _stored_run(recipe: MlpRecipe, data: MnistSplits, seed: int) -> dict:
    """Train ``recipe`` from ``seed`` and return what the store keeps: weights and history as plain data."""
    run = train_recipe(recipe, data, seed)
    return {"state": run.model.state_dict(), "history": dataclasses.asdict(run.history)}


def train_seeds(recipe: MlpRecipe, data: MnistSplits, seeds: Sequence[int]) -> list[Run]:
    """Train ``recipe`` once per seed, reusing runs already in the build's result store.

    Training is seeded, so a stored run is the run this call would produce; the store
    only saves time when several pages (or a rebuild) need the same run. The models come
    back on the CPU in eval mode.
    """
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    runs = []
    for seed in seeds:
        stored = cached(f"{recipe.key()}-s{seed}", functools.partial(_stored_run, recipe, data, seed),
                        depends_on=__name__)
        model = build_model(recipe, data.x_train.shape[1])
        model.load_state_dict(stored["state"])
        runs.append(Run(recipe=recipe, seed=seed, model=model.eval(), history=History(**stored["history"])))
    return runs


def score_on_test(runs: Sequence[Run], data: MnistSplits) -> list[float]:
    """Return the test accuracy of each run's model, evaluated once on ``data.x_test``."""
    return [evaluate(run.model, data.x_test, data.y_test)[1] for run in runs]

