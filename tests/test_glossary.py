"""The glossary defines the terms a student meets, and every term is linked from a page that uses it."""

from __future__ import annotations

import re

import pytest

from _sitehelpers import all_html, require_site

pytestmark = pytest.mark.site

MIN_TERMS = 20
TERM_ID = re.compile(r'<dt id="(term-[^"]+)"')
TERM_LINK = re.compile(r'href="[^"]*glossary\.html#(term-[^"]+)"')


def glossary_terms(html: str) -> set[str]:
    """The anchors of the terms that a built glossary page defines."""
    return set(TERM_ID.findall(html))


def linked_terms(html: str) -> set[str]:
    """The glossary anchors that a built page links to."""
    return set(TERM_LINK.findall(html))


def test_glossary_helpers_read_sphinx_html():
    assert glossary_terms('<dl class="glossary"><dt id="term-Dead-unit">Dead unit') == {"term-Dead-unit"}
    assert linked_terms('<a href="../glossary.html#term-Dead-unit">dead unit</a>') == {"term-Dead-unit"}
    assert linked_terms('<a href="glossary.html">glossary</a>') == set()


def test_every_glossary_term_is_linked_from_a_page():
    site = require_site()
    terms = glossary_terms((site / "glossary.html").read_text(encoding="utf-8"))
    assert len(terms) >= MIN_TERMS, f"the glossary defines {len(terms)} terms; a student needs at least {MIN_TERMS}"
    linked: set[str] = set()
    for page in all_html(site):
        if page.name != "glossary.html":
            linked |= linked_terms(page.read_text(encoding="utf-8"))
    unlinked = sorted(terms - linked)
    assert not unlinked, f"glossary terms that no page links to (link a first use with {{term}}): {unlinked}"
