"""Turn raw MNIST into model inputs: scaled float images, one-hot targets and a validation split."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dlbook.mnist import load_mnist
from dlbook.runtime import generator


def scale_images(images: torch.Tensor, flatten: bool = True) -> torch.Tensor:
    """Map uint8 images ``(N, 28, 28)`` to float32 in [0, 1]: ``(N, 784)`` if ``flatten``, else ``(N, 1, 28, 28)``."""
    if images.dtype != torch.uint8 or images.dim() != 3:
        raise ValueError(
            f"expected uint8 images of shape (N, H, W), got {images.dtype} {tuple(images.shape)}"
        )
    scaled = images.to(torch.float32) / 255.0
    return scaled.reshape(len(images), -1) if flatten else scaled.unsqueeze(1)


def one_hot(labels: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """Return float32 one-hot rows ``(N, n_classes)`` for integer labels ``(N,)``."""
    if labels.dim() != 1 or labels.dtype.is_floating_point:
        raise ValueError(f"expected integer labels of shape (N,), got {labels.dtype} {tuple(labels.shape)}")
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes - 1}], got range "
                         f"[{int(labels.min())}, {int(labels.max())}]")
    return torch.nn.functional.one_hot(labels.long(), n_classes).to(torch.float32)


def split_indices(n: int, n_val: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Return disjoint ``(train_idx, val_idx)`` covering ``range(n)``, with ``n_val`` chosen at random by ``seed``."""
    if not 0 < n_val < n:
        raise ValueError(f"n_val must be between 1 and {n - 1}, got {n_val}")
    order = torch.randperm(n, generator=generator(seed))
    return order[n_val:].sort().values, order[:n_val].sort().values


@dataclass(frozen=True)
class MnistSplits:
    """MNIST ready for training: float inputs and int64 labels for train, validation and test.

    ``source`` names how the splits were made (split seed, validation size, scaling, shape); it is
    part of the key of every network stored from them, so splits made another way never share a
    stored network. Splits built by hand must name themselves.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    source: str

    def __post_init__(self) -> None:
        if not self.source or not all(c.isalnum() or c in "-_." for c in self.source):
            raise ValueError("source must be a non-empty name of letters, digits, '-', '_' or '.', got "
                             f"{self.source!r}")


def load_splits(flatten: bool = True, n_val: int = 10000, seed: int = 0) -> MnistSplits:
    """Load MNIST, scale it, and hold out ``n_val`` of the 60000 training images for validation.

    Inputs are ``(N, 784)`` if ``flatten`` else ``(N, 1, 28, 28)``; the 10000 test images
    are kept apart for the final number.
    """
    images, labels = load_mnist("train")
    test_images, test_labels = load_mnist("test")
    train_idx, val_idx = split_indices(len(images), n_val, seed)
    x = scale_images(images, flatten)
    y = labels.long()
    return MnistSplits(
        x_train=x[train_idx], y_train=y[train_idx],
        x_val=x[val_idx], y_val=y[val_idx],
        x_test=scale_images(test_images, flatten), y_test=test_labels.long(),
        source=f"mnist-div255-{'flat' if flatten else 'image'}-val{n_val}-split{seed}",
    )
