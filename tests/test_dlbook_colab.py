"""Tests for book/_ext/dlbook_colab.py: each executed page's Colab notebook, its setup cell and its Colab button.

The last test runs the Colab notebooks of 1B, 2D and 3G in a fresh venv made only by their own
first cell, as Colab would (minutes: it runs in CI, or with ``DLBOOK_COLAB_TEST=1``). What stands in
for the network: the repository is cloned from this checkout, the pinned packages come from the
wheels this machine's pip finds, and the trained networks from the built site's archive file.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from _sitehelpers import REPO_ROOT, require_site, unavailable

sys.path.insert(0, str(REPO_ROOT / "book" / "_ext"))
import dlbook_colab as colab  # noqa: E402

PAGES = {"1B": "part1/1b-zero-init-sigmoid", "2D": "part2/2d-one-hidden-layer", "3G": "part3/3g-mnist-cnn"}
SITE_URL = "https://dlbook.github.io/dlbook/"


def _notebook(doc: str) -> nbformat.NotebookNode:
    pins = colab.pinned_packages(REPO_ROOT / "requirements.txt")
    return colab.colab_notebook(REPO_ROOT / "book" / f"{doc}.md", doc, "Title", "https://github.com/dlbook/dlbook",
                                "0123abcd", pins, SITE_URL)


def test_pins_are_those_of_requirements(tmp_path):
    pins = colab.pinned_packages(REPO_ROOT / "requirements.txt")
    requirements = (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert [pin.split("==")[0] for pin in pins] == list(colab.PAGE_PACKAGES)
    assert all(pin in requirements for pin in pins)
    loose = tmp_path / "requirements.txt"
    loose.write_text("numpy>=2\ntorch==2.13.0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="numpy, matplotlib, myst-nb"):
        colab.pinned_packages(loose)


def test_notebook_is_a_setup_cell_then_every_cell_of_the_page():
    import jupytext

    notebook = _notebook(PAGES["3G"])
    page = jupytext.read(REPO_ROOT / "book" / f"{PAGES['3G']}.md", fmt="md:myst")
    assert [c.source for c in notebook.cells[2:]] == [
        colab.CLAIM_CITATION.sub("", c.source) if c.cell_type == "markdown" else c.source for c in page.cells]
    assert "{claim}`" in page.cells[0].source + page.cells[1].source  # the page cites its claims ...
    assert not any("{claim}" in c.source for c in notebook.cells)  # ... which Colab would show as plain text
    assert [c.get("metadata", {}).get("tags") for c in notebook.cells[2:]] == \
        [c.get("metadata", {}).get("tags") for c in page.cells]  # hidden cells (claims) run too
    setup = notebook.cells[1]
    assert setup.cell_type == "code" and 'COMMIT = "0123abcd"' in setup.source
    assert 'os.path.join(BOOK, "book", "part3")' in setup.source
    compile(setup.source, "setup cell", "exec")
    nbformat.validate(notebook)


def test_setup_cell_asks_for_a_restart_when_the_kernel_had_another_version_loaded():
    import numpy

    source = colab.setup_cell("repo", "commit", ["numpy==0.0.1", "torch==2.13.0"], "part1", None)
    check = source[source.index("stale = "):source.index("sys.path.insert")]
    with pytest.raises(SystemExit, match="Restart the session.*imported numpy at another version"):
        exec(check, {"sys": sys, "PINS": ["numpy==0.0.1", "torch==2.13.0"]})
    exec(check, {"sys": sys, "PINS": [f"numpy=={numpy.__version__}", "not-imported==1.0"]})  # nothing stale


def test_only_pages_that_store_networks_fetch_them_and_ask_for_a_gpu():
    trains = _notebook(PAGES["3G"])
    assert f'RESULTS = "{SITE_URL}{colab.RESULTS_NAME}"' in trains.cells[1].source
    assert trains.metadata["accelerator"] == "GPU"
    computes = _notebook("part3/3b-conv-parameters")
    assert "RESULTS" not in computes.cells[1].source and "accelerator" not in computes.metadata


def test_colab_link_needs_a_github_repository():
    assert colab.colab_link("https://github.com/org/repo", "colab", "part1/x") == \
        "https://colab.research.google.com/github/org/repo/blob/colab/part1/x.ipynb"
    with pytest.raises(ValueError, match="github.com/ORG/REPO"):
        colab.colab_link("https://gitlab.com/org/repo", "colab", "part1/x")


def test_write_notebook_leaves_nothing_half_written(tmp_path):
    target = tmp_path / "page.ipynb"
    with pytest.raises(Exception):
        colab.write_notebook({"cells": object()}, target)  # not a notebook: nbformat cannot write it
    assert list(tmp_path.iterdir()) == []


@pytest.mark.site
@pytest.mark.parametrize("doc", PAGES.values())
def test_built_page_has_its_notebook_and_a_colab_button_that_opens_it(doc):
    site = require_site()
    notebook = nbformat.read(site / f"{doc}.ipynb", as_version=4)
    assert notebook.cells[1].source.startswith("# Colab setup")
    page = (site / f"{doc}.html").read_text(encoding="utf-8")
    links = [html.unescape(url) for url in re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', page)]
    assert links == [colab.colab_link("https://github.com/dlbook/dlbook", "colab", doc)]


def _enabled() -> None:
    if os.environ.get("CI") != "true" and os.environ.get("DLBOOK_COLAB_TEST") != "1":
        pytest.skip("slow (a fresh venv per run): runs in CI, or set DLBOOK_COLAB_TEST=1")


def _standing_in(source: str, archive: Path) -> str:
    """The setup cell with this checkout for GitHub and the built archive for the published one."""
    source, n_repo = re.subn(r'^REPOSITORY = ".*"$', f'REPOSITORY = "{REPO_ROOT}"', source, flags=re.M)
    source = re.sub(r'^RESULTS = ".*"$', f'RESULTS = "{archive.as_uri()}"', source, flags=re.M)
    assert n_repo == 1
    return source


def _stored(book: Path) -> set[str]:
    return {p.name for p in (book / "_build" / ".results").glob("*.pt")}


@pytest.mark.site
def test_colab_notebooks_run_in_a_fresh_venv_made_by_their_first_cell(tmp_path):
    _enabled()
    site = require_site()
    archive = site / colab.RESULTS_NAME
    if not archive.is_file():
        unavailable(f"no {colab.RESULTS_NAME} beside the site: the build stored no networks")
    venv, home, work = tmp_path / "venv", tmp_path / "home", tmp_path / "content"
    home.mkdir()
    work.mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("DLBOOK_")}
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}:{env['PATH']}", VIRTUAL_ENV=str(venv),
               # a checkout owned by another user (CI containers) is still clonable with a fresh HOME
               GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="safe.directory", GIT_CONFIG_VALUE_0="*")
    python = str(venv / "bin" / "python")
    notebooks = {}
    for label, doc in PAGES.items():
        notebook = nbformat.read(site / f"{doc}.ipynb", as_version=4)
        notebook.cells[1].source = _standing_in(notebook.cells[1].source, archive)
        notebooks[label] = work / f"{label}.ipynb"
        nbformat.write(notebook, notebooks[label])
    # Colab's kernel exists before the first cell runs; here the bare venv's Python runs that cell,
    # and the kernel it installs (ipykernel, a dependency of myst-nb) then runs each notebook.
    first = nbformat.read(notebooks["3G"], as_version=4).cells[1].source
    setup = subprocess.run([python, "-c", first], cwd=work, env=env, capture_output=True, text=True, timeout=1500)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    book = work / "dlbook"
    imported = _stored(book)
    from dlbook.storearchive import archived_names

    assert imported == set(archived_names(archive)), "the build's networks did not all round-trip through its archive"
    run = ("import sys, nbformat, nbclient; nb = nbformat.read(sys.argv[1], as_version=4); "
           "nbclient.NotebookClient(nb, timeout=900, kernel_name='python3', "
           "resources={'metadata': {'path': sys.argv[2]}}).execute()")
    for label, path in notebooks.items():
        done = subprocess.run([python, "-c", run, str(path), str(work)], cwd=work, env=env,
                              capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, f"{label}: " + done.stdout[-3000:] + done.stderr[-5000:]
    trained = _stored(book) - imported  # every training stores its result (dlbook.store.cached)
    assert not trained, f"the pages trained {len(trained)} networks instead of loading them: {sorted(trained)}"
