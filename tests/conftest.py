"""Shared test fixtures: results stored by tests go to a temporary folder, never into _build/."""

import pytest

from dlbook import store


@pytest.fixture(autouse=True)
def private_store(tmp_path, monkeypatch):
    """Redirect :func:`dlbook.store.store_dir` to ``tmp_path / "results"`` for every test."""
    monkeypatch.setattr(store, "store_dir", lambda: tmp_path / "results")
    return tmp_path / "results"
