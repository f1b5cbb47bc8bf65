"""Small MNIST CNNs that downsample either by max pooling or by strided convolutions, and their training recipe."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dlbook.preprocess import MnistSplits
from dlbook.runtime import default_device, seed_everything
from dlbook.store import cached
from dlbook.train import History, train

DOWNSAMPLING = ("maxpool", "stride")


def build_cnn(
    channels: tuple[int, ...] = (16, 32, 64),
    downsample: str = "maxpool",
    dropout: float = 0.0,
    final_conv_channels: int = 0,
    n_classes: int = 10,
    image_size: int = 28,
) -> nn.Sequential:
    """Return a CNN for ``(B, 1, image_size, image_size)`` inputs with ``(B, n_classes)`` logits.

    Each block halves the spatial size (rounding up) and is either
    ``Conv3x3 -> MaxPool2x2 -> BatchNorm -> ReLU`` (``downsample="maxpool"``) or
    ``Conv3x3 stride 2 -> BatchNorm -> ReLU`` (``downsample="stride"``). Both variants have
    the same layers, the same parameter count and the same feature-map sizes, so they differ
    only in how they downsample. Pooling before the ReLU gives the same result as after it
    (both are monotone) on a quarter of the values. With ``final_conv_channels > 0`` one more
    ``Conv3x3 -> BatchNorm -> ReLU`` follows at the smallest resolution, without downsampling.
    The head is ``Flatten -> Dropout -> Linear``.
    """
    if downsample not in DOWNSAMPLING:
        raise ValueError(f"downsample must be one of {DOWNSAMPLING}, got {downsample!r}")
    if not channels or any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in channels):
        raise ValueError(f"channels must be a non-empty sequence of positive ints, got {channels!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
    if isinstance(final_conv_channels, bool) or not isinstance(final_conv_channels, int) or final_conv_channels < 0:
        raise ValueError(f"final_conv_channels must be a non-negative int, got {final_conv_channels!r}")
    layers: list[nn.Module] = []
    c_in, size = 1, image_size
    for c_out in channels:
        if downsample == "maxpool":
            # ceil_mode only where the side is odd: same output, and the even case runs faster
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.MaxPool2d(2, ceil_mode=size % 2 == 1)]
        else:
            layers.append(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False))
        layers += [nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        c_in, size = c_out, (size + 1) // 2
    if final_conv_channels:
        layers += [nn.Conv2d(c_in, final_conv_channels, 3, padding=1, bias=False),
                   nn.BatchNorm2d(final_conv_channels), nn.ReLU(inplace=True)]
        c_in = final_conv_channels
    layers += [nn.Flatten(), nn.Dropout(dropout), nn.Linear(c_in * size * size, n_classes)]
    return nn.Sequential(*layers)


@dataclass(frozen=True)
class Recipe:
    """How a CNN is trained: AdamW with a one-cycle learning rate over ``n_epochs``.

    The loss is cross-entropy with ``label_smoothing`` (0 for plain cross-entropy).
    """

    n_epochs: int = 3
    batch_size: int = 256
    max_lr: float = 0.01
    weight_decay: float = 1e-4
    label_smoothing: float = 0.0


#: The book's MNIST CNN (chapter 3G) and its training recipe; chapter 3F reuses the same runs.
BOOK_CNN = {"channels": (8, 16, 64), "final_conv_channels": 64, "dropout": 0.0}
BOOK_RECIPE = Recipe(n_epochs=3, batch_size=256, max_lr=0.02, weight_decay=1e-4, label_smoothing=0.1)
BOOK_SEEDS = (0, 1, 2)


def train_cnn(
    x: torch.Tensor,
    y: torch.Tensor,
    recipe: Recipe,
    seed: int,
    *,
    channels: tuple[int, ...] = (16, 32, 64),
    downsample: str = "maxpool",
    dropout: float = 0.0,
    final_conv_channels: int = 0,
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[nn.Module, History]:
    """Seed, build (:func:`build_cnn`) and train a CNN on images ``x`` ``(N, 1, H, W)``, labels ``y`` ``(N,)``.

    Returns the trained model (in eval mode, on :func:`dlbook.runtime.default_device`) and its
    :class:`~dlbook.train.History`. Channels-last memory makes the convolutions faster on CPU.
    """
    if recipe.n_epochs < 1 or recipe.batch_size < 1 or recipe.max_lr <= 0:
        raise ValueError(f"recipe needs positive n_epochs, batch_size and max_lr, got {recipe}")
    if not 0.0 <= recipe.label_smoothing < 1.0:
        raise ValueError(f"recipe.label_smoothing must lie in [0, 1), got {recipe.label_smoothing}")
    seed_everything(seed)
    model = build_cnn(channels, downsample, dropout, final_conv_channels, image_size=x.shape[-1])
    device = default_device()
    model.to(device=device, memory_format=torch.channels_last)
    x = x.to(device).contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.max_lr, weight_decay=recipe.weight_decay)
    steps = recipe.n_epochs * -(-len(x) // recipe.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.max_lr, total_steps=steps)
    loss_fn = functools.partial(F.cross_entropy, label_smoothing=recipe.label_smoothing)
    history = train(model, x, y, optimizer, recipe.n_epochs, recipe.batch_size,
                    loss_fn=loss_fn, val=val, seed=seed, scheduler=scheduler)
    return model.eval(), history


def trained_cnn(
    data: MnistSplits,
    recipe: Recipe,
    seed: int,
    *,
    channels: tuple[int, ...] = (16, 32, 64),
    downsample: str = "maxpool",
    dropout: float = 0.0,
    final_conv_channels: int = 0,
) -> tuple[nn.Module, History]:
    """Return a CNN trained by :func:`train_cnn` on ``data``'s training split (validated on its validation split).

    The weights and history are kept in :func:`dlbook.store.cached` under a name built from every
    setting, so two pages that ask for the same network share one training run. The model comes
    back in channels-last memory, like in training, which makes inference about twice as fast on CPU.
    """
    name = (f"cnn-{downsample}-c{'-'.join(map(str, channels))}-f{final_conv_channels}-p{dropout:g}-e{recipe.n_epochs}"
            f"-b{recipe.batch_size}-lr{recipe.max_lr:g}-wd{recipe.weight_decay:g}-ls{recipe.label_smoothing:g}-s{seed}")

    def compute() -> dict:
        model, history = train_cnn(data.x_train, data.y_train, recipe, seed, channels=channels,
                                   downsample=downsample, dropout=dropout,
                                   final_conv_channels=final_conv_channels, val=(data.x_val, data.y_val))
        return {"state": {k: v.cpu() for k, v in model.state_dict().items()},
                "history": dataclasses.asdict(history)}

    result = cached(name, compute, depends_on=__name__)
    model = build_cnn(channels, downsample, dropout, final_conv_channels, image_size=data.x_train.shape[-1])
    model.load_state_dict(result["state"])
    return model.to(device=default_device(), memory_format=torch.channels_last).eval(), History(**result["history"])
