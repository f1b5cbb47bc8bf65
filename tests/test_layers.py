"""The package's layering: every module has one layer, and no module imports from a higher layer."""

import ast

import pytest

from dlbook.fingerprint import REPO_ROOT, imported_modules

#: Lowest first. A module may import modules of its own layer and of lower layers only.
LAYERS = {
    "foundations": {"fingerprint", "seeds", "runtime", "environment", "tables", "stats", "pageglue"},
    "data": {"mnist", "preprocess", "toydata", "corruption"},
    "models": {"models", "cnn", "initialization", "logic_nets", "convarith", "pooling", "probes"},
    "training and evaluation": {"train", "playground", "survival"},
    "experiments and store": {"store", "storearchive", "experiments", "stackedseeds", "depthwidth"},
    "metrics": {"metrics"},
    "plots": {"plots", "toyplots", "cnnplots"},
    "chapter protocols": {"protocol"},
}
RANK = {module: rank for rank, modules in enumerate(LAYERS.values()) for module in modules}
MODULES = sorted(p.stem for p in (REPO_ROOT / "code" / "dlbook").glob("*.py") if p.stem != "__init__")


def test_every_module_has_exactly_one_layer():
    placed = [m for modules in LAYERS.values() for m in modules]
    assert sorted(placed) == MODULES, "place each module of code/dlbook in one layer of LAYERS"


@pytest.mark.parametrize("module", MODULES)
def test_no_import_from_a_higher_layer(module):
    source = (REPO_ROOT / "code" / "dlbook" / f"{module}.py").read_text(encoding="utf-8")
    imported = {m.split(".")[1] for m in imported_modules(source) if m != "dlbook"}
    higher = {m for m in imported if RANK[m] > RANK[module]}
    assert not higher, f"dlbook.{module} imports {higher} from a higher layer"


def test_a_higher_import_is_detected():
    # the check above can fail: corruption (data) importing train (training) would be reported
    imported = {m.split(".")[1] for m in imported_modules("from dlbook.train import predict\n") if m != "dlbook"}
    assert {m for m in imported if RANK[m] > RANK["corruption"]} == {"train"}


def _imports_of(source: str) -> set[str]:
    """Top-level names of the modules that ``source`` imports (``from dlbook.x import y`` gives ``dlbook``)."""
    tree = ast.parse(source)
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    return {name.split(".")[0] for name in names}


def test_the_claims_extension_imports_nothing_from_the_book():
    # code/sphinx_claims is a package of its own (any MyST-NB book can use it); dlbook may import it
    for path in sorted((REPO_ROOT / "code" / "sphinx_claims").glob("*.py")):
        assert "dlbook" not in _imports_of(path.read_text(encoding="utf-8")), f"{path.name} imports dlbook"
    assert _imports_of("from dlbook.stats import mean_std\nimport numpy\n") == {"dlbook", "numpy"}
