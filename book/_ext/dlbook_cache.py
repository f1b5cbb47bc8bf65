"""Sphinx extension: each page's execution-cache key follows the code it imports; quiet progress bars."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from dlbook.fingerprint import EXTERNAL_INPUTS, REPO_ROOT, closure, fingerprint, module_path, modules_named
from dlbook.seeds import seed_offset  # no PyTorch in the Sphinx process

if TYPE_CHECKING:  # only for annotations
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

#: The kernelspec entry that carries a page's dependency fingerprint into the execution cache key.
KEY = "dlbook_dependencies"

#: The execution cache keeps about this many versions of each page (the most recently used ones).
VERSIONS_PER_PAGE = 3

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.S)
_CODE_CELL = re.compile(r"^(`{3,}|~{3,})\{code-cell\}[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(dlbook(?:\.\w+)*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^\n#;]*)", re.M)


def page_modules(text: str) -> frozenset[str]:
    """Return the ``dlbook`` modules that the code cells of a MyST notebook page import themselves.

    Recognizes ``from dlbook.x import ...``, ``from dlbook import x`` and ``import dlbook.x``
    statements (also indented, aliased or parenthesized) in ``{code-cell}`` blocks.
    """
    names: list[str] = []
    for cell in _CODE_CELL.finditer(text):
        code = cell.group(2)
        for match in _FROM_IMPORT.finditer(code):
            base = match.group(1)
            imported = match.group(2).strip("()").split(",")
            names += [base] + [f"{base}.{item.split()[0]}" for item in imported if item.strip()]
        for match in _IMPORT.finditer(code):
            names += [item.split()[0] for item in match.group(1).split(",") if item.strip()]
    return frozenset(module for name in names for module in modules_named(name))


#: A string literal in a code cell that names a data file of the repository (``"benchmarks/peers-record.json"``).
_DATA_FILE = re.compile(r"""["']([\w.-]+(?:/[\w.-]+)*\.(?:json|csv|txt))["']""")


#: The code that makes a claim's record in the kernel (code/sphinx_claims): every executed page calls it.
CLAIMS_RUNTIME = ("code/sphinx_claims/__init__.py", "code/sphinx_claims/check.py")


def page_files(text: str, root: Path = REPO_ROOT) -> tuple[str, ...]:
    """Return the repository files (paths relative to ``root``) that a page's code cells name in a string literal.

    A page that reads a recorded result, e.g. ``REPO_ROOT / "benchmarks/peers-record.json"``, then
    re-executes when that file changes. Only ``.json``, ``.csv`` and ``.txt`` files that exist count.
    """
    names = {name for cell in _CODE_CELL.finditer(text) for name in _DATA_FILE.findall(cell.group(2))}
    return tuple(sorted(name for name in names if (root / name).is_file()))


def with_dependency_key(text: str, key: str) -> str:
    """Return page ``text`` with ``dlbook_dependencies: key`` added to the kernelspec of its front matter.

    The kernelspec block is rewritten as one JSON line padded with blank lines, so every line
    of the page keeps its number (warnings point at the right line).
    """
    front = _FRONT_MATTER.match(text)
    if front is None:
        raise ValueError("expected the page to start with a '---' front matter block")
    block = front.group(1)
    spec = (yaml.safe_load(block) or {}).get("kernelspec")
    if not isinstance(spec, dict):
        raise ValueError(f"expected a 'kernelspec' mapping in the front matter, got {spec!r}")
    lines = block.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("kernelspec:"))
    end = start + 1
    while end < len(lines) and (lines[end][:1] in (" ", "\t") or not lines[end].strip()):
        end += 1
    new_spec = f"kernelspec: {json.dumps({**spec, KEY: key}, sort_keys=True)}\n"
    new_block = "".join(lines[:start]) + new_spec + "\n" * (end - start - 1) + "".join(lines[end:])
    return text[: front.start(1)] + new_block + text[front.end(1) :]


def has_kernelspec(text: str) -> bool:
    """Return whether page ``text`` starts with front matter that names a kernel (an executed page)."""
    front = _FRONT_MATTER.match(text)
    if front is None:
        return False
    meta = yaml.safe_load(front.group(1))
    return isinstance(meta, dict) and "kernelspec" in meta


def _key_page_on_its_dependencies(app: Sphinx, docname: str, source: list[str]) -> None:
    """Before MyST-NB parses an executed page, put its dependency fingerprint into its kernelspec.

    jupyter-cache keys a page on its code cells and its kernelspec, so the page re-executes when
    the meaning of a ``dlbook`` module it imports (directly or through others), the requirements,
    the data checksums, a data file its code names (:func:`page_files`), the claims code that runs
    in the kernel (:data:`CLAIMS_RUNTIME`) or the book's seed offset
    (``DLBOOK_SEED_OFFSET``) change, and not otherwise. Each of those files is also noted as a
    dependency, so Sphinx re-reads the page when one of them is edited; if the edit changed
    nothing but comments or docstrings, the key is the same and the cached outputs are used.
    Only the text passed to the parser changes, never the file.
    """
    if not has_kernelspec(source[0]):
        return
    modules, files = closure(page_modules(source[0])), (*page_files(source[0]), *CLAIMS_RUNTIME)
    key = fingerprint(modules, files=files)
    if seed_offset():  # other seeds, other outputs: never take a page's outputs from another offset
        key += f" seed-offset={seed_offset()}"
    source[0] = with_dependency_key(source[0], key)
    inputs = [REPO_ROOT / name for name in (*EXTERNAL_INPUTS, *files)]
    for path in [*(module_path(m) for m in sorted(modules)), *inputs]:
        app.env.note_dependency(str(path))


def _limit_cache_size(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Let the execution cache keep :data:`VERSIONS_PER_PAGE` records per page, dropping the least recently used.

    jupyter-cache keeps 1000 records by default: every version of every page, figures included.
    """
    if env.mystnb_config.execution_mode != "cache":
        return
    from jupyter_cache import get_cache  # a dependency of MyST-NB, needed only when building

    limit = VERSIONS_PER_PAGE * max(1, len(env.found_docs))
    get_cache(env.mystnb_config.execution_cache_path).change_cache_limit(limit)


def _write_cached_outputs(app: Sphinx, doctree: object) -> None:
    """Give a page read from the execution cache its outputs in ``jupyter_execute/<page>.ipynb``.

    MyST-NB 1.4.0 writes that notebook from the page's inputs when it takes the outputs from the
    cache (a prose-only edit), so the downloadable notebook and every reader of it (the exercise
    tests, ``benchmarks/release.py``) would see a page without outputs. Here the cached outputs
    are merged in again, the way MyST-NB merged them into the page it rendered.
    """
    config = app.env.mystnb_config
    path = Path(config.output_folder, app.env.docname + ".ipynb")
    if config.execution_mode != "cache" or not path.is_file():
        return
    import nbformat  # dependencies of MyST-NB, needed only when building
    from jupyter_cache import get_cache

    notebook = nbformat.read(path, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if not code_cells or any(cell.get("outputs") for cell in code_cells):
        return  # executed in this build (MyST-NB wrote its outputs), or nothing to merge
    try:
        _, notebook = get_cache(config.execution_cache_path).merge_match_into_notebook(notebook)
    except KeyError:  # not in the cache: the page's execution failed or is switched off
        return
    partial = path.with_name(path.name + ".partial")
    nbformat.write(notebook, partial)
    partial.replace(path)


def setup(app: Sphinx) -> dict:
    """Register the hooks; kernels started by the build inherit the environment set here."""
    os.environ["TQDM_DISABLE"] = "1"
    app.connect("source-read", _key_page_on_its_dependencies)
    app.connect("env-before-read-docs", _limit_cache_size)
    app.connect("doctree-read", _write_cached_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
