"""Seeded, vectorized corruptions of image batches: missing (zeroed) pixels, small random shifts, every
fixed shift of a grid, and dimming."""

from __future__ import annotations

import torch
from dlbook.runtime import generator


def _check_images(x: torch.Tensor) -> None:
    if x.dim() != 4:
        raise ValueError(
            f"expected images of shape (N, C, H, W), got {tuple(x.shape)}")


def zero_pixels(x: torch.Tensor, fraction: float, seed: int) -> torch.Tensor:
    """Return a copy of images ``x`` (N, C, H, W) with missing pixels.

    Each image loses ``round(fraction * H * W)`` random pixel positions
    (set to 0 in every channel), its own set, drawn from a generator seeded
    with ``seed``.
    """
    _check_images(x)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction}")
    n, _, h, w = x.shape
    n_drop = round(fraction * h * w)
    rng = generator(seed)
    # a random order of the positions per image; the first n_drop go missing
    order = torch.rand(n, h * w, generator=rng).argsort(dim=1)
    dropped = order[:, :n_drop]
    keep = torch.ones(n, h * w, dtype=torch.bool).scatter_(1, dropped, False)
    return x * keep.reshape(n, 1, h, w).to(x.device)


def dim_images(x: torch.Tensor, fraction: float, seed: int = 0) -> torch.Tensor:
    """Return a copy of images ``x`` (N, C, H, W) scaled by ``1 - fraction``, no pixel missing.

    The control for :func:`zero_pixels`: each pixel of ``zero_pixels(x, fraction, seed)`` is kept
    with probability ``1 - fraction``, so its expected value is ``(1 - fraction)`` times the
    original, and so is the image's mean brightness; this returns that expected image, the same
    dimming without holes. ``seed`` is unused (no randomness); it keeps the signature of the
    other corruptions.
    """
    _check_images(x)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction}")
    return x * (1.0 - fraction)


def shift_images(x: torch.Tensor, max_shift: int, seed: int) -> torch.Tensor:
    """Return a copy of images ``x`` (N, C, H, W), each moved by its own offset.

    The whole-pixel offsets ``(dy, dx)`` are drawn uniformly from
    ``{-max_shift, ..., max_shift}`` for each axis with a generator seeded by
    ``seed``; pixels moved in from outside the image are 0.
    """
    _check_images(x)
    if (isinstance(max_shift, bool) or not isinstance(max_shift, int)
            or max_shift < 0):
        raise ValueError(
            f"max_shift must be a non-negative int, got {max_shift!r}")
    n, _, h, w = x.shape
    if max_shift >= min(h, w):
        raise ValueError(f"max_shift must be smaller than the image "
                         f"({h}x{w}), got {max_shift}")
    rng = generator(seed)
    offsets = torch.randint(-max_shift, max_shift + 1, (n, 2),
                            generator=rng)
    padded = torch.nn.functional.pad(x, (max_shift,) * 4)
    # one crop per image: the rows and columns it reads, shifted per image
    rows = torch.arange(h) + max_shift - offsets[:, :1]  # (N, H)
    cols = torch.arange(w) + max_shift - offsets[:, 1:]  # (N, W)
    rows, cols = rows.to(x.device), cols.to(x.device)
    batch = torch.arange(n, device=x.device)[:, None, None]
    # advanced indexing picks pixel (rows[i, r], cols[i, c]) of image i
    out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None],
                                     cols[:, None, :]]  # (N, H, W, C)
    return out.permute(0, 3, 1, 2).contiguous()


def translate_images(x: torch.Tensor, shifts: list[tuple[int, int]]) -> torch.Tensor:
    """Return every image of ``x`` (N, C, H, W) moved by every offset: shape (S, N, C, H, W).

    Entry ``s`` holds all images moved by ``shifts[s] = (dx, dy)`` whole pixels, ``dx`` to the
    right and ``dy`` down (negative: left, up); what moves in from outside the image is 0 (the
    background of MNIST), what moves out is lost. One crop of a zero-padded copy per offset, every
    image at once.
    """
    _check_images(x)
    if not shifts or any(isinstance(d, bool) or not isinstance(d, int)
                         for shift in shifts for d in shift):
        raise ValueError(f"shifts must be a non-empty list of (dx, dy) int pairs, got {shifts!r}")
    _, _, h, w = x.shape
    pad = max(max(abs(dx), abs(dy)) for dx, dy in shifts)
    if pad >= min(h, w):
        raise ValueError(f"shifts must be smaller than the image ({h}x{w}), got {pad}")
    padded = torch.nn.functional.pad(x, (pad,) * 4)
    # the moved image's pixel (r, c) is the original's (r - dy, c - dx)
    return torch.stack([padded[..., pad - dy : pad - dy + h, pad - dx : pad - dx + w]
                        for dx, dy in shifts])
