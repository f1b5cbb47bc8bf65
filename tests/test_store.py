"""Tests for dlbook.store: results keyed by name and code, stored atomically as plain data, old versions pruned."""

import os

import pytest
import torch

from dlbook import store
from dlbook.fingerprint import closure

MODULE = "dlbook.train"


def test_computes_once_then_loads():
    calls = []

    def compute():
        calls.append(1)
        return {"w": torch.arange(3.0), "history": {"loss": [1.0, 0.5]}, "n": 3}

    first = store.cached("thing", compute, depends_on=MODULE)
    second = store.cached("thing", compute, depends_on=MODULE)
    assert len(calls) == 1
    assert torch.equal(first["w"], second["w"]) and second["history"] == {"loss": [1.0, 0.5]} and second["n"] == 3


def test_the_file_is_named_by_recipe_and_fingerprint(private_store):
    store.cached("thing", lambda: 1, depends_on=MODULE)
    [path] = private_store.iterdir()
    assert path == store.result_path("thing", MODULE)
    assert path.name == f"thing-{store.dependency_fingerprint(MODULE)}.pt"


def test_a_code_change_computes_again_and_old_versions_are_pruned(private_store, version):
    for i in range(store.KEEP_VERSIONS + 2):
        version["fp"] = f"{i:016x}"
        assert store.cached("thing", lambda: i, depends_on=MODULE) == i
        os.utime(store.result_path("thing", MODULE), ns=(i * 10**9, i * 10**9))  # distinct ages on any file system
    kept = sorted(p.name for p in private_store.iterdir())
    assert kept == [f"thing-{i:016x}.pt" for i in range(2, store.KEEP_VERSIONS + 2)]


def test_pruning_keeps_other_names_and_the_most_recently_used(private_store, version):
    store.cached("thing-s1", lambda: "other", depends_on=MODULE)  # a name that starts like "thing"
    version["fp"] = "a" * 16
    store.cached("thing", lambda: "old but used", depends_on=MODULE)
    os.utime(store.result_path("thing", MODULE), ns=(0, 0))
    for fp in ("b" * 16, "c" * 16):
        version["fp"] = fp
        store.cached("thing", lambda: fp, depends_on=MODULE)
        os.utime(store.result_path("thing", MODULE), ns=(10**9, 10**9))
    version["fp"] = "a" * 16
    assert store.cached("thing", lambda: "recomputed", depends_on=MODULE) == "old but used"  # loading marks it used
    version["fp"] = "d" * 16
    store.cached("thing", lambda: "new", depends_on=MODULE)
    names = {p.name for p in private_store.iterdir()}
    assert f"thing-{'a' * 16}.pt" in names and f"thing-{'d' * 16}.pt" in names
    assert len([n for n in names if n.startswith("thing-") and not n.startswith("thing-s1")]) == store.KEEP_VERSIONS
    assert any(n.startswith("thing-s1-") for n in names)


def test_failed_compute_leaves_nothing(private_store):
    def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.cached("broken", broken, depends_on=MODULE)
    assert not private_store.exists() or list(private_store.iterdir()) == []


def test_interrupted_write_leaves_no_file(private_store, monkeypatch):
    def interrupted_save(obj, handle):
        handle.write(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        store.cached("thing", lambda: 1, depends_on=MODULE)
    assert list(private_store.iterdir()) == []


@pytest.mark.parametrize("result", [lambda: 0, torch.nn.Linear(1, 1), {"model": torch.nn.Linear(1, 1)}, {(1, 2): 3}])
def test_results_that_are_not_plain_data_raise_value_error(private_store, result):
    with pytest.raises(ValueError, match="tensors, dicts|keys"):
        store.cached("thing", lambda: result, depends_on=MODULE)
    assert not private_store.exists() or list(private_store.iterdir()) == []


def test_results_load_without_running_code(private_store):
    store.cached("thing", lambda: {"w": torch.ones(2)}, depends_on=MODULE)
    [path] = private_store.iterdir()
    assert torch.equal(torch.load(path, weights_only=True)["w"], torch.ones(2))


@pytest.mark.parametrize("name", ["", "Upper", "a/b", "../x"])
def test_bad_names_raise_value_error(name):
    with pytest.raises(ValueError, match="name"):
        store.cached(name, lambda: 0, depends_on=MODULE)


def test_unknown_module_raises_value_error():
    with pytest.raises(ValueError, match="dlbook"):
        store.cached("thing", lambda: 0, depends_on="numpy")


def test_store_does_not_depend_on_its_command_line_tool():
    """``python -m dlbook.store`` imports dlbook.storearchive only when run as a script: editing it retrains nothing."""
    assert "dlbook.storearchive" not in closure(["dlbook.store"])


def test_another_seed_offset_is_another_result(private_store, monkeypatch):
    monkeypatch.delenv("DLBOOK_SEED_OFFSET", raising=False)
    assert store.cached("thing", lambda: 0, depends_on=MODULE) == 0
    monkeypatch.setenv("DLBOOK_SEED_OFFSET", "1")
    assert store.cached("thing", lambda: 1, depends_on=MODULE) == 1  # not the offset-0 result
    monkeypatch.delenv("DLBOOK_SEED_OFFSET")
    assert store.cached("thing", lambda: 2, depends_on=MODULE) == 0
