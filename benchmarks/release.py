"""A release, tried before it is tagged: each commit's claims ledger and how the checked findings changed.

Usage (from the repository root, inside the project's virtual environment)::

    python benchmarks/release.py ledger [ROOT] --out claims-ledger.json  # the claims of a built tree
    python benchmarks/release.py diff OLD.json NEW.json                  # Markdown: what changed
    python benchmarks/release.py dry-run --base REV [--head REV] --out DIR

``ledger`` reads every claim that the pages of a built tree glued (``ROOT/_build/jupyter_execute``,
default: this repository) into one JSON file: its commit, and per claim the page, the sentence, the
condition, the values and the verdict. ``diff`` compares two ledgers: claims added, removed,
reworded (the same check under a new sentence), whose verdict changed, and whose values changed.
``dry-run`` does locally what the release workflow (``.github/workflows/release.yml``) does on a
version tag: for each of two commits it checks the commit out into a temporary folder, builds the
book there (reusing this repository's execution cache and result store, so only what differs is
run), writes that commit's ledger, and writes the diff between them to ``DIR/ledger-diff.md``. The
workflow attaches the ledger and the diff to the release.
The ``ledger`` and ``diff`` commands need only Python's standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The MIME types of a claim's record among a page's cell outputs: sphinx_claims's, and the hidden glue
#: output of dlbook.claims, which made the records before it (so that older releases can be compared).
CLAIM_MIMES = ("application/vnd.sphinx-claims.claim+json",
               "application/papermill.record/application/vnd.dlbook.claim+json")


def commit_of(root: Path) -> str:
    """The commit checked out at ``root`` (with ``+edits`` when the tree has uncommitted changes)."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                           capture_output=True, text=True, check=True).stdout.strip()
    return head.stdout.strip() + ("+edits" if dirty else "")


def toc_pages(root: Path) -> list[str]:
    """The pages of ``root/_toc.yml`` in order (``part1/1a-zero-init-relu``, ...)."""
    return [line.split("file:", 1)[1].strip() for line in (root / "_toc.yml").read_text(encoding="utf-8").splitlines()
            if line.strip().startswith("- file:")]


def ledger(root: Path) -> dict:
    """Every claim recorded by the pages of the built tree at ``root`` (their executed notebooks), in book order."""
    executed = root / "_build" / "jupyter_execute"
    if not executed.is_dir():
        raise ValueError(f"{executed} does not exist: build the book first (jupyter-book build book/)")
    claims = []
    for page in toc_pages(root):
        notebook = executed / f"{page}.ipynb"
        if not notebook.is_file():
            continue
        outputs = [o for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"] for o in cell.get("outputs", [])]
        for record in (o.get("data", {}).get(mime) for o in outputs for mime in CLAIM_MIMES):
            if record is not None:
                claims.append({"page": page, "statement": record["statement"], "condition": record["condition"],
                               "values": record["values"], "holds": record["holds"]})
    return {"commit": commit_of(root), "claims": claims}


def _keyed(claims: list[dict]) -> dict[tuple[str, str, int], dict]:
    """Claims by (page, sentence, occurrence): a sentence made twice on a page is two claims."""
    keyed, seen = {}, {}
    for claim in claims:
        name = (claim["page"], claim["statement"])
        seen[name] = seen.get(name, 0) + 1
        keyed[(*name, seen[name])] = claim
    return keyed


def diff(old: dict, new: dict) -> dict:
    """What changed from ledger ``old`` to ledger ``new``: claims added, removed, reworded, re-judged, re-measured."""
    for name, book in (("old", old), ("new", new)):
        if not isinstance(book, dict) or not isinstance(book.get("claims"), list):
            raise ValueError(f"the {name} ledger is not a ledger of benchmarks/release.py (no list of claims)")
    before, after = _keyed(old["claims"]), _keyed(new["claims"])
    changed = {"verdict": [], "condition": [], "values": []}
    for key in before.keys() & after.keys():
        a, b = before[key], after[key]
        if a["holds"] != b["holds"]:
            changed["verdict"].append({"page": key[0], "statement": key[1], "was": a["holds"], "now": b["holds"]})
        if a["condition"] != b["condition"]:
            changed["condition"].append({"page": key[0], "statement": key[1], "was": a["condition"],
                                         "now": b["condition"]})
        moved = {name: {"was": a["values"].get(name), "now": b["values"].get(name)}
                 for name in sorted(a["values"].keys() | b["values"].keys())
                 if a["values"].get(name) != b["values"].get(name)}
        if moved:
            changed["values"].append({"page": key[0], "statement": key[1], "values": moved})
    order = {key: n for n, key in enumerate([*after, *before])}
    for rows in changed.values():
        rows.sort(key=lambda row: order.get((row["page"], row["statement"], 1), 0))
    added = [after[k] for k in after if k not in before]
    removed = [before[k] for k in before if k not in after]
    reworded = []  # the same check (page, condition, values) under a new sentence
    for claim in list(removed):
        twin = next((a for a in added if (a["page"], a["condition"], a["values"]) ==
                     (claim["page"], claim["condition"], claim["values"])), None)
        if twin is not None:
            added.remove(twin)
            removed.remove(claim)
            reworded.append({"page": claim["page"], "statement": twin["statement"], "was": claim["statement"]})
    return {"old": old.get("commit", "?"), "new": new.get("commit", "?"),
            "counts": {"old": len(before), "new": len(after)},
            "added": added, "removed": removed, "reworded": reworded, **changed}


def markdown(change: dict) -> str:
    """The diff as release notes: counts, then each kind of change as a list."""
    lines = [f"## Checked findings: {change['old'][:12]} -> {change['new'][:12]}", "",
             f"{change['counts']['new']} claims (were {change['counts']['old']}): {len(change['added'])} added, "
             f"{len(change['removed'])} removed, {len(change['reworded'])} reworded, "
             f"{len(change['verdict'])} changed verdict, "
             f"{len(change['condition'])} changed condition, {len(change['values'])} measured other values.", ""]
    sections = [("Verdict changed", change["verdict"], lambda r: f"{'holds' if r['now'] else 'FAILS'} "
                 f"(was {'holds' if r['was'] else 'fails'})"),
                ("Added", change["added"], lambda r: f"`{r['condition']}`"),
                ("Removed", change["removed"], lambda r: f"`{r['condition']}`"),
                ("Reworded", change["reworded"], lambda r: f"was: {r['was']}"),
                ("Condition changed", change["condition"], lambda r: f"`{r['was']}` -> `{r['now']}`"),
                ("Values changed", change["values"], lambda r: "; ".join(
                    f"{name}: {v['was']} -> {v['now']}" for name, v in r["values"].items()))]
    for title, rows, detail in sections:
        if rows:
            lines += [f"### {title} ({len(rows)})", ""]
            lines += [f"- **{row['page']}**: {row['statement']} ({detail(row)})" for row in rows]
            lines.append("")
    return "\n".join(lines)


def build_commit(rev: str, folder: Path) -> dict:
    """Check ``rev`` out into ``folder``, build the book there reusing this repository's caches; return its ledger."""
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(REPO), str(folder)], check=True)
    subprocess.run(["git", "checkout", "--quiet", "--detach", rev], cwd=folder, check=True)
    for cache in (".jupyter_cache", ".results"):  # matched by content, so only what differs runs again
        if (REPO / "_build" / cache).is_dir():
            shutil.copytree(REPO / "_build" / cache, folder / "_build" / cache)
    env = {**os.environ, "PYTHONPATH": str(folder / "code")}  # that commit's package, not this checkout's
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    log = folder / "_build" / "release-build.log"
    with open(log, "w") as out:
        done = subprocess.run([str(jupyter_book), "build", "book/", "-W", "--keep-going"], cwd=folder, env=env,
                              stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise RuntimeError(f"the build of {rev} failed (exit {done.returncode}); see {log}")
    return ledger(folder)


def dry_run(base: str, head: str, out: Path) -> Path:
    """The release workflow's ledger steps for ``head`` against ``base``; return the diff's path."""
    out.mkdir(parents=True, exist_ok=True)
    ledgers = {}
    with tempfile.TemporaryDirectory(prefix="dlbook-release-") as scratch:
        for name, rev in (("base", base), ("head", head)):
            print(f"building {name} {rev} ...", flush=True)
            ledgers[name] = build_commit(rev, Path(scratch) / name)
            (out / f"claims-ledger-{name}.json").write_text(json.dumps(ledgers[name], indent=1), encoding="utf-8")
    change = diff(ledgers["base"], ledgers["head"])
    (out / "ledger-diff.json").write_text(json.dumps(change, indent=1), encoding="utf-8")
    notes = out / "ledger-diff.md"
    notes.write_text(markdown(change), encoding="utf-8")
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("ledger", help="the claims of a built tree, as JSON")
    one.add_argument("root", nargs="?", type=Path, default=REPO)
    one.add_argument("--out", type=Path, help="file to write (default: standard output)")
    two = sub.add_parser("diff", help="Markdown release notes: what changed between two ledgers")
    two.add_argument("old", type=Path)
    two.add_argument("new", type=Path)
    run = sub.add_parser("dry-run", help="build two commits and diff their ledgers, as the release workflow does")
    run.add_argument("--base", required=True, help="the previous release (a tag or commit)")
    run.add_argument("--head", default="HEAD", help="the commit to release (default HEAD)")
    run.add_argument("--out", type=Path, default=REPO / "_build" / "release")
    args = parser.parse_args(argv)
    try:
        if args.command == "ledger":
            text = json.dumps(ledger(args.root), indent=1)
            if args.out:
                args.out.write_text(text, encoding="utf-8")
            else:
                print(text)
        elif args.command == "diff":
            books = []
            for path in (args.old, args.new):
                try:
                    books.append(json.loads(path.read_text(encoding="utf-8")))
                except (OSError, ValueError) as error:
                    raise ValueError(f"{path}: not a readable JSON ledger ({error})") from None
            print(markdown(diff(*books)))
        else:
            print(f"release notes: {dry_run(args.base, args.head, args.out)}")
    except (ValueError, RuntimeError) as error:
        print(f"release.py: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
