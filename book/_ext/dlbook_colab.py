"""Sphinx extension: a Colab notebook beside every executed page, and the page's Colab button opening it.

Colab opens ``.ipynb`` files from GitHub, not MyST ``.md`` pages. At the end of every HTML build,
each notebook page ``part3/3g-mnist-cnn.md`` is converted (Jupytext) to
``_build/html/part3/3g-mnist-cnn.ipynb`` with one cell added at the top, :func:`setup_cell`:
it clones the book's repository at the commit the site was built from, installs the pinned
packages the pages import (taken from ``requirements.txt``) and the book's ``dlbook`` package,
fetches the networks the site's build trained (pages that store results only) and moves into
the page's folder. Every other cell is the page's own, hidden ones included.

The site's workflow (``.github/workflows/book.yml``) pushes these notebooks to the repository's
``colab`` branch, and each page's Colab button opens its notebook there.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import jupytext
import nbformat

from dlbook.fingerprint import REPO_ROOT, closure

if TYPE_CHECKING:  # only for annotations
    from sphinx.application import Sphinx

#: The packages a page's cells import, installed in Colab at the versions ``requirements.txt`` pins.
PAGE_PACKAGES = ("numpy", "torch", "matplotlib", "myst-nb")

#: Colab's address for a notebook in a GitHub repository: ``{COLAB}/github/{org}/{repo}/blob/{branch}/{path}``.
COLAB_URL = "https://colab.research.google.com"

#: The archive of trained networks that the site publishes (see ``book/_ext/dlbook_site.py``).
RESULTS_NAME = "dlbook-results.tar.gz"

_PIN = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s#;]+)")


def pinned_packages(requirements: Path, names: tuple[str, ...] = PAGE_PACKAGES) -> list[str]:
    """Return ``name==version`` for each of ``names`` as ``requirements`` pins it; ValueError if one is not pinned."""
    pins = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if match := _PIN.match(line):
            pins[match[1].lower()] = f"{match[1]}=={match[2]}"
    missing = [name for name in names if name.lower() not in pins]
    if missing:
        raise ValueError(f"{requirements}: expected an exact pin (name==version) of {', '.join(missing)}")
    return [pins[name.lower()] for name in names]


def setup_cell(repository: str, commit: str, pins: list[str], page_folder: str, results_url: str | None) -> str:
    """Return the source of the first cell of a Colab notebook: the book's code, data and packages, then the page's folder."""
    fetch_results = "" if results_url is None else f'''
# The networks the site's build trained: the page loads them instead of training
# (entries made by other code are skipped, see python -m dlbook.store import --help).
RESULTS = "{results_url}"
if not os.path.isdir(os.path.join(BOOK, "_build", ".results")):
    import urllib.error, urllib.request
    try:
        archive, _ = urllib.request.urlretrieve(RESULTS)
        subprocess.run([sys.executable, "-m", "dlbook.store", "import", archive], cwd=BOOK, check=True)
    except urllib.error.URLError as error:
        print(f"No trained networks at {{RESULTS}} ({{error}}): the page trains its own.")
'''
    return f'''# Colab setup (run this cell first; running it again is harmless): the book's code and data at
# the commit this notebook was made from, the pinned packages its cells import, the page's folder.
import os, subprocess, sys
REPOSITORY = "{repository}"
COMMIT = "{commit}"
BOOK = os.path.abspath("dlbook")
if not os.path.isdir(BOOK):
    subprocess.run(["git", "clone", "--quiet", REPOSITORY, BOOK], check=True)
    subprocess.run(["git", "-C", BOOK, "checkout", "--quiet", COMMIT], check=True)
PINS = {pins!r}
subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *PINS, "-e", BOOK], check=True)
stale = [name for name, version in (pin.split("==") for pin in PINS)
         if getattr(sys.modules.get(name.replace("-", "_")), "__version__", version).split("+")[0] != version]
if stale:  # Colab's kernel may have imported one before this cell installed the pinned version
    raise SystemExit(f"Restart the session (Runtime > Restart session), then run this cell again: "
                     f"this kernel had already imported {{', '.join(stale)}} at another version.")
sys.path.insert(0, os.path.join(BOOK, "code"))  # this kernel started before the install
{fetch_results}
os.chdir(os.path.join(BOOK, "book", "{page_folder}"))
'''


def stores_results(page_text: str) -> bool:
    """Return whether a page's code imports :mod:`dlbook.store`, directly or through other ``dlbook`` modules."""
    from dlbook_cache import page_modules  # the sibling extension's parser of a page's imports

    return "dlbook.store" in closure(page_modules(page_text))


#: A sentence's citation of its claim (``{claim}`label```): a link on the site, noise in Colab.
CLAIM_CITATION = re.compile(r"\{claim\}`[^`]*`")


def colab_notebook(page: Path, docname: str, title: str, repository: str, commit: str, pins: list[str],
                   site_url: str | None) -> nbformat.NotebookNode:
    """Return the Colab notebook of the MyST notebook ``page``: a note, :func:`setup_cell`, then the page's cells.

    The prose's claim citations are left out: in Colab they would be plain text, not links.
    """
    text = page.read_text(encoding="utf-8")
    notebook = jupytext.reads(text, fmt="md:myst")
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = CLAIM_CITATION.sub("", cell.source)
    trains = stores_results(text)
    results_url = f"{site_url.rstrip('/')}/{RESULTS_NAME}" if site_url and trains else None
    page_url = f"{site_url.rstrip('/')}/{docname}.html" if site_url else None
    folder = str(Path(docname).parent).replace(os.sep, "/")
    note = (f"**{title}**: this page of *Deep Learning, Answered and Executed* as a Colab notebook, "
            f"made when the site was built from commit `{commit}`. Run the first cell first. "
            "Colab shows the book's MyST markup (figures, glued numbers, boxes) as plain text"
            + (f"; the rendered page is {page_url}." if page_url else "."))
    notebook.cells[:0] = [nbformat.v4.new_markdown_cell(note),
                          nbformat.v4.new_code_cell(setup_cell(repository, commit, pins, folder, results_url))]
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if trains:
        notebook.metadata["accelerator"] = "GPU"  # Colab opens it on a GPU runtime
    return notebook


def write_notebook(notebook: nbformat.NotebookNode, path: Path) -> None:
    """Write ``notebook`` to ``path`` atomically (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            nbformat.write(notebook, handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_commit(root: Path = REPO_ROOT) -> str | None:
    """Return the commit checked out in ``root``, or None outside a git repository."""
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _notebook_pages(app: Sphinx) -> list[str]:
    return sorted(doc for doc in app.env.found_docs if "kernelspec" in app.env.metadata.get(doc, {}))


def _write_colab_notebooks(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    repository = app.config.html_theme_options.get("repository_url", "")
    commit = build_commit() or app.config.html_theme_options.get("repository_branch", "main")
    pins = pinned_packages(REPO_ROOT / "requirements.txt")
    for doc in _notebook_pages(app):
        title = app.env.titles[doc].astext() if doc in app.env.titles else doc
        notebook = colab_notebook(Path(app.env.doc2path(doc)), doc, title, repository, commit, pins,
                                  app.config.dlbook_site_url or None)
        write_notebook(notebook, Path(app.outdir) / f"{doc}.ipynb")


def colab_link(repository: str, branch: str, docname: str) -> str:
    """Return the Colab address of page ``docname``'s notebook on branch ``branch`` of GitHub ``repository``."""
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)/?", repository)
    if match is None:
        raise ValueError(f"expected a https://github.com/ORG/REPO repository URL, got {repository!r}")
    return f"{COLAB_URL}/github/{match[1]}/{match[2]}/blob/{branch}/{docname}.ipynb"


def _point_colab_button(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Make the theme's Colab button (which names the ``.md`` source) open the page's notebook on the Colab branch."""
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if isinstance(group, dict) else []:
            if button.get("text") == "Colab":
                repository = app.config.html_theme_options.get("repository_url", "")
                button["url"] = colab_link(repository, app.config.dlbook_colab_branch, pagename)


def setup(app: Sphinx) -> dict:
    app.add_config_value("dlbook_site_url", "", "html", types=[str])
    app.add_config_value("dlbook_colab_branch", "colab", "html", types=[str])
    app.connect("html-page-context", _point_colab_button, priority=502)  # after the theme's buttons (501)
    app.connect("build-finished", _write_colab_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
