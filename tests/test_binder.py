"""Binder: its environment matches the pinned requirements, and every executable page offers a
launch button that opens its own source plus the ``.ipynb`` download.

The environment checks read the repository only; the page checks need the built site.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

from _sitehelpers import REPO_ROOT, book_pages, is_executable, page_ids_for_collection, require_site, source_of

BINDER = REPO_ROOT / "binder"


def _pins(path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==(\S+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_binder_requirements_match_the_pins():
    root, binder = _pins(REPO_ROOT / "requirements.txt"), _pins(BINDER / "requirements.txt")
    assert binder.get("torch") == root["torch"].split("+")[0] + "+cpu", "Binder should install the CPU build of the same torch"
    for name, version in root.items():
        if name != "torch":
            assert binder.get(name) == version, f"binder/requirements.txt: {name} should be =={version}, is {binder.get(name)}"
    assert "jupytext" in binder, "Binder needs jupytext to open .md pages as notebooks"
    text = (BINDER / "requirements.txt").read_text(encoding="utf-8")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text


def test_binder_postbuild_installs_package_and_jupytext_viewer():
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable"
    text = post.read_text(encoding="utf-8")
    assert re.search(r"pip install .*-e \.", text), "postBuild should install the book's package (pip install -e .)"
    assert "overrides.json" in text and '"markdown": "Jupytext Notebook"' in text


def test_binder_postbuild_imports_the_networks_the_published_site_trained():
    text = (BINDER / "postBuild").read_text(encoding="utf-8")
    site_url = _config()["sphinx"]["config"]["dlbook_site_url"].rstrip("/")
    assert f'results_url="{site_url}/dlbook-results.tar.gz"' in text
    assert 'python -m dlbook.store import "$results_file"' in text


def _config() -> dict:
    return yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


@pytest.mark.site
@pytest.mark.parametrize("page", page_ids_for_collection())
def test_executable_page_has_binder_button_and_notebook_download(page):
    site = require_site()
    if page not in book_pages(site) or not is_executable(page):
        pytest.skip("not an executable page")
    parser = _Links()
    parser.feed((site / page).read_text(encoding="utf-8"))
    config = _config()
    repo = urlsplit(config["repository"]["url"]).path.strip("/")
    branch = config["repository"].get("branch", "master")
    binder = [h for h in parser.hrefs if h.startswith(config["launch_buttons"]["binderhub_url"].rstrip("/") + "/v2/gh/")]
    assert binder, f"{page}: no Binder launch button"
    parts = urlsplit(binder[0])
    assert parts.path == f"/v2/gh/{repo}/{branch}", f"{page}: Binder link to the wrong repository/branch: {binder[0]}"
    urlpath = parse_qs(parts.query)["urlpath"][0]
    assert urlpath.startswith("lab/tree/"), f"{page}: Binder should open JupyterLab: {binder[0]}"
    opened = REPO_ROOT / unquote(urlpath[len("lab/tree/"):])
    assert opened == source_of(page), f"{page}: Binder opens {opened}, not the page's source {source_of(page)}"
    colab = [h for h in parser.hrefs if h.startswith(config["launch_buttons"]["colab_url"].rstrip("/") + "/")]
    notebook = page.removesuffix(".html") + ".ipynb"
    assert colab == [f"{config['launch_buttons']['colab_url']}/github/{repo}/blob/colab/{notebook}"], \
        f"{page}: the Colab button should open the page's notebook on the colab branch: {colab}"
    assert (site / notebook).is_file(), f"{page}: no Colab notebook {notebook} beside it"
    downloads = [h for h in parser.hrefs if h.endswith(".ipynb") and h not in colab]
    assert downloads, f"{page}: no .ipynb download"
    assert (site / page).parent.joinpath(unquote(downloads[0])).resolve().is_file(), f"{page}: {downloads[0]} missing"
