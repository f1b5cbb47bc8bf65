"""The book's seeds: one environment variable, ``DLBOOK_SEED_OFFSET``, shifts every seed of every page."""

from __future__ import annotations

import os

#: Environment variable that shifts every seed of the book (default 0): see :func:`book_seed`.
SEED_OFFSET_VARIABLE = "DLBOOK_SEED_OFFSET"
#: How far apart the seeds of two offsets are, so that offset 1 shares no seed with offset 0.
SEED_STRIDE = 1000


def seed_offset() -> int:
    """Return the book-wide seed offset, read from ``DLBOOK_SEED_OFFSET`` (default 0)."""
    text = os.environ.get(SEED_OFFSET_VARIABLE, "0").strip() or "0"
    try:
        offset = int(text)
    except ValueError:
        raise ValueError(f"{SEED_OFFSET_VARIABLE} must be a non-negative integer, got {text!r}") from None
    if offset < 0:
        raise ValueError(f"{SEED_OFFSET_VARIABLE} must be a non-negative integer, got {text!r}")
    return offset


def book_seed(seed: int) -> int:
    """Return the seed that the draw a page calls ``seed`` really uses: ``seed + 1000 * offset``.

    Every random draw of the book (toy data, initializations, training order, data splits,
    corruption) takes its seed through this function, so one environment variable,
    ``DLBOOK_SEED_OFFSET``, reruns the whole book with fresh seeds: offset 1 turns seeds 0, 1, 2
    into 1000, 1001, 1002, which no page uses at offset 0. Pages pass the small seeds they
    print; only this function adds the offset. This module imports neither NumPy nor PyTorch,
    so the Sphinx extension that keys the execution cache can read the offset cheaply.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return seed + SEED_STRIDE * seed_offset()
