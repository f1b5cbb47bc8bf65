"""Tests for book/_ext/dlbook_cache.py: each executed page's cache key carries the fingerprint of the code it imports."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dlbook.fingerprint import REPO_ROOT, closure, fingerprint
from _sitehelpers import NOTEBOOK_FRONT_MATTER as FRONT

sys.path.insert(0, str(REPO_ROOT / "book" / "_ext"))
import dlbook_cache as cache_ext  # noqa: E402


PAGE = FRONT + """
# A page

Prose that says from dlbook.cnn import build_cnn is not code.

```{code-cell} ipython3
:tags: [remove-cell]
import numpy as np
from dlbook.toydata import make_toy_data
from dlbook import tables, not_a_module
```

````{code-cell} ipython3
def f():
    from dlbook.plots import (use_book_style,
                              COLORS as colors)
    import dlbook.probes as probes, os
````
"""


class FakeEnv:
    def __init__(self):
        self.dependencies = []

    def note_dependency(self, path):
        self.dependencies.append(path)


class FakeApp:
    def __init__(self):
        self.env = FakeEnv()


def front_matter(text: str) -> dict:
    return yaml.safe_load(text.split("---\n")[1])


def test_page_modules_reads_code_cells_only():
    assert cache_ext.page_modules(PAGE) == {"dlbook", "dlbook.toydata", "dlbook.tables", "dlbook.plots",
                                             "dlbook.probes"}
    assert cache_ext.page_modules(FRONT + "\n```{code-cell} ipython3\nimport torch\n```\n") == frozenset()


def test_key_goes_into_the_kernelspec_and_keeps_line_numbers():
    keyed = cache_ext.with_dependency_key(PAGE, "0123456789abcdef")
    spec = front_matter(keyed)["kernelspec"]
    assert spec == {"display_name": "Python 3", "language": "python", "name": "python3",
                    cache_ext.KEY: "0123456789abcdef"}
    assert front_matter(keyed)["jupytext"] == front_matter(PAGE)["jupytext"]
    assert keyed.count("\n") == PAGE.count("\n")
    assert keyed.splitlines()[11:] == PAGE.splitlines()[11:]


def test_a_flow_style_kernelspec_is_keyed_too():
    page = "---\nkernelspec: {name: python3}\nmystnb:\n  execution_timeout: 900\n---\n# x\n"
    keyed = cache_ext.with_dependency_key(page, "k")
    assert front_matter(keyed) == {"kernelspec": {"name": "python3", cache_ext.KEY: "k"},
                                   "mystnb": {"execution_timeout": 900}}


@pytest.mark.parametrize("page", ["# no front matter\n", "---\ntitle: x\n---\n", "---\nkernelspec: python3\n---\n"])
def test_pages_without_a_kernelspec_mapping_raise_value_error(page):
    with pytest.raises(ValueError, match="front matter|kernelspec"):
        cache_ext.with_dependency_key(page, "k")


def test_hook_keys_executed_pages_and_notes_their_files():
    app, source = FakeApp(), [PAGE]
    cache_ext._key_page_on_its_dependencies(app, "part1/page", source)
    modules = closure(cache_ext.page_modules(PAGE))
    assert front_matter(source[0])["kernelspec"][cache_ext.KEY] == fingerprint(modules, files=cache_ext.CLAIMS_RUNTIME)
    noted = {Path(p) for p in app.env.dependencies}
    assert {REPO_ROOT / "requirements.txt", REPO_ROOT / "data" / "mnist" / "SHA256SUMS"} <= noted
    assert REPO_ROOT / "code" / "sphinx_claims" / "check.py" in noted  # the claims runtime of every page
    assert REPO_ROOT / "code" / "dlbook" / "models.py" in noted  # through dlbook.probes
    assert REPO_ROOT / "code" / "dlbook" / "cnn.py" not in noted  # named in prose only


def test_hook_leaves_pages_without_kernelspec_alone():
    app, source = FakeApp(), ["# Prose\n\n```python\nfrom dlbook.cnn import x\n```\n"]
    cache_ext._key_page_on_its_dependencies(app, "intro", source)
    assert source == ["# Prose\n\n```python\nfrom dlbook.cnn import x\n```\n"] and app.env.dependencies == []


def test_cache_keeps_a_few_versions_per_page(tmp_path):
    from types import SimpleNamespace

    from jupyter_cache import get_cache

    config = SimpleNamespace(execution_mode="cache", execution_cache_path=str(tmp_path / "cache"))
    env = SimpleNamespace(mystnb_config=config, found_docs={"intro", "part1/a", "part1/b"})
    cache_ext._limit_cache_size(FakeApp(), env, [])
    assert get_cache(tmp_path / "cache").get_cache_limit() == 3 * cache_ext.VERSIONS_PER_PAGE
    config.execution_mode, config.execution_cache_path = "force", str(tmp_path / "other")
    cache_ext._limit_cache_size(FakeApp(), env, [])
    assert not (tmp_path / "other").exists()


def test_every_executed_page_of_the_book_gets_a_key():
    pages = [p for p in (REPO_ROOT / "book").rglob("*.md") if cache_ext.has_kernelspec(p.read_text())]
    assert pages
    for page in pages:
        text = page.read_text()
        keyed = cache_ext.with_dependency_key(text, "k")
        assert front_matter(keyed)["kernelspec"][cache_ext.KEY] == "k", page
        assert keyed.count("\n") == text.count("\n"), page


def test_book_modules_import_without_sphinx():
    # Sphinx is needed to build the book, not to train or to plot.
    code = ("import sys; sys.modules['sphinx'] = None; import dlbook.store, dlbook.cnn, dlbook.experiments, "
            "dlbook_cache")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "code"), str(REPO_ROOT / "book" / "_ext")])}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)


def test_the_extension_imports_neither_numpy_nor_torch():
    # Sphinx imports it in every build: PyTorch would add seconds to each
    code = "import sys; sys.modules['torch'] = sys.modules['numpy'] = None; import dlbook_cache"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "code"), str(REPO_ROOT / "book" / "_ext")])}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)


def _tiny_book(root: Path) -> None:
    """A two-page book beside a copy of the package: page a imports dlbook.tables, page b dlbook.seeds."""
    shutil.copytree(REPO_ROOT / "code", root / "code", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "book" / "_ext").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "book" / "_ext" / "dlbook_cache.py", root / "book" / "_ext")
    shutil.copy(REPO_ROOT / "requirements.txt", root / "requirements.txt")
    (root / "data" / "mnist").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "data" / "mnist" / "SHA256SUMS", root / "data" / "mnist" / "SHA256SUMS")
    (root / "_config.yml").write_text("title: tiny\nonly_build_toc_files: true\nexecute:\n  execute_notebooks: cache\n"
                                      "  raise_on_error: true\nsphinx:\n  local_extensions:\n    dlbook_cache: book/_ext\n")
    (root / "book" / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: a\n  - file: b\n")
    (root / "book" / "intro.md").write_text("# Intro\n\nProse.\n")
    cell = "```{code-cell} ipython3\n%s\n```\n"
    (root / "book" / "a.md").write_text(FRONT + "# A\n\n" + cell % "from dlbook.tables import markdown_table\n"
                                        "print(markdown_table(['a'], [[1]]))")
    (root / "book" / "b.md").write_text(FRONT + "# B\n\n" + cell % "from dlbook.seeds import book_seed\n"
                                        "print(book_seed(3))")


def _build(root: Path) -> tuple[set[str], set[str]]:
    """Build the tiny book; return the pages Sphinx read and the pages MyST-NB executed."""
    env = {**os.environ, "PYTHONPATH": str(root / "code")}  # the kernels inherit it: they import the copy
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jupyter_book), "build", "book/", "-W", "--keep-going"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    read = set(re.findall(r"reading sources\.\.\. \[\s*\d+%\] (\w+)", log))
    executed = set(re.findall(r"(\w+)\.md: Executed notebook", log))
    return read, executed


def _printed(root: Path, page: str) -> str:
    """The first line that page's executed notebook (``_build/jupyter_execute``) printed."""
    notebook = json.loads((root / "_build" / "jupyter_execute" / f"{page}.ipynb").read_text())
    outputs = [out for cell in notebook["cells"] for out in cell.get("outputs", []) if out.get("name") == "stdout"]
    assert outputs, f"{page}.ipynb has no printed output"
    return "".join(outputs[0]["text"]).splitlines()[0]


@pytest.mark.skipif(not Path(sys.executable).with_name("jupyter-book").exists(), reason="needs jupyter-book")
def test_a_build_reexecutes_exactly_the_pages_whose_code_changed(tmp_path):
    _tiny_book(tmp_path)
    tables = tmp_path / "code" / "dlbook" / "tables.py"
    original = tables.read_text()
    assert _build(tmp_path) == ({"intro", "a", "b"}, {"a", "b"})
    tables.write_text(original.replace('"""Return a', '"""Return, as a string, a', 1))  # docstring only
    assert _build(tmp_path) == ({"a"}, set())  # a read again, outputs from the cache; b, unchanged, not read
    assert _printed(tmp_path, "a") == "| a |"  # the page's notebook keeps the cached outputs
    tables.write_text(original + "\nUNUSED = 1\n")  # a change of meaning
    assert _build(tmp_path) == ({"a"}, {"a"})
    tables.write_text(original)  # back, as after switching branches: the old record is still there
    assert _build(tmp_path) == ({"a"}, set())


def test_page_files_are_the_existing_data_files_its_code_names(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "record.json").write_text("{}")
    page = (FRONT + '\n```{code-cell} ipython3\nr = ROOT / "benchmarks/record.json"\n'
            'missing = "benchmarks/none.json"\ncode = "x.py"\n```\n\nProse names "benchmarks/other.json".\n')
    assert cache_ext.page_files(page, tmp_path) == ("benchmarks/record.json",)


def test_a_named_data_file_is_in_the_key():
    page = FRONT + '\n```{code-cell} ipython3\nimport json\nrecord = "benchmarks/peers-record.json"\n```\n'
    app, source = FakeApp(), [page]
    cache_ext._key_page_on_its_dependencies(app, "part3/page", source)
    files = ("benchmarks/peers-record.json", *cache_ext.CLAIMS_RUNTIME)
    assert front_matter(source[0])["kernelspec"][cache_ext.KEY] == fingerprint(frozenset(), files=files)
    assert fingerprint(frozenset(), files=files) != fingerprint(frozenset(), files=cache_ext.CLAIMS_RUNTIME)
    assert REPO_ROOT / "benchmarks" / "peers-record.json" in {Path(p) for p in app.env.dependencies}


def test_a_seed_offset_is_in_the_key(monkeypatch):
    monkeypatch.delenv("DLBOOK_SEED_OFFSET", raising=False)
    plain = [PAGE]
    cache_ext._key_page_on_its_dependencies(FakeApp(), "part1/page", plain)
    monkeypatch.setenv("DLBOOK_SEED_OFFSET", "1")
    shifted = [PAGE]
    cache_ext._key_page_on_its_dependencies(FakeApp(), "part1/page", shifted)
    keys = [front_matter(s[0])["kernelspec"][cache_ext.KEY] for s in (plain, shifted)]
    assert keys[0] != keys[1] and keys[1].startswith(keys[0])
