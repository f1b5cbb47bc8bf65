"""Tests for dlbook.storearchive: export the store, import only current results, reject bad archives."""

import functools
import hashlib
import io
import json
import runpy
import shutil
import sys
import tarfile

import pytest
import torch

from dlbook import store, storearchive

MODULE = "dlbook.train"
CURRENT = "0" * 16  # the key of every module under the ``version`` fixture
OTHER = "f" * 16  # a key no current module has


def snapshot(folder):
    """Return ``{name: bytes}`` of the files in ``folder`` (empty if it does not exist)."""
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.exists() else {}


def write_archive(path, members, manifest_files=None, with_manifest=True):
    """Write a .tar.gz of ``members`` (name -> bytes) and a manifest listing ``manifest_files`` (default: ``members``)."""
    manifest = {"files": [{"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                          for name, data in (members if manifest_files is None else manifest_files).items()]}
    if with_manifest:
        members = {storearchive.MANIFEST: json.dumps(manifest).encode(), **members}
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_round_trip_returns_the_results_without_computing_them(private_store, tmp_path):
    calls = []

    def compute(value):
        calls.append(value)
        return {"w": torch.full((2,), float(value)), "history": {"loss": [value]}}

    for value in (1, 2):
        store.cached(f"net-s{value}", functools.partial(compute, value), depends_on=MODULE)
    stored = snapshot(private_store)
    archive = tmp_path / "results.tar.gz"
    assert storearchive.export_store(archive) == 2
    shutil.rmtree(private_store)

    report = storearchive.import_store(archive)
    assert sorted(report.imported) == sorted(stored) and report.skipped == {}
    assert snapshot(private_store) == stored
    for value in (1, 2):
        result = store.cached(f"net-s{value}", functools.partial(compute, value), depends_on=MODULE)
        assert torch.equal(result["w"], torch.full((2,), float(value))) and result["history"] == {"loss": [value]}
    assert calls == [1, 2]  # only the first two, before the export


def test_the_manifest_lists_each_file_and_how_its_key_was_made(private_store, tmp_path, version):
    store.cached("thing", lambda: 1, depends_on=MODULE)
    [path] = private_store.iterdir()
    archive = tmp_path / "results.tar.gz"
    storearchive.export_store(archive)
    with tarfile.open(archive) as tar:
        assert tar.getnames() == [storearchive.MANIFEST, path.name]
        manifest = json.load(tar.extractfile(storearchive.MANIFEST))
    assert manifest["files"] == [{"name": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                                  "size": path.stat().st_size}]
    assert manifest["seed_offset"] == 0 and manifest["format"] == storearchive.FORMAT
    assert manifest["dependency_fingerprints"] == {m: CURRENT for m in storearchive.dlbook_modules()}
    assert "dlbook.store" in manifest["dependency_fingerprints"] and "git_commit" in manifest


def test_results_of_other_code_and_results_already_stored_are_skipped(private_store, tmp_path, version):
    version["fp"] = OTHER
    store.cached("old", lambda: "old code", depends_on=MODULE)
    version["fp"] = CURRENT
    store.cached("new", lambda: "current code", depends_on=MODULE)
    store.cached("kept", lambda: "current code", depends_on=MODULE)
    archive = tmp_path / "results.tar.gz"
    storearchive.export_store(archive)
    for name in (f"old-{OTHER}.pt", f"new-{CURRENT}.pt"):
        (private_store / name).unlink()

    report = storearchive.import_store(archive)
    assert report.imported == [f"new-{CURRENT}.pt"]
    assert report.skipped[f"kept-{CURRENT}.pt"] == "already in the store"
    assert "other code" in report.skipped[f"old-{OTHER}.pt"] and OTHER in report.skipped[f"old-{OTHER}.pt"]
    assert sorted(snapshot(private_store)) == [f"kept-{CURRENT}.pt", f"new-{CURRENT}.pt"]


def test_current_only_leaves_out_the_results_of_other_code(private_store, tmp_path, version):
    version["fp"] = OTHER
    store.cached("old", lambda: "old code", depends_on=MODULE)
    version["fp"] = CURRENT
    store.cached("new", lambda: "current code", depends_on=MODULE)
    archive = tmp_path / "results.tar.gz"
    assert storearchive.export_store(archive, current_only=True) == 1
    with tarfile.open(archive) as tar:
        assert tar.getnames() == [storearchive.MANIFEST, f"new-{CURRENT}.pt"]
    version["fp"] = "e" * 16  # nothing stored by the current code
    with pytest.raises(ValueError, match="no results"):
        storearchive.export_store(tmp_path / "none.tar.gz", current_only=True)


def test_the_current_keys_include_those_of_trained_networks():
    # a network's key covers its training module and its architecture's module (Recipe.depends_on)
    keys = storearchive.current_keys()
    for network in ("dlbook.models", "dlbook.cnn"):
        assert store.result_key(("dlbook.experiments", network)) in keys
        assert store.result_key(("dlbook.stackedseeds", network)) in keys


def test_an_unreadable_archive_lists_no_names(tmp_path):
    (tmp_path / "bad.tar.gz").write_bytes(b"not gzip")
    assert storearchive.archived_names(tmp_path / "bad.tar.gz") is None
    assert storearchive.archived_names(tmp_path / "missing.tar.gz") is None


def test_an_empty_store_is_not_exported(tmp_path):
    with pytest.raises(ValueError, match="no results"):
        storearchive.export_store(tmp_path / "results.tar.gz")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_export_leaves_nothing(tmp_path, version, monkeypatch):
    store.cached("thing", lambda: 1, depends_on=MODULE)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tarfile.TarFile, "add", interrupted)
    with pytest.raises(KeyboardInterrupt):
        storearchive.export_store(tmp_path / "results.tar.gz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def good_result():
    return f"good-{CURRENT}.pt", b"weights"


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_corrupt_archive_is_rejected(private_store, tmp_path, version, damage):
    archive = write_archive(tmp_path / "results.tar.gz", dict([good_result()]))
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"not an archive" * 10)
    with pytest.raises(ValueError, match=r"results\.tar\.gz is not a readable \.tar\.gz archive"):
        storearchive.import_store(archive)
    assert not private_store.exists()


def test_an_archive_without_manifest_is_rejected(private_store, tmp_path, version):
    name, data = good_result()
    archive = write_archive(tmp_path / "results.tar.gz", {name: data}, with_manifest=False)
    with pytest.raises(ValueError, match=r"results\.tar\.gz has no manifest\.json"):
        storearchive.import_store(archive)
    assert not private_store.exists()


@pytest.fixture
def existing(private_store):
    """Put one result in the store and return the store's contents, to check that a rejected import leaves them."""
    private_store.mkdir()
    (private_store / f"existing-{CURRENT}.pt").write_bytes(b"mine")
    return snapshot(private_store)


def test_a_member_whose_checksum_differs_from_the_manifest_is_rejected(private_store, tmp_path, version, existing):
    name, data = good_result()
    other = f"other-{CURRENT}.pt"
    archive = write_archive(tmp_path / "results.tar.gz", {name: data, other: b"tampered"},
                            manifest_files={name: data, other: b"original"})
    expected, actual = hashlib.sha256(b"original").hexdigest(), hashlib.sha256(b"tampered").hexdigest()
    with pytest.raises(ValueError, match=rf"results\.tar\.gz: member '{other}' has SHA-256 {actual}, "
                                         rf"but manifest\.json says {expected}"):
        storearchive.import_store(archive)
    assert snapshot(private_store) == existing


@pytest.mark.parametrize("foreign", ["../escape-0000000000000000.pt", "/tmp/thing-0000000000000000.pt",
                                     "notes.txt", "sub/thing-0000000000000000.pt"])
def test_a_member_that_is_no_result_file_is_rejected(private_store, tmp_path, version, existing, foreign):
    name, data = good_result()
    archive = write_archive(tmp_path / "results.tar.gz", {name: data, foreign: b"x"}, manifest_files={name: data})
    with pytest.raises(ValueError, match=rf"results\.tar\.gz: foreign member '{foreign}'"):
        storearchive.import_store(archive)
    assert snapshot(private_store) == existing
    assert not (tmp_path / "escape-0000000000000000.pt").exists()


def test_a_member_missing_from_the_manifest_is_rejected(private_store, tmp_path, version, existing):
    name, data = good_result()
    extra = f"extra-{CURRENT}.pt"
    archive = write_archive(tmp_path / "results.tar.gz", {name: data, extra: b"x"}, manifest_files={name: data})
    with pytest.raises(ValueError, match=rf"foreign member '{extra}': manifest\.json does not list it"):
        storearchive.import_store(archive)
    assert snapshot(private_store) == existing


def test_a_manifest_entry_missing_from_the_archive_is_rejected(private_store, tmp_path, version, existing):
    name, data = good_result()
    lost = f"lost-{CURRENT}.pt"
    archive = write_archive(tmp_path / "results.tar.gz", {name: data}, manifest_files={name: data, lost: b"x"})
    with pytest.raises(ValueError, match=rf"manifest\.json lists '{lost}', but the archive does not contain it"):
        storearchive.import_store(archive)
    assert snapshot(private_store) == existing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results", "results.tar.gz"]  # no staging folder left


def test_a_missing_archive_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.tar.gz"):
        storearchive.import_store(tmp_path / "nowhere.tar.gz")


def test_the_command_line_exports_imports_and_reports(private_store, tmp_path, version, capsys):
    version["fp"] = OTHER
    store.cached("old", lambda: 0, depends_on=MODULE)
    archive = tmp_path / "results.tar.gz"
    assert storearchive.main(["export", str(archive)]) == 0
    assert capsys.readouterr().out == f"exported 1 results from {private_store} to {archive}\n"
    version["fp"] = CURRENT
    assert storearchive.main(["import", str(archive)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"skipped old-{OTHER}.pt: made by other code")
    assert lines[1:] == [f"imported 0 results into {private_store}, skipped 1"]


def test_the_command_line_reports_a_bad_archive_without_traceback(tmp_path, version, capsys):
    archive = tmp_path / "results.tar.gz"
    archive.write_bytes(b"junk")
    assert storearchive.main(["import", str(archive)]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {archive} is not a readable") and "Traceback" not in captured.err
    with pytest.raises(SystemExit) as wrong:
        storearchive.main(["unpack", str(archive)])
    assert wrong.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_python_dash_m_dlbook_store_runs_the_command_line(tmp_path, monkeypatch, capsys):
    """Run store.py as ``__main__`` the way ``python -m dlbook.store`` does (in this process: no second torch import)."""
    monkeypatch.delitem(sys.modules, "dlbook.store")  # as in a fresh `python -m`, where it is not imported yet
    monkeypatch.setattr(sys, "argv", ["store.py", "import", str(tmp_path / "nowhere.tar.gz")])
    with pytest.raises(SystemExit) as done:
        runpy.run_module("dlbook.store", run_name="__main__")
    assert done.value.code == 1 and capsys.readouterr().err == f"error: no archive at {tmp_path / 'nowhere.tar.gz'}\n"
