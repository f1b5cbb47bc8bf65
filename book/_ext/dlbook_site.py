"""Small fixes to the built site for readers (a local Sphinx extension, see ``_config.yml``).

- sphinx-thebe 0.3.1 adds its inline ``const THEBE_JS_URL = ...`` script twice under Jupyter Book 1.x,
  which is a JavaScript error on every page: keep one copy.
- pydata-sphinx-theme writes ``data-mode=""`` for a first-time visitor and then logs
  "Got invalid theme mode" to the console: default to ``auto`` (follow the system setting).
- matplotlib's ``to_jshtml`` player links Font Awesome 4 from a CDN (the site must work offline;
  the theme already ships Font Awesome), its frame ``<img>`` has no alt text and its slider no
  accessible name: drop the link, add the alt text and a label.
- The introduction links ``book.pdf``, which is built after the site (README, "The PDF"). At the
  end of every HTML build, a PDF in ``_build/latex`` is copied beside the site and linked; without
  one the link becomes plain text saying how to build it, so the site has no broken link.
- The introduction links the networks the build trained, ``dlbook-results.tar.gz``: at the end of
  every HTML build the stored results of the current code are exported beside the site
  (:mod:`dlbook.storearchive`), so a reader can import them instead of training; without any,
  the link becomes plain text.
- Sphinx numbers figures and equations across the whole book (1B would open at Fig. 2): each
  page numbers its own from 1, after its label, "Fig. 1B.2" and "(1B.2)", the label being the
  one its title opens with ("1B.") or the one ``dlbook_page_labels`` gives it.
- Figures made by code cells are drawn at full width and shrink on a phone: each figure's image
  links to itself, so a click or a tap opens it full size (Sphinx does this only for images
  given a size).

The executed notebooks are untouched: everything here happens when pages are written.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

_CDN_FONT_AWESOME = re.compile(r'<link[^>]+href="https?://[^"]*font-awesome[^"]*"[^>]*>\s*')
_ANIM_IMG = re.compile(r'<img id="_anim_img')
_ANIM_SLIDER = re.compile(r'<input id="_anim_slider')
ANIMATION_ALT = "Animation frame; the controls below step through or play the frames"
SLIDER_LABEL = "Frame of the animation"


_FIGURE = re.compile(r"<figure\b.*?</figure>", re.S)
_BARE_IMG = re.compile(r'(<a\b[^>]*>\s*)?(<img\b[^>]*\bsrc="([^"]+)"[^>]*>)')


def link_figure_images(body: str) -> str:
    """Wrap each image of each ``<figure>`` in ``body`` in a link to the image, unless already linked."""

    def link(image: re.Match) -> str:
        if image.group(1):
            return image.group(0)
        return f'<a class="reference internal image-reference" href="{image.group(3)}">{image.group(2)}</a>'

    return _FIGURE.sub(lambda figure: _BARE_IMG.sub(link, figure.group(0)), body)


_TITLE_LABEL = re.compile(r"^(\d[A-Z])\.\s")


def page_label(title: str, configured: str | None = None) -> str | None:
    """The label a page's numbers carry: the configured one, else the "1B" of a title "1B. ...", else none."""
    if configured:
        return configured
    match = _TITLE_LABEL.match(title)
    return match.group(1) if match else None


def number_per_page(numbers: dict[str, tuple], label: str | None) -> dict[str, tuple]:
    """Renumber one page's items of one kind 1, 2, ... in their book order, after the page's label if any."""
    in_order = sorted(numbers, key=lambda item: numbers[item])
    return {item: (label, n) if label else (n,) for n, item in enumerate(in_order, start=1)}


def _number_figures_per_page(app: Sphinx, env) -> list[str]:
    # runs after Sphinx's own numbering (env-get-updated, priority 900 > 500); references and
    # captions both read env.toc_fignumbers, so they agree
    labels = app.config.dlbook_page_labels
    for docname, kinds in env.toc_fignumbers.items():
        label = page_label(env.titles[docname].astext() if docname in env.titles else "", labels.get(docname))
        for kind, numbers in kinds.items():
            kinds[kind] = number_per_page(numbers, label)
    return []


def _theme_defaults(app: Sphinx, config: Config) -> None:
    config.html_context.setdefault("default_mode", "auto")


def _fix_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    scripts = context.get("script_files")
    if scripts:
        seen: set[tuple] = set()
        unique = []
        for script in scripts:
            # the copies differ only in filename None versus "" (both mean an inline script)
            attributes = tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items()))
            key = (str(getattr(script, "filename", script) or ""), attributes)
            if key in seen:
                continue
            seen.add(key)
            unique.append(script)
        scripts[:] = unique
    body = context.get("body")
    if body and "<figure" in body:
        body = context["body"] = link_figure_images(body)
    if body and "_anim_img" in body:
        body = _CDN_FONT_AWESOME.sub("", body)
        body = _ANIM_IMG.sub(f'<img alt="{ANIMATION_ALT}" id="_anim_img', body)
        body = _ANIM_SLIDER.sub(f'<input aria-label="{SLIDER_LABEL}" id="_anim_slider', body)
        context["body"] = body


PDF_NAME = "book.pdf"
PDF_LINK = f'<a class="dlbook-pdf" href="{PDF_NAME}">{PDF_NAME}</a>'
PDF_ABSENT = (f'<span class="dlbook-pdf">{PDF_NAME} (not built with this copy of the site: see the README, '
              '"The PDF")</span>')
_PDF_MARK = re.compile(r'<a class="dlbook-pdf" href="[^"]*">[^<]*</a>|<span class="dlbook-pdf">[^<]*</span>')


def publish_pdf(site: Path, latex_pdf: Path, intro: Path) -> bool:
    """Copy ``latex_pdf`` (if built) beside the site, and link it from ``intro`` only if the site has it."""
    published = site / PDF_NAME
    if latex_pdf.is_file() and (not published.is_file() or published.stat().st_mtime < latex_pdf.stat().st_mtime):
        shutil.copy2(latex_pdf, published)
    _replace_link(intro, _PDF_MARK, PDF_LINK if published.is_file() else PDF_ABSENT)
    return published.is_file()


def _replace_link(intro: Path, mark: re.Pattern, text: str) -> None:
    """Replace the link or placeholder that ``mark`` matches in page ``intro`` (if it exists) by ``text``."""
    if intro.is_file():
        html = intro.read_text(encoding="utf-8")
        marked = mark.sub(text, html)
        if marked != html:
            intro.write_text(marked, encoding="utf-8")


RESULTS_NAME = "dlbook-results.tar.gz"
RESULTS_LINK = f'<a class="dlbook-results" href="{RESULTS_NAME}">{RESULTS_NAME}</a>'
RESULTS_ABSENT = (f'<span class="dlbook-results">{RESULTS_NAME} (not with this copy of the site: its build '
                  'stored no networks)</span>')
_RESULTS_MARK = re.compile(r'<a class="dlbook-results" href="[^"]*">[^<]*</a>|<span class="dlbook-results">[^<]*</span>')


def publish_results(site: Path, intro: Path) -> bool:
    """Export the build's stored networks beside the site (current code only), and link them from ``intro`` if there.

    The archive is what ``python -m dlbook.store import`` loads (:mod:`dlbook.storearchive`). It is
    written again whenever the results of the current code differ from those it lists (another
    branch, new networks), and removed when there are none.
    """
    from dlbook import storearchive  # imports PyTorch: only when a build finishes

    published = site / RESULTS_NAME
    current = [p.name for p in storearchive.stored_files(current_only=True)]
    if not current:
        published.unlink(missing_ok=True)
    elif storearchive.archived_names(published) != current:
        storearchive.export_store(published, current_only=True)
    _replace_link(intro, _RESULTS_MARK, RESULTS_LINK if published.is_file() else RESULTS_ABSENT)
    return published.is_file()


def _publish_beside_the_site(app: Sphinx, exception: Exception | None) -> None:
    """After an HTML build: the PDF and the trained networks beside the site, linked from the introduction."""
    if exception is None and app.builder.format == "html":
        site = Path(app.outdir)
        intro = site / f"{app.config.root_doc}.html"
        publish_pdf(site, site.parent / "latex" / PDF_NAME, intro)
        publish_results(site, intro)


def setup(app: Sphinx) -> dict:
    app.add_config_value("dlbook_page_labels", {}, "env", types=[dict])
    app.connect("config-inited", _theme_defaults)
    app.connect("env-get-updated", _number_figures_per_page, priority=900)
    app.connect("html-page-context", _fix_page)
    app.connect("build-finished", _publish_beside_the_site)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
