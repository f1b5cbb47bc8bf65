"""Training recipes for the book's MNIST networks, their seeded training, runs over seeds kept in the store."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from dlbook.preprocess import MnistSplits
from dlbook.runtime import default_device, seed_everything
from dlbook.store import cached
from dlbook.train import History, train

if TYPE_CHECKING:  # imported for annotations only: a stored run's key covers the builder of its own network
    from dlbook.cnn import CNN
    from dlbook.models import MLP

#: The modules whose architectures (``build``, ``key``, ``label``) a :class:`Recipe` can hold.
NETWORK_MODULES = ("dlbook.models", "dlbook.cnn")


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """Everything that defines one training run except the seed: the network and how it is trained.

    ``network`` is the architecture: a ReLU MLP (:class:`dlbook.models.MLP`) or a CNN
    (:class:`dlbook.cnn.CNN`). Training is AdamW with weight decay ``weight_decay`` over
    ``n_epochs`` epochs of mini-batches of ``batch_size``, the learning rate following a one-cycle
    schedule that peaks at ``lr``, the loss cross-entropy with ``label_smoothing``.
    """

    network: MLP | CNN
    n_epochs: int
    batch_size: int
    lr: float
    weight_decay: float = 1e-4
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        if type(self.network).__module__ not in NETWORK_MODULES:
            raise ValueError("network must be an architecture, dlbook.models.MLP(...) or dlbook.cnn.CNN(...), "
                             f"got {self.network!r}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must lie in [0, 1), got {self.label_smoothing}")
        if self.lr <= 0 or self.weight_decay < 0 or self.n_epochs < 1 or self.batch_size < 1:
            raise ValueError("expected lr > 0, weight_decay >= 0, n_epochs >= 1 and batch_size >= 1, got "
                             f"{self.lr}, {self.weight_decay}, {self.n_epochs}, {self.batch_size}")

    def key(self) -> str:
        """Return a file-name-safe string that identifies the recipe (the stored runs' name)."""
        return (f"{self.network.key()}-ls{self.label_smoothing:g}-lr{self.lr:g}"
                f"-wd{self.weight_decay:g}-e{self.n_epochs}-b{self.batch_size}").lower()

    def label(self) -> str:
        """Return a short description of the network, e.g. ``784-100-10, dropout 0.1, label smoothing 0``."""
        return f"{self.network.label()}, label smoothing {self.label_smoothing:g}"

    def depends_on(self, module: str) -> tuple[str, ...]:
        """Return the modules whose code a result of ``module`` computed from this recipe depends on.

        That is ``module`` and the module that defines the network's builder (with what each
        imports): a CNN's stored runs do not depend on the MLP builder, nor an MLP's on the CNN's.
        """
        return (module, type(self.network).__module__)


def _memory_format(x: torch.Tensor) -> torch.memory_format:
    """Channels-last for image batches ``(N, C, H, W)`` (faster convolutions on CPU), else the plain layout."""
    return torch.channels_last if x.dim() == 4 else torch.contiguous_format


def train_model(
    build: Callable[[], nn.Module],
    recipe: Recipe,
    x: torch.Tensor,
    y: torch.Tensor,
    seed: int,
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[nn.Module, History]:
    """Seed, build (``build()``) and train a network on inputs ``x`` and class labels ``y`` ``(N,)``.

    Only the training settings of ``recipe`` are used here; ``build`` makes the network. Returns the
    trained model, in eval mode on :func:`dlbook.runtime.default_device` (image models in
    channels-last memory, like in training), and its :class:`~dlbook.train.History`.
    """
    seed_everything(seed)
    device, memory_format = default_device(), _memory_format(x)
    model = build().to(device=device, memory_format=memory_format)
    x = x.to(device).contiguous(memory_format=memory_format)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    steps = recipe.n_epochs * -(-len(x) // recipe.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, total_steps=steps)
    loss_fn = functools.partial(F.cross_entropy, label_smoothing=recipe.label_smoothing)
    history = train(model, x, y, optimizer, recipe.n_epochs, recipe.batch_size,
                    loss_fn=loss_fn, val=val, seed=seed, scheduler=scheduler)
    return model.eval(), history


@dataclass
class Run:
    """One trained model and its per-epoch history."""

    recipe: Recipe
    seed: int
    model: nn.Module
    history: History = field(repr=False)

    @property
    def n_params(self) -> int:
        """Number of trainable parameters of the model."""
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad)

    @property
    def final_val_acc(self) -> float:
        """Validation accuracy after the last epoch (the number recipes are compared on)."""
        return self.history.val_acc[-1]


def _stored_run(recipe: Recipe, data: MnistSplits, seed: int) -> dict:
    """Train ``recipe`` from ``seed``; return what the store keeps: weights and history as plain data."""
    build = functools.partial(recipe.network.build, tuple(data.x_train.shape[1:]))
    model, history = train_model(build, recipe, data.x_train, data.y_train, seed, val=(data.x_val, data.y_val))
    return {"state": {k: v.cpu() for k, v in model.state_dict().items()}, "history": dataclasses.asdict(history)}


def train_seeds(recipe: Recipe, data: MnistSplits, seeds: Sequence[int]) -> list[Run]:
    """Train ``recipe`` once per seed on ``data``'s training split (validated on its validation split).

    Runs are kept in :func:`dlbook.store.cached` under ``<recipe.key()>-<data.source>-s<seed>``: training is
    seeded, so a stored run is the run this call would produce, and pages that need the same
    run share it. The test split is not touched. The models come back in eval mode on
    :func:`dlbook.runtime.default_device` (image models in channels-last memory, which makes
    inference about twice as fast on CPU).
    """
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    runs = []
    for seed in seeds:
        stored = cached(f"{recipe.key()}-{data.source}-s{seed}",
                        functools.partial(_stored_run, recipe, data, seed),
                        depends_on=recipe.depends_on(__name__))
        model = recipe.network.build(tuple(data.x_train.shape[1:]))
        model.load_state_dict(stored["state"])
        model.to(device=default_device(), memory_format=_memory_format(data.x_train))
        runs.append(Run(recipe=recipe, seed=seed, model=model.eval(), history=History(**stored["history"])))
    return runs
