"""A disk store of computed results (trained weights, histories) shared between pages of one build."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import torch

from dlbook.buildhooks import REPO_ROOT, dependency_hash

T = TypeVar("T")

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def store_dir() -> Path:
    """Return ``_build/.results/<hash>``: results are keyed by the same hash as the execution cache."""
    return REPO_ROOT / "_build" / ".results" / dependency_hash()


def cached(name: str, compute: Callable[[], T]) -> T:
    """Return the stored result ``name``, or run ``compute()``, store its result and return it.

    Results are written atomically (a temporary file renamed into place), so an interrupted
    run leaves nothing half-written. Because training is seeded, a stored result equals what
    ``compute()`` would return again on the same machine; it only saves the time.
    """
    if not _NAME.match(name):
        raise ValueError(f"name must be lowercase letters, digits, '_', '-' or '.', got {name!r}")
    path = store_dir() / f"{name}.pt"
    if path.is_file():
        return torch.load(path, weights_only=False)
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(result, handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result
