"""The repository root, which `dlbook` modules a module imports, and a fingerprint of their meaning."""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "dlbook"

#: Files besides the modules that every result depends on: the pinned packages and the data.
EXTERNAL_INPUTS = ("requirements.txt", "data/mnist/SHA256SUMS")


def module_path(module: str, root: Path = REPO_ROOT) -> Path:
    """Return the source file of ``module`` (``"dlbook"`` or ``"dlbook.<name>"``) under ``root/code``."""
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) > 2 or not all(p.isidentifier() for p in parts):
        raise ValueError(f"expected 'dlbook' or 'dlbook.<module>', got {module!r}")
    package_dir = root / "code" / PACKAGE
    path = package_dir / "__init__.py" if len(parts) == 1 else package_dir / f"{parts[1]}.py"
    if not path.is_file():
        raise ValueError(f"no source file for module {module!r}: {path} does not exist")
    return path


def modules_named(name: str, root: Path = REPO_ROOT) -> frozenset[str]:
    """Return the ``dlbook`` modules that importing the dotted ``name`` runs (none if it is not in ``dlbook``).

    ``"dlbook.train.History"`` gives ``{"dlbook", "dlbook.train"}``: the package's ``__init__`` runs too.
    """
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return frozenset()
    found = set()
    for module in (PACKAGE, ".".join(parts[:2])):
        try:
            module_path(module, root)
        except ValueError:
            continue
        found.add(module)
    return frozenset(found)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_main_guard(test: ast.expr) -> bool:
    return ast.unparse(test) == "__name__ == '__main__'"


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Return every node of ``tree`` except those in the body of an ``if TYPE_CHECKING:`` or an
    ``if __name__ == "__main__":`` block (which runs only when the module is run as a script)."""
    nodes, todo = [], [tree]
    while todo:
        node = todo.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and (_is_type_checking(node.test) or _is_main_guard(node.test)):
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))
    return nodes


def imported_modules(source: str, root: Path = REPO_ROOT) -> frozenset[str]:
    """Return the ``dlbook`` modules that Python ``source`` imports anywhere (also inside functions).

    ``from dlbook import x`` counts as importing the package and, if ``x`` is a module, ``dlbook.x``.
    Imports under ``if TYPE_CHECKING:`` are for annotations only, never run, and are left out; so
    are imports under ``if __name__ == "__main__":``, which run only when the module is run as a
    script (``python -m dlbook.store`` imports its command-line tool there), never on import.
    """
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # a relative import inside the package
                base = ".".join(filter(None, [PACKAGE, base]))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            found |= modules_named(name, root)
    return frozenset(found)


def closure(modules: Iterable[str], root: Path = REPO_ROOT) -> frozenset[str]:
    """Return ``modules`` together with every ``dlbook`` module they import, directly or through others."""
    todo = list(modules)
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        todo.extend(imported_modules(module_path(module, root).read_text(encoding="utf-8"), root))
    return frozenset(seen)


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    """Remove the docstring of the module and of every class and function in ``tree`` (in place)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:]
    return tree


def code_meaning(source: str) -> str:
    """Return a dump of ``source``'s syntax tree without docstrings: comments and layout do not show in it."""
    return ast.dump(_strip_docstrings(ast.parse(source)), include_attributes=False)


def fingerprint(modules: Iterable[str], root: Path = REPO_ROOT, files: Iterable[str] = ()) -> str:
    """Return a 16-hex-digit SHA-256 of the meaning of ``modules``, of :data:`EXTERNAL_INPUTS` and of ``files``.

    Edits to comments, docstrings or formatting leave it unchanged; any other edit to one of the
    modules, to the pinned requirements, to the data checksums or to one of ``files`` (paths
    relative to ``root``, hashed byte for byte) changes it. Pass a :func:`closure` to cover what
    the modules import.
    """
    digest = hashlib.sha256()
    for module in sorted(set(modules)):
        digest.update(f"module {module}\n".encode())
        digest.update(code_meaning(module_path(module, root).read_text(encoding="utf-8")).encode())
    for name in (*EXTERNAL_INPUTS, *sorted(set(files))):
        path = root / name
        digest.update(f"file {name}\n".encode())
        digest.update(path.read_bytes() if path.is_file() else b"(missing)")
    return digest.hexdigest()[:16]


def dependency_fingerprint(modules: str | Iterable[str], root: Path = REPO_ROOT) -> str:
    """Return the :func:`fingerprint` of ``modules`` (one name or several) and everything they import from ``dlbook``."""
    names = [modules] if isinstance(modules, str) else list(modules)
    if not names:
        raise ValueError("expected at least one module name")
    return fingerprint(closure(names, root), root)
