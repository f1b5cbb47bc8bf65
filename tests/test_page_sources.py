"""Removed cells compute nothing: they only hand values computed in cells a reader can open to claims and glue.

A cell tagged ``remove-cell`` never appears on the page, so a computation there would be a result the
reader can neither see nor rerun by reading. Its calls are limited to the claim and glue functions and to
plain conversions (``float``, ``len``, ``max``, ``.item()``, ...); it defines no functions and runs no loops.
"""

from __future__ import annotations

import ast
import re

import pytest

from _sitehelpers import BOOK_DIR, toc_pages

#: Calls a removed cell may make: checking, pasting, and converting values it is handed.
ALLOWED_CALLS = frozenset({
    "claim", "test_reading", "glue", "abs", "all", "any", "bool", "dict", "enumerate", "float", "format", "int", "len", "list",
    "max", "min", "range", "round", "set", "sorted", "str", "sum", "tuple", "zip", "scientific", "percent",
})
#: Methods a removed cell may call: reading and converting values, never computing with tensors.
ALLOWED_METHODS = frozenset({"item", "get", "items", "keys", "values", "tolist", "format", "join", "upper", "lower"})

_CODE_CELL = re.compile(r"^(`{3,})\{code-cell\}[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
_YAML_OPTIONS = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_COLON_OPTION = re.compile(r"\A(?::[^\n]*\n)+")  # ":tags: [...]", ":mystnb:" and its indented ":  key:" lines


def code_cells(source: str) -> list[tuple[str, str]]:
    """Each ``{code-cell}`` of a MyST page as (its options text, its code)."""
    cells = []
    for match in _CODE_CELL.finditer(source):
        body = match.group(2)
        options = _YAML_OPTIONS.match(body) or _COLON_OPTION.match(body)
        cells.append((options.group(0) if options else "", body[options.end():] if options else body))
    return cells


def _call_name(call: ast.Call) -> tuple[str, bool]:
    """The called name and whether it is a method (``x.name(...)``)."""
    if isinstance(call.func, ast.Name):
        return call.func.id, False
    if isinstance(call.func, ast.Attribute):
        return call.func.attr, True
    return ast.dump(call.func)[:40], False


def computations(code: str) -> list[str]:
    """What a removed cell computes beyond claims, glue and conversions (empty when it only hands values on)."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            found.append(f"line {node.lineno}: defines a function")
        elif isinstance(node, (ast.For, ast.While, ast.With)):
            found.append(f"line {node.lineno}: runs a {type(node).__name__.lower()} block")
        elif isinstance(node, ast.Call):
            name, method = _call_name(node)
            allowed = name in ALLOWED_METHODS if method else (name in ALLOWED_CALLS or name.startswith("glue"))
            if not allowed:
                found.append(f"line {node.lineno}: calls {name}()")
    return found


def test_computations_are_found():
    assert computations("claim('x', 'a > 0', a=float(acc.item()))\nglue_values('1b', {'n': len(xs)})") == []
    assert computations("acc = loss_and_accuracy(net, x, y)[1]") == ["line 1: calls loss_and_accuracy()"]
    assert computations("for s in seeds:\n    claim('x', 'a', a=s)") == ["line 1: runs a for block"]
    assert computations("def f():\n    return 1") == ["line 1: defines a function"]
    assert computations("r = torch.linalg.matrix_rank(w)") == ["line 1: calls matrix_rank()"]


def test_code_cells_are_read_with_their_options():
    page = ("```{code-cell} ipython3\n:tags: [remove-cell]\n:mystnb:\n:  image:\n:    width: 50%\n\nclaim('a', 'b')\n```\n\n"
            "```{code-cell} ipython3\n---\ntags: [hide-input]\n---\nx = 1\n```\n")
    assert code_cells(page) == [(":tags: [remove-cell]\n:mystnb:\n:  image:\n:    width: 50%\n", "\nclaim('a', 'b')\n"),
                                ("---\ntags: [hide-input]\n---\n", "x = 1\n")]


@pytest.mark.parametrize("page", [page for page in toc_pages() if page.startswith("part")])
def test_removed_cells_only_pass_values_to_claims_and_glue(page):
    source = (BOOK_DIR / page).with_suffix(".md").read_text(encoding="utf-8")
    offenders = [f"removed cell {n}: {what}" for n, (options, code) in enumerate(code_cells(source), 1)
                 if "remove-cell" in options for what in computations(code)]
    assert not offenders, f"{page}: removed cells compute what a reader cannot see:\n" + "\n".join(offenders)


def test_3f_trains_the_recipe_of_3g():
    """3F reuses 3G's stored networks only while both pages define the same recipe."""
    defined = []
    for page in ("part3/3f-pooling-robustness.md", "part3/3g-mnist-cnn.md"):
        source = (BOOK_DIR / page).read_text(encoding="utf-8")
        match = re.search(r"^recipe = Recipe\(.*?\)\n(?!\s)", source, re.M | re.S)
        assert match, f"{page}: no 'recipe = Recipe(...)' cell line"
        defined.append(" ".join(match.group(0).split()))
    assert defined[0] == defined[1]


def test_the_records_and_the_benchmarks_keep_the_recipe_of_3g():
    """3G compares benchmarks' records with its networks only when their recipe keys match its own."""
    import json
    import sys

    from dlbook.cnn import CNN
    from dlbook.experiments import Recipe

    source = (BOOK_DIR / "part3/3g-mnist-cnn.md").read_text(encoding="utf-8")
    code = re.search(r"^recipe = Recipe\(.*?\)\n(?!\s)", source, re.M | re.S).group(0)
    namespace = {"Recipe": Recipe, "CNN": CNN}
    exec(code, namespace)  # the page's own recipe cell line
    page_key = namespace["recipe"].key()
    benchmarks = BOOK_DIR.parent / "benchmarks"
    sys.path.insert(0, str(benchmarks))
    try:
        import peers
    finally:
        sys.path.remove(str(benchmarks))
    assert peers.BOOK_RECIPE.key() == page_key
    validation = json.loads((benchmarks / "cnn-validation-record.json").read_text())
    assert validation["variants"][0]["key"] == page_key
    recorded = json.loads((benchmarks / "peers-record.json").read_text())
    assert [r["key"] for r in recorded["recipes"] if r["name"] == "book (3G)"] == [page_key]
