"""Sphinx hooks for the book build: an execution cache that follows the code, and quiet progress bars."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from dlbook.fingerprint import REPO_ROOT

if TYPE_CHECKING:  # only for annotations: the book's modules import without Sphinx
    from sphinx.application import Sphinx
    from sphinx.config import Config

#: What the executed outputs depend on besides the pages' own cells.
CACHE_INPUTS = ("code/**/*.py", "requirements.txt", "pyproject.toml", "data/mnist/SHA256SUMS")


def dependency_hash(root: Path = REPO_ROOT) -> str:
    """Return a short SHA-256 over the paths and bytes of everything in :data:`CACHE_INPUTS`."""
    digest = hashlib.sha256()
    for pattern in CACHE_INPUTS:
        for path in sorted(root.glob(pattern)):
            if "__pycache__" in path.parts:
                continue
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _use_keyed_cache(app: Sphinx, config: Config) -> None:
    """Point the jupyter-cache at ``_build/.jupyter_cache/<hash>`` and drop caches of older hashes.

    jupyter-cache keys a page on its cells only. Keying the cache folder on the code and the
    pinned requirements makes a change there re-execute every page; because the folder is a
    Sphinx ``env`` setting, the change also makes Sphinx re-read every page.
    """
    if config.nb_execution_cache_path:  # set explicitly, e.g. by a benchmark: leave it
        return
    cache_root = Path(app.outdir).parent / ".jupyter_cache"
    key = dependency_hash()
    config.nb_execution_cache_path = str(cache_root / key)
    if cache_root.is_dir():
        for old in cache_root.iterdir():
            if old.is_dir() and old.name != key:
                shutil.rmtree(old, ignore_errors=True)


def setup(app: Sphinx) -> dict:
    """Register the hooks; kernels started by the build inherit the environment set here."""
    os.environ["TQDM_DISABLE"] = "1"
    app.connect("config-inited", _use_keyed_cache, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
