"""Tests for dlbook.fingerprint: which modules a module imports, and a fingerprint that follows meaning only."""

from pathlib import Path

import pytest

from dlbook import fingerprint as fp

TRAINING_MODULES = ("dlbook.experiments", "dlbook.depthwidth")
PLOTTING_MODULES = ("dlbook.plots", "dlbook.toyplots", "dlbook.cnnplots")


def make_tree(root: Path) -> None:
    package = root / "code" / "dlbook"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""The package."""\n')
    (package / "core.py").write_text('"""Core."""\n\n\ndef f(x):\n    """Double."""\n    return 2 * x  # twice\n')
    (package / "train.py").write_text("from dlbook.core import f\n\n\ndef g():\n    return f(1)\n")
    (package / "plots.py").write_text("import dlbook.train as t\n")
    (root / "requirements.txt").write_text("torch==2.13.0\n")
    (root / "data" / "mnist").mkdir(parents=True)
    (root / "data" / "mnist" / "SHA256SUMS").write_text("abc  train.gz\n")


def test_imports_are_found_in_every_form(tmp_path):
    make_tree(tmp_path)
    source = ("import os\nimport dlbook.core as c\nfrom dlbook import train, not_a_module\n"
              "def h():\n    from dlbook.plots import x\n")
    assert fp.imported_modules(source, tmp_path) == {"dlbook", "dlbook.core", "dlbook.train", "dlbook.plots"}
    assert fp.imported_modules("from .core import f\n", tmp_path) == {"dlbook", "dlbook.core"}
    assert fp.imported_modules("import numpy\n", tmp_path) == frozenset()


def test_closure_is_transitive_and_does_not_climb(tmp_path):
    make_tree(tmp_path)
    assert fp.closure(["dlbook.plots"], tmp_path) == {"dlbook", "dlbook.plots", "dlbook.train", "dlbook.core"}
    assert fp.closure(["dlbook.train"], tmp_path) == {"dlbook", "dlbook.train", "dlbook.core"}


@pytest.mark.parametrize("training", TRAINING_MODULES)
def test_training_does_not_depend_on_plotting(training):
    modules = fp.closure([training])
    assert training in modules and "dlbook.train" in modules
    assert not modules & set(PLOTTING_MODULES)


def test_docstring_comment_and_layout_edits_keep_the_fingerprint(tmp_path):
    make_tree(tmp_path)
    before = fp.dependency_fingerprint("dlbook.train", tmp_path)
    core = tmp_path / "code" / "dlbook" / "core.py"
    core.write_text('"""Core, reworded."""\n\ndef f(x):\n    """Return twice x."""\n    return (2 *\n            x)\n')
    assert fp.dependency_fingerprint("dlbook.train", tmp_path) == before


def test_body_edits_change_the_fingerprint_of_every_importer(tmp_path):
    make_tree(tmp_path)
    before = {m: fp.dependency_fingerprint(m, tmp_path) for m in ("dlbook.core", "dlbook.train", "dlbook.plots")}
    (tmp_path / "code" / "dlbook" / "core.py").write_text('"""Core."""\n\n\ndef f(x):\n    return 3 * x\n')
    after = {m: fp.dependency_fingerprint(m, tmp_path) for m in before}
    assert all(after[m] != before[m] for m in before)


def test_a_plotting_edit_keeps_the_training_fingerprint(tmp_path):
    make_tree(tmp_path)
    before = fp.dependency_fingerprint("dlbook.train", tmp_path)
    (tmp_path / "code" / "dlbook" / "plots.py").write_text("import dlbook.train as t\nCOLOR = 'red'\n")
    assert fp.dependency_fingerprint("dlbook.train", tmp_path) == before


def test_a_new_module_changes_nothing_that_does_not_import_it(tmp_path):
    make_tree(tmp_path)
    before = fp.dependency_fingerprint("dlbook.train", tmp_path)
    (tmp_path / "code" / "dlbook" / "claims.py").write_text("from dlbook.core import f\n")
    assert fp.dependency_fingerprint("dlbook.train", tmp_path) == before


@pytest.mark.parametrize("name", ["requirements.txt", "data/mnist/SHA256SUMS"])
def test_requirements_and_data_change_the_fingerprint(tmp_path, name):
    make_tree(tmp_path)
    before = fp.dependency_fingerprint("dlbook.core", tmp_path)
    (tmp_path / name).write_text("something else\n")
    assert fp.dependency_fingerprint("dlbook.core", tmp_path) != before


def test_fingerprint_does_not_depend_on_the_order_of_modules(tmp_path):
    make_tree(tmp_path)
    assert fp.fingerprint(["dlbook.core", "dlbook.train"], tmp_path) == fp.fingerprint(
        ["dlbook.train", "dlbook.core", "dlbook.core"], tmp_path)


@pytest.mark.parametrize("module", ["numpy", "dlbook.a.b", "dlbook.missing", "dlbook.no-such"])
def test_unknown_modules_raise_value_error(tmp_path, module):
    make_tree(tmp_path)
    with pytest.raises(ValueError, match="dlbook"):
        fp.module_path(module, tmp_path)


def test_repo_root_holds_the_package():
    assert (fp.REPO_ROOT / "code" / "dlbook" / "fingerprint.py").is_file()


def test_imports_for_annotations_only_are_left_out(tmp_path):
    make_tree(tmp_path)
    source = ("from typing import TYPE_CHECKING\nimport typing\nif TYPE_CHECKING:\n    from dlbook.train import g\n"
              "else:\n    from dlbook.core import f\nif typing.TYPE_CHECKING:\n    import dlbook.plots\n")
    assert fp.imported_modules(source, tmp_path) == {"dlbook", "dlbook.core"}


def test_imports_only_run_as_a_script_are_left_out(tmp_path):
    make_tree(tmp_path)
    source = "if __name__ == '__main__':\n    from dlbook.train import g\nelse:\n    from dlbook.core import f\n"
    assert fp.imported_modules(source, tmp_path) == {"dlbook", "dlbook.core"}
    assert fp.imported_modules(source.replace("'__main__'", '"__main__"'), tmp_path) == {"dlbook", "dlbook.core"}
