"""Shared helpers for the tests that look at the built site (test_site.py, test_links.py, test_binder.py).

The site is ``_build/html`` at the repository root, or the folder named by ``BOOK_HTML_DIR``. Those
tests carry the ``site`` marker: without a built site they skip, except with ``CI=true``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
BOOK_DIR = REPO_ROOT / "book"
BUILD_HINT = "build it first: jupyter-book build book/ (or point BOOK_HTML_DIR at a built _build/html)"

#: The front matter that makes a MyST Markdown page an executed notebook (for throw-away test books).
NOTEBOOK_FRONT_MATTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""

#: Generated pages that are not chapters.
NON_CHAPTER_PAGES = {"genindex.html", "search.html", "py-modindex.html"}
#: Folders of a built site that hold no pages of the book.
NON_PAGE_DIRS = {"_static", "_sources", "_images", "_downloads", ".doctrees", "_panels_static"}


def site_dir() -> Path:
    """Return the built site's folder (it may not exist)."""
    return Path(os.environ.get("BOOK_HTML_DIR", REPO_ROOT / "_build" / "html")).resolve()


def require_site() -> Path:
    """Return the built site's folder; without one, skip the calling test saying how to build it.

    With ``CI=true`` a missing site fails the test instead: CI builds the site first, so the tests must run.
    """
    site = site_dir()
    if not (site / "index.html").is_file():
        unavailable(f"no built site at {site}: {BUILD_HINT}")
    return site


def unavailable(reason: str) -> None:
    """Skip the calling test for ``reason``; with ``CI=true`` fail it instead (CI provides what the test needs)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason)


def toc_pages() -> list[str]:
    """Every page named in ``_toc.yml`` (root, chapters, sections), as built paths (``part1/1a-....html``)."""
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    todo = list(toc.get("parts", [])) + list(toc.get("chapters", []))
    while todo:
        entry = todo.pop()
        if "file" in entry:
            pages.append(entry["file"])
        todo += entry.get("chapters", []) + entry.get("sections", [])
    return sorted(f"{page}.html" for page in pages)


def all_html(site: Path) -> list[Path]:
    """Every .html file of the site except those under _static/_sources/_images (sorted)."""
    return sorted(p for p in site.rglob("*.html") if not NON_PAGE_DIRS & set(p.relative_to(site).parts[:-1]))


def book_pages(site: Path) -> list[str]:
    """The book's pages, as paths relative to the site (``part2/2a-environment.html``).

    ``index.html`` is only a redirect to the root page, so it is left out, as are genindex and search.
    """
    pages = []
    for path in all_html(site):
        rel = path.relative_to(site).as_posix()
        if rel in NON_CHAPTER_PAGES or rel == "index.html":
            continue
        pages.append(rel)
    return pages


def page_ids_for_collection() -> list[str]:
    """Pages to parametrize over at collection time; a single sentinel when the site is missing."""
    site = site_dir()
    if not (site / "index.html").is_file():
        return ["<site not built>"]
    return book_pages(site) or ["<site not built>"]


def source_of(page: str) -> Path | None:
    """The ``book/`` source (.md or .ipynb) that a built page comes from, if it is there."""
    stem = page[: -len(".html")]
    for ext in (".md", ".ipynb"):
        candidate = BOOK_DIR / (stem + ext)
        if candidate.is_file():
            return candidate
    return None


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def is_executable(page: str) -> bool:
    """True when the page's source is a notebook: an .ipynb, or an .md with jupytext front matter and a kernelspec."""
    source = source_of(page)
    if source is None:
        return False
    if source.suffix == ".ipynb":
        return True
    match = _FRONT_MATTER.match(source.read_text(encoding="utf-8"))
    return bool(match and "jupytext:" in match.group(1) and "kernelspec:" in match.group(1))


#: A glue key as the prose cites it: ``{glue:text}`key:fmt```, ``{glue}`page::key```, ``:::{glue:figure} key``.
_GLUE_CITATION = re.compile(r"\{glue(?::[a-z]+)?\}(?:`|\s+)(?:[^`\s]*::)?([A-Za-z0-9_.-]+)")


def cited_glue_keys(sources: str) -> set[str]:
    """Return the glue keys cited by glue roles and directives in MyST text."""
    return set(_GLUE_CITATION.findall(sources))


def glued_keys(execute_dir: Path) -> dict[str, str]:
    """Return every key glued by a page of the last build (``{key: page}``), from MyST-NB's ``*.glue.json`` files."""
    import json

    return {key: str(path.relative_to(execute_dir)).removesuffix(".glue.json")
            for path in sorted(execute_dir.rglob("*.glue.json"))
            for key in json.loads(path.read_text(encoding="utf-8"))}


def glued_outputs(execute_dir: Path) -> dict[str, dict]:
    """Return every glued output of the last build, ``{key: output}``, from MyST-NB's ``*.glue.json`` files."""
    import json

    return {key: output for path in sorted(execute_dir.rglob("*.glue.json"))
            for key, output in json.loads(path.read_text(encoding="utf-8")).items()}


def built_claims(execute_dir: Path) -> list[dict]:
    """Return every claim of the last build as a record with its page, from the executed notebooks, in page order."""
    import json
    from dataclasses import asdict, replace

    from sphinx_claims import claims_in_notebook

    return [asdict(replace(c, page=str(path.relative_to(execute_dir).with_suffix(""))))
            for path in sorted(execute_dir.rglob("*.ipynb"))
            for c in claims_in_notebook(json.loads(path.read_text(encoding="utf-8")))]


#: What glued numbers may carry besides digits: signs, separators, units, scientific notation, "and" and "to" in lists and ranges.
_NUMBER_TEXT = re.compile(r"\b(pp|ms|s|min|M|k|x|px|MB|GB|KB|SE|dB|and|to)\b|\b[A-Za-z](?=\s*=)"  # units; "p = ..."
                          r"|[\d\s%+\-−–.,:/()\[\]×±~≈<>≤≥=\u2070-\u209f\u00b2\u00b3\u00b9]")


def words_in_glued_text(text: str) -> str:
    """Return what is left of a glued value's text once numbers, units and formatting are removed (words)."""
    return _NUMBER_TEXT.sub("", text).strip()
