"""Training recipes for the book's MNIST networks, their seeded training, runs over seeds kept in the store."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from dlbook.cnn import DOWNSAMPLING, build_cnn
from dlbook.models import build_mlp, count_parameters
from dlbook.preprocess import MnistSplits
from dlbook.runtime import default_device, seed_everything
from dlbook.store import cached
from dlbook.train import History, train


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """Everything that defines one training run except the seed: the network and how it is trained.

    The network is a ReLU MLP when ``hidden_sizes`` is given (with ``dropout`` after each hidden
    layer), a CNN (:func:`dlbook.cnn.build_cnn`) when ``channels`` is given; exactly one of the
    two. Training is AdamW with weight decay ``weight_decay`` over ``n_epochs`` epochs of
    mini-batches of ``batch_size``, the learning rate following a one-cycle schedule that peaks
    at ``lr``, the loss cross-entropy with ``label_smoothing``.
    """

    hidden_sizes: tuple[int, ...] = ()
    channels: tuple[int, ...] = ()
    downsample: str = "maxpool"
    final_conv_channels: int = 0
    dropout: float = 0.0
    n_epochs: int
    batch_size: int
    lr: float
    weight_decay: float = 1e-4
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        if bool(self.hidden_sizes) == bool(self.channels):
            raise ValueError("expected either hidden_sizes (an MLP) or channels (a CNN), got "
                             f"hidden_sizes={self.hidden_sizes!r} and channels={self.channels!r}")
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in self.hidden_sizes + self.channels):
            raise ValueError(f"layer sizes must be positive ints, got {self.hidden_sizes or self.channels!r}")
        if self.hidden_sizes and (self.downsample != "maxpool" or self.final_conv_channels):
            raise ValueError("downsample and final_conv_channels describe a CNN: give channels, not hidden_sizes")
        if self.downsample not in DOWNSAMPLING:
            raise ValueError(f"downsample must be one of {DOWNSAMPLING}, got {self.downsample!r}")
        if not (0.0 <= self.dropout < 1.0 and 0.0 <= self.label_smoothing < 1.0):
            raise ValueError(f"dropout and label_smoothing must lie in [0, 1), got {self.dropout} and "
                             f"{self.label_smoothing}")
        if self.lr <= 0 or self.weight_decay < 0 or self.n_epochs < 1 or self.batch_size < 1:
            raise ValueError("expected lr > 0, weight_decay >= 0, n_epochs >= 1 and batch_size >= 1, got "
                             f"{self.lr}, {self.weight_decay}, {self.n_epochs}, {self.batch_size}")

    def key(self) -> str:
        """Return a file-name-safe string that identifies the recipe (the stored runs' name)."""
        if self.hidden_sizes:
            network = f"mlp-{'x'.join(map(str, self.hidden_sizes))}"
        else:
            network = (f"cnn-{self.downsample}-c{'-'.join(map(str, self.channels))}"
                       f"-f{self.final_conv_channels}")
        return (f"{network}-d{self.dropout:g}-ls{self.label_smoothing:g}-lr{self.lr:g}"
                f"-wd{self.weight_decay:g}-e{self.n_epochs}-b{self.batch_size}").lower()

    def label(self) -> str:
        """Return a short description of the network, e.g. ``784-100-10, dropout 0.1, label smoothing 0``."""
        if self.hidden_sizes:
            network = "-".join(str(h) for h in (784, *self.hidden_sizes, 10))
        else:
            extra = f" + {self.final_conv_channels}" if self.final_conv_channels else ""
            network = f"CNN {self.downsample} {'-'.join(map(str, self.channels))}{extra}"
        return f"{network}, dropout {self.dropout:g}, label smoothing {self.label_smoothing:g}"


#: The book's MNIST CNN (chapter 3G; chapter 3F reuses its runs): its architecture and its recipe.
BOOK_CNN = {"channels": (8, 16, 64), "final_conv_channels": 64, "dropout": 0.0}
BOOK_RECIPE = Recipe(**BOOK_CNN, n_epochs=3, batch_size=256, lr=0.02, weight_decay=1e-4, label_smoothing=0.1)
BOOK_SEEDS = (0, 1, 2)


def build_model(recipe: Recipe, input_shape: tuple[int, ...] = (784,), n_out: int = 10) -> nn.Sequential:
    """Return the untrained network of ``recipe`` for inputs of shape ``(B, *input_shape)``, ``n_out`` logits.

    An MLP takes flat inputs ``(n_in,)``; a CNN takes images ``(1, H, W)`` with ``H == W``.
    """
    if recipe.hidden_sizes:
        if len(input_shape) != 1:
            raise ValueError(f"an MLP takes flat inputs (n_in,), got input_shape={input_shape}")
        return build_mlp(input_shape[0], list(recipe.hidden_sizes), n_out, activation="relu", dropout=recipe.dropout)
    if len(input_shape) != 3 or input_shape[0] != 1 or input_shape[1] != input_shape[2]:
        raise ValueError(f"a CNN takes square one-channel images (1, H, H), got input_shape={input_shape}")
    return build_cnn(recipe.channels, recipe.downsample, recipe.dropout, recipe.final_conv_channels,
                     n_classes=n_out, image_size=input_shape[-1])


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
        return count_parameters(self.model)

    @property
    def final_val_acc(self) -> float:
        """Validation accuracy after the last epoch (the number recipes are compared on)."""
        return self.history.val_acc[-1]


def _stored_run(recipe: Recipe, data: MnistSplits, seed: int) -> dict:
    """Train ``recipe`` from ``seed``; return what the store keeps: weights and history as plain data."""
    build = functools.partial(build_model, recipe, tuple(data.x_train.shape[1:]))
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
                        functools.partial(_stored_run, recipe, data, seed), depends_on=__name__)
        model = build_model(recipe, tuple(data.x_train.shape[1:]))
        model.load_state_dict(stored["state"])
        model.to(device=default_device(), memory_format=_memory_format(data.x_train))
        runs.append(Run(recipe=recipe, seed=seed, model=model.eval(), history=History(**stored["history"])))
    return runs
