"""Do the book's claims hold for any rerun? Execute every page cold under other seeds and other arithmetic.

Usage (from the repository root, inside the project's virtual environment)::

    python benchmarks/robustness.py                      # every page, every variant; writes the record
    python benchmarks/robustness.py --variants offset2   # only some variants (no record written)
    python benchmarks/robustness.py --tree --pages 1c 2e # pages of the working tree, for authors
    python benchmarks/robustness.py --pages 1 --update-record  # rerun Part 1 and put it in the record

A claim (:func:`sphinx_claims.claim`) states a lesson: it must hold whatever the seeds and whatever the
processor. For each variant of :data:`VARIANTS` this script clones the committed ``HEAD`` into a
folder of its own (never touching ``_build/``) and builds the book there as CI does, cold (an
empty result store: every network is trained again), with the variant's environment and with
claims only recorded (``claims_fail_build: false`` in the copy's ``_config.yml``: a false claim
does not stop the build), and reads every claim each executed page recorded. The ``default`` variant is the book's own build, for
comparison. It prints a line per page, then every claim that *flipped*: false in a variant, or
made by a variant and not by the default run (its wording depends on the run) or the other way
round, and every page that raised. It writes ``benchmarks/robustness-record.json`` (a full run;
``--json`` names another file) and exits with status 1 if anything flipped.
``--pages P --update-record`` reruns only those pages (a clone of HEAD, every variant) and replaces
their rows in the committed record; its ``page_runs`` then says when, on which commit and processor.

``--tree`` executes the working tree as it is, uncommitted edits included, in a copy per
variant under ``--workdir`` that keeps its result store between runs (networks are trained
once per code version and variant); ``--pages`` picks pages by the start of their file name.
These two run the pages' notebooks directly (nbclient), without Sphinx.
``--jobs 2`` runs two variants side by side (the variants with one thread suit that).
``--print-env offset1`` prints a variant's environment, for a build under it (`.ci/run`).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECORD = REPO / "benchmarks" / "robustness-record.json"

#: One thread (another summation order in every parallel sum) with oneDNN and MKL held to AVX2.
_ONE_THREAD_AVX2 = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "DNNL_MAX_CPU_ISA": "AVX2",
                    "MKL_ENABLE_INSTRUCTIONS": "AVX2"}
#: The variants: name -> environment. ``offset1`` is the one CI builds (`.ci/run`): other seeds, and
#: ATen's scalar kernels instead of its vectorized ones, which changes the arithmetic on any
#: processor. ``arithmetic`` keeps the book's seeds with ATen's AVX2 kernels (the kernels of a
#: laptop without AVX-512).
VARIANTS = {
    "default": {},
    "offset1": {"DLBOOK_SEED_OFFSET": "1", **_ONE_THREAD_AVX2, "ATEN_CPU_CAPABILITY": "default"},
    "offset2": {"DLBOOK_SEED_OFFSET": "2"},
    "arithmetic": {**_ONE_THREAD_AVX2, "ATEN_CPU_CAPABILITY": "avx2"},
}
#: How the claims page names each variant.
VARIANT_LABELS = {
    "default": "the book's seeds",
    "offset1": "seed offset 1, one thread, scalar kernels",
    "offset2": "seed offset 2",
    "arithmetic": "one thread, AVX2 kernels",
}
CELL_TIMEOUT = 900


def toc_pages(root: Path) -> list[str]:
    """Return the executed pages of ``root``'s ``_toc.yml``, in order (``part1/1a-zero-init-relu``, ...)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    chapters = toc.get("chapters", []) + [c for part in toc.get("parts", []) for c in part.get("chapters", [])]
    files = [toc["root"]] + [c["file"] for c in chapters]
    return [f for f in files if "kernelspec:" in (root / "book" / f"{f}.md").read_text().split("\n---", 1)[0]]


def keyed_claims(notebook: dict) -> list[dict]:
    """The claims an executed notebook recorded, each keyed by its sentence and occurrence (``sentence#2``)."""
    from dataclasses import asdict

    from sphinx_claims import claims_in_notebook

    seen: dict[str, int] = {}
    keyed = []
    for record in claims_in_notebook(notebook):
        seen[record.statement] = seen.get(record.statement, 0) + 1
        keyed.append({"key": f"{record.statement}#{seen[record.statement]}", **asdict(record)})
    return keyed


def execute_pages(root: Path, pages: list[str]) -> dict:
    """Execute ``pages`` of the book at ``root`` in this process's environment; return their claims and errors."""
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    results = {}
    for page in pages:
        path = root / "book" / f"{page}.md"
        notebook = jupytext.read(path)
        start = time.perf_counter()
        error = None
        try:
            NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        except CellExecutionError as exc:
            error = str(exc).strip().splitlines()[-1][:500]
        claims = keyed_claims(notebook)
        seconds = time.perf_counter() - start
        results[page] = {"seconds": round(seconds, 1), "error": error, "claims": claims}
        held = sum(c["holds"] for c in claims)
        print(f"  [{os.environ.get('DLBOOK_VARIANT', '?')}] {page}: {seconds:.0f} s, "
              f"{held} of {len(claims)} claims hold{', ERROR: ' + error if error else ''}", flush=True)
    return results


def prepare_copy(folder: Path, tree: bool) -> Path:
    """Make ``folder`` a copy of the repository: a fresh clone of HEAD, or (``tree``) the working tree synced in."""
    if tree:  # the files git would commit, as they are now; the copy's _build (its store) is kept
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout.split("\0")
        for old in folder.glob("*"):
            if old.name != "_build":
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        for name in filter(None, listed):
            if (REPO / name).is_file():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / name, folder / name)
    else:
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(folder)], check=True)
    return folder


_EXECUTED = re.compile(r"/book/([^\s:]+)\.md: Executed notebook in ([\d.]+) seconds")


def record_claims_only(copy: Path) -> None:
    """Set ``claims_fail_build: false`` in the copy's ``_config.yml``: its build records a false claim and goes on."""
    import yaml

    config_path = copy / "_config.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config.setdefault("sphinx", {}).setdefault("config", {})["claims_fail_build"] = False
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def build_variant(name: str, copy: Path, env: dict) -> dict:
    """Build the book in ``copy`` cold, as CI does (``jupyter-book build book/ --all -W --keep-going``); return its pages."""
    record_claims_only(copy)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    log_path = copy / "_build" / "build.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    seconds = {}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(jupyter_book), "build", "book/", "--all", "-W", "--keep-going"], cwd=copy,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            log.write(line)
            done = _EXECUTED.search(line)
            if done:
                seconds[done.group(1)] = float(done.group(2))
                print(f"  [{name}] {done.group(1)}: {float(done.group(2)):.0f} s", flush=True)
        returncode = proc.wait()
    tail = [line for line in log_path.read_text().splitlines() if "WARNING" in line or "Error" in line]
    pages = {}
    for page in toc_pages(copy):
        executed = copy / "_build" / "jupyter_execute" / f"{page}.ipynb"
        claims = keyed_claims(json.loads(executed.read_text())) if executed.is_file() else []
        error = None
        if page not in seconds:
            error = f"not executed; the build exited {returncode}: {' | '.join(tail[-3:])[:500]}"
        pages[page] = {"seconds": seconds.get(page), "error": error, "claims": claims}
    if returncode != 0 and all(p["error"] is None for p in pages.values()):
        pages[next(iter(pages))]["error"] = f"the build exited {returncode}: {' | '.join(tail[-3:])[:500]}"
    return pages


def run_variant(name: str, copy: Path, pages: list[str] | None, tree: bool) -> dict:
    """Run variant ``name`` in ``copy``: a real cold book build, or (``tree``) the pages in a child process."""
    env = {**os.environ, **VARIANTS[name], "DLBOOK_VARIANT": name,
           "TQDM_DISABLE": "1", "PYTHONPATH": str(copy / "code")}  # the copy's package, not the editable install
    if not tree:
        start = time.perf_counter()
        built = build_variant(name, copy, env)
        return {"env": VARIANTS[name], "seconds": round(time.perf_counter() - start, 1), "pages": built}
    out = copy / "_build" / "robustness.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--execute-into", str(out), "--root", str(copy)]
    if pages:
        cmd += ["--pages", *pages]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"variant {name}: the page runner failed (exit {proc.returncode})")
    return {"env": VARIANTS[name], "seconds": round(time.perf_counter() - start, 1),
            "pages": json.loads(out.read_text())}


def compare(variants: dict[str, dict]) -> tuple[list[dict], list[str]]:
    """Return one row per claim (page, statement) with its verdict in each variant, and the flips."""
    from sphinx_claims import format_value

    rows: dict[tuple[str, str], dict] = {}
    errors = []
    for name, result in variants.items():
        for page, outcome in result["pages"].items():
            if outcome["error"]:
                errors.append(f"{page} raised under {name}: {outcome['error']}")
            for c in outcome["claims"]:
                row = rows.setdefault((page, c["key"]), {"page": page, "key": c["key"], "statement": c["statement"],
                                                         "condition": c["condition"], "held": {}, "values": {}})
                row["held"][name] = c["holds"]
                row["values"][name] = {k: format_value(v) for k, v in c["values"].items()}
    names = list(variants)
    flips = list(errors)
    for row in rows.values():
        for name in names:
            page_ran = row["page"] in variants[name]["pages"]
            if page_ran and row["held"].get(name) is not True:
                verdict = "false" if name in row["held"] else "not made"
                flips.append(f"{row['page']}: {verdict} under {name}: {row['statement']!r} "
                             f"({row['condition']}; {row['values'].get(name, '')})")
    return list(rows.values()), flips


def merge_pages(record: dict, variants: dict[str, dict], rows: list[dict], flips: list[str], run: dict) -> dict:
    """Return ``record`` with the rows and flips of the pages this run executed replaced by the run's.

    ``record["page_runs"][page]`` then says when, on which commit and processor those pages ran, and
    how long each variant took; the record's own date and commit stay those of its full run.
    """
    pages = sorted({page for result in variants.values() for page in result["pages"]})
    merged = dict(record)
    new_rows = {page: [{k: row[k] for k in ("page", "statement", "condition", "held", "values")}
                       for row in rows if row["page"] == page] for page in pages}
    merged["claims"] = []
    for row in record["claims"]:  # each page's new rows where its old ones were, so the record's diff stays small
        if row["page"] not in pages:
            merged["claims"].append(row)
        elif row["page"] in new_rows:
            merged["claims"] += new_rows.pop(row["page"])
    merged["claims"] += [row for page_rows in new_rows.values() for row in page_rows]
    merged["flips"] = [f for f in record.get("flips", []) if f.split(":", 1)[0].split(" raised")[0] not in pages] + flips
    merged["page_runs"] = {**record.get("page_runs", {}), **{
        page: {**run, "seconds": {name: result["pages"][page]["seconds"] for name, result in variants.items()}}
        for page in pages}}
    return merged


def commit_of(root: Path) -> str:
    """Return the short commit of ``root``, marked if its work tree differs from it."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                           capture_output=True, text=True).stdout.strip()
    return commit + (" + uncommitted changes" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--pages", nargs="+", help="pages whose file name starts with these (default: all)")
    parser.add_argument("--tree", action="store_true", help="execute the working tree, not a clone of HEAD")
    parser.add_argument("--workdir", default=None, help="where the copies go (default: a new temporary folder; "
                        "with --tree, /tmp/dlbook-robustness)")
    parser.add_argument("--jobs", type=int, default=1, help="variants run side by side (default 1)")
    parser.add_argument("--json", default=None, help="write the record here (default: the committed record, "
                        "for a full run of HEAD)")
    parser.add_argument("--update-record", action="store_true", help="with --pages: replace those pages' rows of "
                        "the committed record by this run's (a clone of HEAD, every variant), noting their date and commit")
    parser.add_argument("--print-env", choices=list(VARIANTS), help="print a variant's environment as NAME=VALUE "
                        "lines and exit (CI: env $(python benchmarks/robustness.py --print-env offset1) ...)")
    parser.add_argument("--execute-into", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.print_env:
        print("\n".join(f"{name}={value}" for name, value in VARIANTS[args.print_env].items()))
        return 0
    if args.execute_into:  # the child process of one variant
        root = Path(args.root)
        pages = [p for p in toc_pages(root) if not args.pages or any(Path(p).name.startswith(s) for s in args.pages)]
        Path(args.execute_into).write_text(json.dumps(execute_pages(root, pages)))
        return 0

    if args.jobs < 1:
        raise SystemExit(f"--jobs must be at least 1, got {args.jobs}")
    if args.pages and not any(Path(p).name.startswith(s) for p in toc_pages(REPO) for s in args.pages):
        raise SystemExit(f"--pages {' '.join(args.pages)} matches no executed page: give the start of a page's "
                         "file name (for example 1c or 2e)")
    full = not args.tree and not args.pages and args.variants == list(VARIANTS)
    if args.update_record and (args.tree or not args.pages or args.variants != list(VARIANTS) or args.json):
        raise SystemExit("--update-record needs --pages, every variant, a clone of HEAD (no --tree) and no --json")
    work = Path(args.workdir or ("/tmp/dlbook-robustness" if args.tree else tempfile.mkdtemp(prefix="dlbook-robust-")))
    if not args.tree and work.exists() and any(work.iterdir()) and args.workdir:
        raise SystemExit(f"--workdir {work} must be empty for a cold run (or use --tree)")
    commit = commit_of(REPO)
    print(f"{'working tree' if args.tree else 'clone'} of {commit}; variants {', '.join(args.variants)}; in {work}",
          flush=True)
    copies = {name: prepare_copy(work / name, args.tree) for name in args.variants}
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {name: pool.submit(run_variant, name, copies[name], args.pages, args.tree or bool(args.pages))
                   for name in args.variants}
        variants = {name: futures[name].result() for name in args.variants}
    rows, flips = compare(variants)
    print(f"\n{len(rows)} claims, {len(variants)} variants, {time.perf_counter() - start:.0f} s")
    for name, result in variants.items():
        print(f"  {name}: {result['seconds']:.0f} s  ({VARIANT_LABELS[name]}; {result['env'] or 'no change'})")
    if flips:
        print(f"\n{len(flips)} flipped claims or failed pages:")
        for line in flips:
            print("  " + line)
    else:
        print("no claim flipped")

    from dlbook.environment import processor_name

    if args.update_record:
        RECORD.write_text(json.dumps(merge_pages(json.loads(RECORD.read_text()), variants, rows, flips, {
            "date": datetime.date.today().isoformat(), "commit": commit, "processor": processor_name()}), indent=1) + "\n")
        print(f"rows of {len(rows)} claims written into {RECORD}")
    elif full or args.json:
        record = {
            "date": datetime.date.today().isoformat(), "commit": commit, "processor": processor_name(),
            "variants": {name: {"label": VARIANT_LABELS[name], "env": r["env"], "seconds": r["seconds"],
                                "page_seconds": {p: o["seconds"] for p, o in r["pages"].items()},
                                "errors": {p: o["error"] for p, o in r["pages"].items() if o["error"]}}
                         for name, r in variants.items()},
            "flips": flips,
            "claims": [{k: row[k] for k in ("page", "statement", "condition", "held", "values")} for row in rows],
        }
        target = Path(args.json) if args.json else RECORD
        target.write_text(json.dumps(record, indent=1) + "\n")
        print(f"record written to {target}")
    if not args.tree and not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if flips else 0


if __name__ == "__main__":
    sys.exit(main())
