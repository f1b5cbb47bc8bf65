"""Tests for dlbook.store: results are computed once, stored atomically and loaded back."""

import pytest
import torch

from dlbook import store


def test_computes_once_then_loads():
    calls = []

    def compute():
        calls.append(1)
        return {"w": torch.arange(3.0)}

    first = store.cached("thing", compute)
    second = store.cached("thing", compute)
    assert len(calls) == 1
    assert torch.equal(first["w"], second["w"])


def test_failed_compute_leaves_nothing(tmp_path):
    def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.cached("broken", broken)
    assert not (tmp_path / "results" / "broken.pt").exists()


def test_unsaveable_result_leaves_no_temporary_file(tmp_path):
    with pytest.raises(Exception):
        store.cached("lambda", lambda: (lambda: 0))
    folder = tmp_path / "results"
    assert not folder.exists() or list(folder.iterdir()) == []


@pytest.mark.parametrize("name", ["", "Upper", "a/b", "../x"])
def test_bad_names_raise_value_error(name):
    with pytest.raises(ValueError, match="name"):
        store.cached(name, lambda: 0)
