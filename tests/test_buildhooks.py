"""Tests for dlbook.buildhooks: the execution cache key follows code and requirements."""

import os
import subprocess
import sys
from pathlib import Path

from dlbook import buildhooks


def make_tree(root: Path) -> None:
    (root / "code" / "pkg").mkdir(parents=True)
    (root / "code" / "pkg" / "a.py").write_text("x = 1\n")
    (root / "requirements.txt").write_text("numpy==2.0\n")
    (root / "book").mkdir()
    (root / "book" / "page.md").write_text("# prose\n")


def test_hash_is_stable(tmp_path):
    make_tree(tmp_path)
    assert buildhooks.dependency_hash(tmp_path) == buildhooks.dependency_hash(tmp_path)


def test_hash_changes_with_code(tmp_path):
    make_tree(tmp_path)
    before = buildhooks.dependency_hash(tmp_path)
    (tmp_path / "code" / "pkg" / "a.py").write_text("x = 2\n")
    assert buildhooks.dependency_hash(tmp_path) != before


def test_hash_changes_with_new_module(tmp_path):
    make_tree(tmp_path)
    before = buildhooks.dependency_hash(tmp_path)
    (tmp_path / "code" / "pkg" / "b.py").write_text("")
    assert buildhooks.dependency_hash(tmp_path) != before


def test_hash_changes_with_requirements(tmp_path):
    make_tree(tmp_path)
    before = buildhooks.dependency_hash(tmp_path)
    (tmp_path / "requirements.txt").write_text("numpy==2.1\n")
    assert buildhooks.dependency_hash(tmp_path) != before


def test_hash_ignores_prose_and_bytecode(tmp_path):
    make_tree(tmp_path)
    before = buildhooks.dependency_hash(tmp_path)
    (tmp_path / "book" / "page.md").write_text("# other prose\n")
    (tmp_path / "code" / "pkg" / "__pycache__").mkdir()
    (tmp_path / "code" / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert buildhooks.dependency_hash(tmp_path) == before


def test_training_code_imports_without_sphinx():
    # Sphinx is needed to build the book, not to train: the store imports this module for its hash.
    code = "import sys; sys.modules['sphinx'] = None; import dlbook.store, dlbook.cnn, dlbook.experiments"
    env = {**os.environ, "PYTHONPATH": str(buildhooks.REPO_ROOT / "code")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
