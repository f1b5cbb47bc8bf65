"""A disk store of computed results (trained weights, histories) keyed by name and by the code they depend on."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from dlbook.fingerprint import REPO_ROOT, dependency_fingerprint
from dlbook.seeds import seed_offset

_NAME_PATTERN = r"[a-z0-9][a-z0-9_.-]*"
_NAME = re.compile(rf"^{_NAME_PATTERN}$")

#: The file name of a stored result, ``<name>-<key>.pt``, where the key has 16 hex digits (see :func:`result_key`).
RESULT_FILE = re.compile(rf"^(?P<name>{_NAME_PATTERN})-(?P<key>[0-9a-f]{{16}})\.pt$")

#: How many versions (fingerprints) of one name are kept; older ones are deleted when a new one is stored.
KEEP_VERSIONS = 3

#: What a stored result may be made of: what ``torch.load(..., weights_only=True)`` reads back.
Plain = torch.Tensor | dict | list | tuple | str | int | float | bool | None


def store_dir() -> Path:
    """Return ``_build/.results``, the folder that holds every stored result."""
    return REPO_ROOT / "_build" / ".results"


def _check_plain(value: object, where: str = "result") -> None:
    """Raise ValueError unless ``value`` is built only of tensors, dicts, lists, tuples and scalars."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                raise ValueError(f"{where} must have str or int keys, got {key!r}")
            _check_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
    elif not (value is None or isinstance(value, (torch.Tensor, str, int, float, bool))):
        raise ValueError(f"{where} must be made of tensors, dicts, lists, tuples and scalars, "
                         f"got {type(value).__name__}")


def _versions(folder: Path, name: str) -> list[Path]:
    """Return the stored versions of ``name`` in ``folder``, newest first."""
    found = [p for p in folder.glob(f"{name}-*.pt") if (match := RESULT_FILE.match(p.name)) and match["name"] == name]
    return sorted(found, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def result_key(depends_on: str | Sequence[str]) -> str:
    """Return the 16 hex digits that key the results computed by the code of the module(s) ``depends_on``.

    The key covers the modules ``depends_on`` (one name or several), every ``dlbook`` module they
    import (see :mod:`dlbook.fingerprint`) and the book's seed offset
    (:func:`dlbook.seeds.seed_offset`), which changes every seed.
    """
    key = dependency_fingerprint(depends_on)
    if seed_offset():
        key = hashlib.sha256(f"{key} seed-offset={seed_offset()}".encode()).hexdigest()[:16]
    return key


def result_path(name: str, depends_on: str | Sequence[str]) -> Path:
    """Return where the result ``name`` computed by the code of the module(s) ``depends_on`` is stored.

    The file is ``<store_dir>/<name>-<key>.pt``, with the key of :func:`result_key`.
    """
    if not _NAME.match(name):
        raise ValueError(f"name must be lowercase letters, digits, '_', '-' or '.', got {name!r}")
    return store_dir() / f"{name}-{result_key(depends_on)}.pt"


def cached(name: str, compute: Callable[[], Plain], *, depends_on: str | Sequence[str]) -> Plain:
    """Return the stored result ``name``, or run ``compute()``, store its result and return it.

    ``depends_on`` names the ``dlbook`` module that defines the computation (e.g. ``"dlbook.experiments"``),
    or several (a training loop and the module of the network it builds): an edit that changes the
    meaning of one of them or of a module they import makes a new version, while
    comment and docstring edits do not. The :data:`KEEP_VERSIONS` most recently used versions of a
    name are kept, so switching between branches finds its results again.

    The result must be plain data (tensors, dicts, lists, tuples, scalars): it is loaded with
    ``torch.load(..., weights_only=True)``, which runs no code. It is written atomically (a
    temporary file renamed into place), so an interrupted run leaves nothing half-written.
    Because training is seeded, a stored result equals what ``compute()`` would return again on
    the same machine; it only saves the time.
    """
    path = result_path(name, depends_on)
    if path.is_file():
        path.touch()  # most recently used: kept longest
        return torch.load(path, weights_only=True)
    result = compute()
    _check_plain(result)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(result, handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for old in _versions(path.parent, name)[KEEP_VERSIONS:]:
        old.unlink(missing_ok=True)
    return result


if __name__ == "__main__":  # python -m dlbook.store export|import PATH
    from dlbook.storearchive import main

    raise SystemExit(main())
