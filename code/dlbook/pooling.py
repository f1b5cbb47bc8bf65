"""The four corner images of the pooling questions and 2x2 pooling applied to them with torch."""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: Corner names in the order of :func:`corner_images`.
CORNERS = ("top-left", "top-right", "bottom-right", "bottom-left")


def corner_images(size: int = 4, block: int = 3) -> torch.Tensor:
    """Return ``(4, 1, size, size)`` binary images, each a ``block x block`` square of ones in one corner.

    The order follows :data:`CORNERS` (clockwise from the top-left).
    """
    if not 1 <= block <= size:
        raise ValueError(f"block must lie in [1, size={size}], got {block}")
    images = torch.zeros(4, 1, size, size)
    images[0, 0, :block, :block] = 1
    images[1, 0, :block, -block:] = 1
    images[2, 0, -block:, -block:] = 1
    images[3, 0, -block:, :block] = 1
    return images


def pool2x2(images: torch.Tensor, mode: str) -> torch.Tensor:
    """Return 2x2 pooling with stride 2 of ``images`` ``(N, C, H, W)``; ``mode`` is ``"avg"`` or ``"max"``."""
    if mode not in ("avg", "max"):
        raise ValueError(f"mode must be 'avg' or 'max', got {mode!r}")
    if images.dim() != 4:
        raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(images.shape)}")
    pool = F.avg_pool2d if mode == "avg" else F.max_pool2d
    return pool(images, kernel_size=2, stride=2)
