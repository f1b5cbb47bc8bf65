"""Every ``href`` and ``src`` in the built site resolves: the file exists and so does the ``#anchor``.

Links to other hosts are not followed, but a page may not load a script or a stylesheet from
another host (the site must work offline). Runs on ``_build/html`` or ``BOOK_HTML_DIR``.
"""

from __future__ import annotations

from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from _sitehelpers import all_html, require_site, site_dir

pytestmark = pytest.mark.site

LINK_ATTRIBUTES = {"href", "src"}
NOT_FOLLOWED = {"http", "https", "mailto", "data", "javascript", "tel", "ftp"}


class _Page(HTMLParser):
    """Collects the page's link targets and the ids/names that anchors may point at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.anchors: set[str] = set()
        self.remote_loads: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for key in ("id", "name"):
            if attributes.get(key):
                self.anchors.add(attributes[key])
        for key in LINK_ATTRIBUTES:
            value = attributes.get(key)
            if value is None:
                continue
            value = value.strip()
            self.links.append((tag, key, value))
            remote = urlsplit(value).scheme in ("http", "https") or value.startswith("//")
            stylesheet = tag == "link" and "stylesheet" in (attributes.get("rel") or "").split()
            if remote and ((tag == "script" and key == "src") or stylesheet):
                self.remote_loads.append(f"<{tag} {key}={value!r}>")

    handle_startendtag = handle_starttag


@lru_cache(maxsize=None)
def _parse(path: Path) -> _Page:
    parser = _Page()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def _pages() -> list[str]:
    site = site_dir()
    if not (site / "index.html").is_file():
        return ["<site not built>"]
    return [p.relative_to(site).as_posix() for p in all_html(site)]


@pytest.mark.parametrize("page", _pages())
def test_internal_links_and_anchors_resolve(page):
    site = require_site()
    path = site / page
    parsed = _parse(path)
    problems = []
    for tag, attribute, value in parsed.links:
        if not value:
            problems.append(f"<{tag} {attribute}=''>: empty link")
            continue
        parts = urlsplit(value)
        if parts.scheme in NOT_FOLLOWED or value.startswith("//"):
            continue
        if parts.scheme:  # file:, about:, ... have no business in a published site
            problems.append(f"<{tag} {attribute}={value!r}>: unexpected scheme")
            continue
        target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"<{tag} {attribute}={value!r}>: no file {target}")
            continue
        try:
            target.relative_to(site)
        except ValueError:
            problems.append(f"<{tag} {attribute}={value!r}>: points outside the site")
            continue
        fragment = unquote(parts.fragment)
        if fragment and target.suffix == ".html" and fragment not in _parse(target).anchors:
            problems.append(f"<{tag} {attribute}={value!r}>: no anchor #{fragment} in {target.relative_to(site)}")
    assert not problems, f"{page}: broken links:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("page", _pages())
def test_no_script_or_stylesheet_from_another_host(page):
    site = require_site()
    remote = _parse(site / page).remote_loads
    assert not remote, f"{page}: loads from another host (the site must work offline): {remote}"
