"""Shared test setup: results stored by tests go to a temporary folder; tests marked ``site`` need the built site."""

import pytest

from _sitehelpers import require_site
from dlbook import store


@pytest.fixture(autouse=True)
def private_store(tmp_path, monkeypatch):
    """Redirect :func:`dlbook.store.store_dir` to ``tmp_path / "results"`` for every test."""
    monkeypatch.setattr(store, "store_dir", lambda: tmp_path / "results")
    return tmp_path / "results"


@pytest.fixture
def version(monkeypatch):
    """Pretend the code's fingerprint is ``version["fp"]``, so a test can change the code's meaning."""
    current = {"fp": "0" * 16}
    monkeypatch.setattr(store, "dependency_fingerprint", lambda module: current["fp"])
    return current


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a ``site`` test when the site is not built (say how to build it); fail it instead when CI=true."""
    if item.get_closest_marker("site"):
        require_site()
