"""Tests for book/_ext/dlbook_site.py: the introduction links the PDF and the trained networks only when the site has them."""

from __future__ import annotations

import os
import sys
import tarfile

from _sitehelpers import REPO_ROOT
from dlbook import store

sys.path.insert(0, str(REPO_ROOT / "book" / "_ext"))
from dlbook_site import (PDF_ABSENT, PDF_LINK, RESULTS_ABSENT, RESULTS_LINK, link_figure_images,  # noqa: E402
                         number_per_page, page_label, publish_pdf, publish_results)


def _site(tmp_path):
    site = tmp_path / "html"
    site.mkdir()
    intro = site / "intro.html"
    intro.write_text(f"<p>The whole book as one PDF: {PDF_LINK}.</p>", encoding="utf-8")
    return site, intro, tmp_path / "latex" / "book.pdf"


def test_without_a_pdf_the_link_becomes_text(tmp_path):
    site, intro, latex_pdf = _site(tmp_path)
    assert not publish_pdf(site, latex_pdf, intro)
    assert PDF_ABSENT in intro.read_text() and 'href="book.pdf"' not in intro.read_text()


def test_a_built_pdf_is_copied_beside_the_site_and_linked(tmp_path):
    site, intro, latex_pdf = _site(tmp_path)
    publish_pdf(site, latex_pdf, intro)  # first built without the PDF
    latex_pdf.parent.mkdir()
    latex_pdf.write_bytes(b"%PDF-1.5 book")
    assert publish_pdf(site, latex_pdf, intro)
    assert (site / "book.pdf").read_bytes() == b"%PDF-1.5 book"
    assert PDF_LINK in intro.read_text() and PDF_ABSENT not in intro.read_text()


def test_a_pdf_already_beside_the_site_stays_linked(tmp_path):
    site, intro, latex_pdf = _site(tmp_path)
    (site / "book.pdf").write_bytes(b"%PDF-1.5 copied by hand")
    assert publish_pdf(site, latex_pdf, intro)
    assert PDF_LINK in intro.read_text()


def test_each_figure_image_links_to_itself():
    body = (
        '<p><img alt="icon" src="a.png" /></p>'
        '<figure class="align-default" id="fig-a">\n<img alt="A" src="../_images/a.png" />\n'
        "<figcaption><p>A</p></figcaption></figure>"
        '<figure><img alt="B1" src="b1.png" /><img alt="B2" src="b2.png" /></figure>'
    )
    linked = link_figure_images(body)
    assert linked.startswith('<p><img alt="icon" src="a.png" /></p>')  # not in a figure: unchanged
    for src, alt in (("../_images/a.png", "A"), ("b1.png", "B1"), ("b2.png", "B2")):
        assert f'href="{src}"><img alt="{alt}" src="{src}" /></a>' in linked


def test_an_image_already_linked_is_left_alone():
    body = '<figure><a class="reference internal" href="big.png"><img alt="A" src="a.png" /></a></figure>'
    assert link_figure_images(body) == body
    assert link_figure_images(link_figure_images(body)) == body


def test_pages_number_their_own_figures_after_their_label():
    assert page_label("1B. Zero initialization with sigmoid") == "1B"
    assert page_label("Beyond: depth versus width", "DW") == "DW"
    assert page_label("Results") is None
    book_numbers = {"fig-b": (7,), "fig-a": (5,), "fig-c": (9,)}
    assert number_per_page(book_numbers, "1B") == {"fig-a": ("1B", 1), "fig-b": ("1B", 2), "fig-c": ("1B", 3)}
    assert number_per_page(book_numbers, None) == {"fig-a": (1,), "fig-b": (2,), "fig-c": (3,)}


def test_the_stored_networks_are_exported_beside_the_site_and_linked(tmp_path, private_store, version):
    site, intro, _ = _site(tmp_path)
    intro.write_text(f"<p>The networks: {RESULTS_LINK}.</p>", encoding="utf-8")
    assert not publish_results(site, intro)  # nothing stored yet
    assert RESULTS_ABSENT in intro.read_text() and "dlbook-results.tar.gz\"" not in intro.read_text()
    store.cached("net-s0", lambda: {"w": [1.0]}, depends_on="dlbook.train")
    assert publish_results(site, intro)
    archive = site / "dlbook-results.tar.gz"
    assert RESULTS_LINK in intro.read_text() and archive.stat().st_mode & 0o777 == 0o644
    with tarfile.open(archive) as tar:
        assert [n for n in tar.getnames() if n.startswith("net-s0-")]
    # another branch's code: its own network, not the first one's, even with no file newer than the archive
    version["fp"] = "a" * 16
    store.cached("net-s1", lambda: {"w": [2.0]}, depends_on="dlbook.train")
    os.utime(archive, (2**31, 2**31))  # the archive looks newer than every stored result
    assert publish_results(site, intro)
    with tarfile.open(archive) as tar:
        assert [n for n in tar.getnames() if n != "manifest.json"] == [f"net-s1-{'a' * 16}.pt"]
    version["fp"] = "b" * 16  # code that stored nothing: no archive, no link
    assert not publish_results(site, intro) and not archive.exists() and RESULTS_ABSENT in intro.read_text()
