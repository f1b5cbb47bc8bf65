"""Time the book's build on a fresh clone: cold, warm, after a prose-only edit and after code edits; check it reproduces.

Usage (from the repository root, inside the project's virtual environment)::

    python benchmarks/build.py                # cold, warm, prose-edit builds + page weights
    python benchmarks/build.py --edits        # ... then one code edit after another, each rebuilt
    python benchmarks/build.py --reproduce    # ... then a second cold build, compared value by value
    python benchmarks/build.py --edits cnn models --warm-from .   # some edits, on this checkout's caches

It clones the committed HEAD into a temporary folder, so uncommitted changes are not
measured. It prints the seconds of each build, each page's execution time, the five
slowest cells, the ten heaviest files of the site, and checks the budgets: cold build
<= 12 min, warm rebuild <= 45 s, prose-only edit <= 60 s, no page over 2 MB. With
``--reproduce`` it also compares every glued value (timings excepted, by name) and the
bytes of every figure between two cold builds. With ``--edits`` it then makes the edits
of :data:`EDITS` one after another (a docstring, then the body of one function in each of
four modules), rebuilds after each and prints which pages executed, which networks were
trained again and the seconds; it checks that exactly the pages that import the edited
module (directly or through other modules) executed, that only the ``train.py`` edit
retrained networks, that the docstring edit executed nothing, and that the ``cnnplots``
rebuild took at most 90 s. It also checks which kind of network each edit retrained: the
``train.py`` edit both, the ``cnn.py`` edit CNNs only, the ``models.py`` edit MLPs only, the
others none. ``--edits MODULE ...`` makes only the edits of those modules; ``--warm-from
ROOT`` starts the clone with a copy of ROOT's execution cache and result store instead of a
cold build (one warm build, then the edits: the cold, warm and prose budgets are not measured).
Exit status 1 if a budget, a comparison or a check fails.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_SECONDS = {"cold": 12 * 60, "warm": 45, "prose": 60}
#: ``--edits``, in order: (module of code/dlbook, function, what is edited, seconds budget or None).
EDITS = (
    ("train", "train", "docstring", None),
    ("toyplots", "plot_curves", "body", None),
    ("cnnplots", "plot_robustness", "body", 90),
    ("corruption", "zero_pixels", "body", None),
    ("cnn", "build_cnn", "body", None),
    ("models", "build_mlp", "body", None),
    ("train", "train", "body", None),
)
#: Which kinds of stored network (the first word of a result's name) an edit of a module's body retrains.
RETRAINS = {"train": {"cnn", "mlp"}, "cnn": {"cnn"}, "models": {"mlp"}}
MAX_PAGE_BYTES = 2 * 1024 * 1024
#: Glue keys whose values are measurements of time, not results: excluded from the comparison.
TIMING_KEY = re.compile(r"seconds|time|speed|duration", re.IGNORECASE)

CELL_TIMER = '''
import json, os, time
_log = os.environ["DLBOOK_CELL_LOG"]
_state = {}
def _pre(info):
    _state["t"] = time.perf_counter()
    _state["src"] = info.raw_cell
def _post(result):
    with open(_log, "a") as handle:
        handle.write(json.dumps({"cwd": os.getcwd(), "seconds": time.perf_counter() - _state["t"],
                                 "source": _state["src"]}) + "\\n")
get_ipython().events.register("pre_run_cell", _pre)
get_ipython().events.register("post_run_cell", _post)
'''


def run_build(copy: Path, env: dict, log_path: Path) -> float:
    """Run ``jupyter-book build book/`` in ``copy``; return its wall time; raise if it fails."""
    start = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.run(["jupyter-book", "build", "book/", "-W", "--keep-going"],
                              cwd=copy, env=env, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"build failed (exit {proc.returncode}); log: {log_path}")
    return seconds


def page_times(log_path: Path) -> dict[str, float]:
    """Return ``{page: seconds}`` from myst-nb's 'Executed notebook in N seconds' log lines."""
    times = {}
    for line in log_path.read_text(errors="replace").splitlines():
        match = re.search(r"(\S+\.md): Executed notebook in ([\d.]+) seconds", line)
        if match:
            times[match.group(1)] = float(match.group(2))
    return times


def part_totals(times: dict[str, float]) -> dict[str, float]:
    """Return the execution seconds summed per folder of ``book/`` (``part1``, ``part2``, ...)."""
    totals: dict[str, float] = {}
    for page, value in times.items():
        parts = Path(page).parts
        folder = parts[parts.index("book") + 1] if "book" in parts and parts[-2] != "book" else "front and back matter"
        totals[folder] = totals.get(folder, 0.0) + value
    return dict(sorted(totals.items()))


def slowest_cells(cell_log: Path, copy: Path, n: int = 5) -> list[tuple[float, str, str]]:
    """Return the ``n`` slowest cells as ``(seconds, page, first line)``."""
    pages = {p: p.read_text() for p in (copy / "book").rglob("*.md")}
    cells = []
    for line in cell_log.read_text().splitlines():
        record = json.loads(line)
        source = record["source"].strip()
        page = next((str(p.relative_to(copy)) for p, text in pages.items()
                     if source and source in text), record["cwd"])
        first = next((s for s in source.splitlines() if s and not s.startswith("#")), "")
        cells.append((record["seconds"], page, first[:70]))
    return sorted(cells, reverse=True)[:n]


def executed_outputs(copy: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Return glued values ``{page::key: text}`` and figure hashes ``{page#n: sha256}`` from the cache.

    The cache keeps older versions of a page too; the newest record of each page is read.
    """
    from jupyter_cache import get_cache

    cache = get_cache(copy / "_build" / ".jupyter_cache")
    newest = {}
    for record in sorted(cache.list_cache_records(), key=lambda r: r.created):
        newest[record.uri] = record
    glued, figures = {}, {}
    for uri, record in newest.items():
        page = Path(uri).relative_to(copy).as_posix()
        notebook = cache.get_cache_bundle(record.pk).nb
        n_figure = 0
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                name = output.get("metadata", {}).get("scrapbook", {}).get("name")
                data = output.get("data", {})
                if name:
                    glued[f"{page}::{name}"] = json.dumps(data, sort_keys=True)
                elif "image/png" in data:
                    n_figure += 1
                    figures[f"{page}#{n_figure}"] = hashlib.sha256(data["image/png"].encode()).hexdigest()
    return glued, figures


def edit_function(path: Path, function: str, what: str) -> None:
    """Edit top-level ``function`` of module ``path``: its ``"docstring"``, or its ``"body"`` (a new first statement).

    Neither edit changes what the function computes; the body edit changes its syntax tree.
    """
    text = path.read_text()
    node = next((n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == function), None)
    if node is None:
        raise ValueError(f"{path.name} has no top-level function {function!r}")
    has_docstring = isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    lines = text.splitlines(keepends=True)
    if what == "docstring":
        if not has_docstring:
            raise ValueError(f"{function} has no docstring to edit")
        row = node.body[0].lineno - 1
        lines[row] = lines[row].replace('"""', '"""(Edited by the build benchmark.) ', 1)
    elif what == "body":
        first = node.body[1 if has_docstring else 0]
        lines.insert(first.lineno - 1, " " * first.col_offset + "_edited_by_the_build_benchmark = True\n")
    else:
        raise ValueError(f"what must be 'docstring' or 'body', got {what!r}")
    path.write_text("".join(lines))


def pages_depending_on(copy: Path, module: str) -> set[str]:
    """Return the executed pages of ``copy`` (paths relative to it) whose code imports ``dlbook.<module>``.

    Uses the clone's own ``book/_ext/dlbook_cache.py`` (directly or through other modules).
    """
    sys.path[:0] = [str(copy / "code"), str(copy / "book" / "_ext")]
    from dlbook_cache import has_kernelspec, page_modules
    from dlbook.fingerprint import closure

    pages = set()
    for page in (copy / "book").rglob("*.md"):
        text = page.read_text()
        if has_kernelspec(text) and f"dlbook.{module}" in closure(page_modules(text)):
            pages.add(page.relative_to(copy).as_posix())
    return pages


def stored_results(copy: Path) -> set[str]:
    """Return the file names in the clone's result store (``<name>-<fingerprint>.pt``)."""
    folder = copy / "_build" / ".results"
    return {p.name for p in folder.glob("*.pt")} if folder.is_dir() else set()


def network_kind(name: str) -> str:
    """Return ``"cnn"`` or ``"mlp"`` for a stored network's name (``cnn-maxpool-...``, ``stacked-mlp-...``)."""
    return "cnn" if name.startswith("cnn-") else "mlp" if re.match(r"(stacked-)?mlp-", name) else "other"


def run_edits(copy: Path, env: dict, work: Path, modules: list[str] | None = None) -> bool:
    """Make each edit of :data:`EDITS` (of ``modules`` only, if given) in turn, rebuild, print what ran.

    Return whether every check held.
    """
    ok = True
    print("\ncode edits, each rebuilt on the warm cache of the builds above")
    print(f"{'edit':42s} {'seconds':>8s} {'pages':>6s} {'trained':>8s}  check")
    for module, function, what, budget in EDITS:
        if modules and module not in modules:
            continue
        label = f"{what} of {module}.{function}"
        before = stored_results(copy)
        edit_function(copy / "code" / "dlbook" / f"{module}.py", function, what)
        log = work / f"edit-{module}-{what}.log"
        seconds = run_build(copy, env, log)
        executed = {Path(p).relative_to(copy).as_posix() for p in page_times(log)}
        trained = sorted(re.sub(r"-[0-9a-f]{16}\.pt$", "", name) for name in stored_results(copy) - before)
        expected = set() if what == "docstring" else pages_depending_on(copy, module)
        kinds = {network_kind(name) for name in trained}
        should_train = RETRAINS.get(module, set()) if what == "body" else set()
        passed = executed == expected and kinds == should_train and (budget is None or seconds <= budget)
        ok &= passed
        print(f"{label:42s} {seconds:8.1f} {len(executed):6d} {len(trained):8d}  {'ok' if passed else 'FAILED'}"
              + (f" (budget {budget} s)" if budget else ""))
        print("    pages executed: " + (", ".join(sorted(Path(p).stem for p in executed)) or "none"))
        if executed != expected:
            print("    expected: " + (", ".join(sorted(Path(p).stem for p in expected)) or "none"))
        counts = ", ".join(f"{sum(network_kind(n) == kind for n in trained)} {kind}" for kind in sorted(kinds))
        print("    networks trained: " + (counts or "none") + (f" (expected {', '.join(sorted(should_train))})"
                                                               if kinds != should_train else ""))
    return ok


def site_weights(html_dir: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Return the ten heaviest files and every page's weight (its html plus the images it loads)."""
    files = sorted(((p.stat().st_size, p.relative_to(html_dir).as_posix())
                    for p in html_dir.rglob("*") if p.is_file()), reverse=True)
    pages = []
    for page in html_dir.rglob("*.html"):
        text = page.read_text(errors="replace")
        size = len(text.encode())
        for src in set(re.findall(r'<img[^>]+src="([^"#?]+)"', text)):
            image = (page.parent / src).resolve()
            if image.is_file():
                size += image.stat().st_size
        pages.append((size, page.relative_to(html_dir).as_posix()))
    return files[:10], sorted(pages, reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", default=".", help="repository to clone (default: .)")
    parser.add_argument("--edits", nargs="*", metavar="MODULE",
                        help="also edit code module by module (all of EDITS, or these modules') and rebuild after each")
    parser.add_argument("--warm-from", type=Path, metavar="ROOT",
                        help="start from ROOT's _build/.jupyter_cache and _build/.results instead of a cold build")
    parser.add_argument("--reproduce", action="store_true", help="also build a second time from cold and compare")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dlbook-bench-"))
    copy = work / "book-copy"
    subprocess.run(["git", "clone", "--quiet", str(Path(args.repo).resolve()), str(copy)], check=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=copy, capture_output=True, text=True).stdout.strip()
    print(f"fresh clone of commit {commit} in {copy}")

    ipython_dir = work / "ipython"
    (ipython_dir / "profile_default" / "startup").mkdir(parents=True)
    (ipython_dir / "profile_default" / "startup" / "00-cell-timer.py").write_text(CELL_TIMER)
    cell_log = work / "cells.jsonl"
    # PYTHONPATH puts the clone's package ahead of the editable install of the working tree;
    # PATH finds the jupyter-book of this interpreter's venv even when the venv is not activated.
    env = {**os.environ, "IPYTHONDIR": str(ipython_dir), "DLBOOK_CELL_LOG": str(cell_log),
           "PYTHONPATH": str(copy / "code"),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}

    if args.warm_from:
        if args.edits is None or args.reproduce:
            parser.error("--warm-from goes with --edits only")
        for cache in (".jupyter_cache", ".results"):
            shutil.copytree(args.warm_from.resolve() / "_build" / cache, copy / "_build" / cache)
        seconds = run_build(copy, env, work / "warm.log")
        print(f"warm build from {args.warm_from}'s caches: {seconds:.1f} s, "
              f"{len(page_times(work / 'warm.log'))} pages executed")
        return 0 if run_edits(copy, env, work, args.edits) else 1

    seconds = {"cold": run_build(copy, env, work / "cold.log")}
    seconds["warm"] = run_build(copy, env, work / "warm.log")
    intro = copy / "book" / "intro.md"
    intro.write_text(intro.read_text() + "\nA sentence added by the build benchmark.\n")
    seconds["prose"] = run_build(copy, env, work / "prose.log")

    ok = True
    print("\nbuild                 seconds   budget")
    for name, value in seconds.items():
        passed = value <= BUDGET_SECONDS[name]
        ok &= passed
        print(f"{name:20s} {value:8.1f} {BUDGET_SECONDS[name]:8d}  {'ok' if passed else 'OVER BUDGET'}")
    for name in ("warm", "prose"):
        executed = page_times(work / f"{name}.log")
        print(f"pages executed by the {name} rebuild: {len(executed)}")
        ok &= not executed

    print("\npage execution (cold build)")
    times = page_times(work / "cold.log")
    for page, value in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"{value:8.1f} s  {Path(page).relative_to(copy) if page.startswith(str(copy)) else page}")
    print(f"{sum(times.values()):8.1f} s  in all")
    print("  by part: " + ", ".join(f"{name} {value:.1f} s" for name, value in part_totals(times).items()))

    print("\nfive slowest cells")
    for value, page, first in slowest_cells(cell_log, copy):
        print(f"{value:8.1f} s  {page}: {first}")

    heaviest, pages = site_weights(copy / "_build" / "html")
    print("\nten heaviest files of _build/html")
    for size, name in heaviest:
        print(f"{size / 1e6:8.2f} MB  {name}")
    over = [(s, p) for s, p in pages if s > MAX_PAGE_BYTES]
    print(f"\nheaviest page with its images: {pages[0][1]} {pages[0][0] / 1e6:.2f} MB; pages over 2 MB: {len(over)}")
    ok &= not over

    if args.edits is not None:
        ok &= run_edits(copy, env, work, args.edits)

    if args.reproduce:
        glued_1, figures_1 = executed_outputs(copy)
        shutil.rmtree(copy / "_build")
        seconds["second cold"] = run_build(copy, env, work / "cold2.log")
        glued_2, figures_2 = executed_outputs(copy)
        compared = [k for k in glued_1 if not TIMING_KEY.search(k.split("::")[1])]
        differ = [k for k in compared if glued_1[k] != glued_2.get(k)]
        fig_differ = [k for k in figures_1 if figures_1[k] != figures_2.get(k)]
        missing = sorted(set(glued_2) ^ set(glued_1)) + sorted(set(figures_2) ^ set(figures_1))
        print(f"\nreproducibility: second cold build {seconds['second cold']:.1f} s")
        print("  page execution by part: " + ", ".join(
            f"{name} {value:.1f} s" for name, value in part_totals(page_times(work / "cold2.log")).items()))
        print(f"glued values compared: {len(compared)} (timings excluded: {len(glued_1) - len(compared)}); differing: {len(differ)}")
        print(f"figures compared: {len(figures_1)}; differing: {len(fig_differ)}; present in one build only: {len(missing)}")
        for key in differ[:20] + fig_differ[:20] + missing[:20]:
            print(f"  differs: {key}")
        ok &= not (differ or fig_differ or missing)

    print("\nall budgets and checks met" if ok else "\nSOME BUDGETS OR CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
