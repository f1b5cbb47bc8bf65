"""Every answer page opens with its exam answer, and numbers its figures and equations as its own.

The short answer is a "Short answer" section of at most 5 sentences and 80 words. Figures and equations
restart at 1 on each page and carry its label: "Fig. 1B.2", "(1B.2)".

Read from the built HTML, so a glued number counts as the one word it renders as and a math span as one
word. The section must be the page's first ``<h2>`` (right after the question box), so it is listed first in
the page's contents.
"""

from __future__ import annotations

import html
import re

import pytest

from _sitehelpers import require_site, toc_pages

pytestmark = pytest.mark.site

MAX_WORDS = 80
MAX_SENTENCES = 5
ANSWER_PAGES = [page for page in toc_pages() if page.startswith("part")]

_FIRST_H2_SECTION = re.compile(r'<section id="([^"]+)">\s*<h2>(.*?)</h2>(.*?)(?=<section\b|</section>)', re.S)
_MATH = re.compile(r'<span class="math[^"]*">.*?</span>', re.S)
_INLINE_TAG = re.compile(r"</?(?:span|a|strong|em|code|abbr|sub|sup)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s|$)")


def short_answer_text(page_html: str) -> tuple[str, str]:
    """The title and the plain text of a page's first ``<h2>`` section (its own text, not its subsections)."""
    match = _FIRST_H2_SECTION.search(page_html)
    if match is None:
        return "", ""
    title = html.unescape(_TAG.sub("", match.group(2))).strip().rstrip("#").strip()
    body = _TAG.sub(" ", _INLINE_TAG.sub("", _MATH.sub("M", match.group(3))))
    return title, " ".join(html.unescape(body).split())


def count_sentences(text: str) -> int:
    """Sentence ends: a full stop, question or exclamation mark (closing quotes or brackets allowed) before a space."""
    return len(_SENTENCE_END.findall(text))


def test_short_answer_is_read_from_html():
    page = (
        '<section id="q"><h1>Q</h1><div class="admonition"><p>The question?</p></div>'
        '<section id="short-answer">\n<h2>Short answer<a class="headerlink" href="#short-answer">#</a></h2>\n'
        '<p>It has <span class="pasted-text">1,168</span> parameters (<span class="math notranslate">'
        r"\(k^2 c\)</span> each). Done.</p>"
        '</section><section id="why"><h2>Why</h2><p>Long text.</p></section></section>'
    )
    title, text = short_answer_text(page)
    assert title == "Short answer"
    assert text == "It has 1,168 parameters (M each). Done."
    assert count_sentences(text) == 2
    assert count_sentences("It reaches 98.5% (mean of 5 seeds). The interval is wide.") == 2


@pytest.mark.parametrize("page", ANSWER_PAGES)
def test_page_opens_with_a_short_answer(page):
    site = require_site()
    title, text = short_answer_text((site / page).read_text(encoding="utf-8"))
    assert title == "Short answer", f"{page}: the first section is {title!r}, not 'Short answer'"
    words, sentences = len(text.split()), count_sentences(text)
    assert 0 < words <= MAX_WORDS, f"{page}: the short answer has {words} words (at most {MAX_WORDS}): {text}"
    assert sentences <= MAX_SENTENCES, f"{page}: {sentences} sentences (at most {MAX_SENTENCES}): {text}"


_FIGURE_NUMBER = re.compile(r'<span class="caption-number">Fig\. ([^<]*?)\s*</span>')
_EQUATION_NUMBER = re.compile(r'<span class="eqno">\(([^<]*)\)')


@pytest.mark.parametrize("page", ANSWER_PAGES)
def test_figures_and_equations_are_numbered_per_page(page):
    page_html = (require_site() / page).read_text(encoding="utf-8")
    for kind, pattern in (("figure", _FIGURE_NUMBER), ("equation", _EQUATION_NUMBER)):
        numbers = pattern.findall(page_html)
        labels = {number.rpartition(".")[0] for number in numbers}
        assert len(labels) <= 1 and "" not in labels, f"{page}: {kind} numbers without one page label: {numbers}"
        expected = [f"{label}.{n}" for label in labels for n in range(1, len(numbers) + 1)]
        assert numbers == expected, f"{page}: {kind} numbers {numbers}, want {expected}"


#: The sections of an answer page, in order ("Try it" may be left out; depth vs width answers no original).
SHAPE = ["Short answer", "Why", "The original answer", "Evidence", "Try it", "Exercises"]
OPTIONAL = {"Try it"}
NO_ORIGINAL = {"part2/depth-vs-width.html"}
MAX_VISIBLE_WORDS = 1200
#: What is not prose: code cells, code blocks (Pygments' ``div.highlight``/``div.highlight-LANG``, captioned
#: ``literalinclude`` wrappers, any ``pre``), collapsed boxes, tables, figures, display math, heading anchors.
NOT_PROSE = ("div.cell, div.highlight, div[class^='highlight-'], div.literal-block-wrapper, pre, details, "
             "div.dropdown, .toggle-hidden, table, figure, div.math, a.headerlink")
_H2 = re.compile(r"<section id=\"[^\"]*\">\s*<h2>(.*?)</h2>", re.S)


def section_titles(page_html: str) -> list[str]:
    """The titles of the page's ``<h2>`` sections, in order, as plain text (not the sidebar's "Contents")."""
    return [html.unescape(_TAG.sub("", title)).strip() for title in _H2.findall(page_html)]


def visible_prose_words(page_html: str) -> int:
    """Words a reader sees without opening anything: the article less code cells, code blocks (a
    ``literalinclude``, a fenced block, a literal block), collapsed boxes, tables, figures and display math
    (an inline formula counts as one word; inline ``code`` is prose)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page_html, "html.parser")
    article = soup.select_one("article.bd-article") or soup
    for hidden in article.select(NOT_PROSE):
        hidden.decompose()
    for formula in article.select("span.math"):
        formula.replace_with("M")
    return sum(any(c.isalnum() for c in token) for token in article.get_text(" ").split())  # not lone punctuation


def test_visible_prose_is_counted_outside_boxes():
    page = ('<article class="bd-article"><h1>T</h1><p>One two <span class="math">\\(x+y\\)</span>.</p>'
            '<div class="cell"><pre>code words here</pre></div><details><p>hidden words</p></details>'
            '<div class="admonition dropdown"><p>folded</p></div><table><tr><td>1</td></tr></table>'
            '<div class="literal-block-wrapper docutils container"><div class="code-block-caption">logic_nets.py</div>'
            '<div class="highlight-default notranslate"><div class="highlight"><pre><span>def</span> or_net(): pass'
            '</pre></div></div></div><div class="highlight-python notranslate"><div class="highlight"><pre>x = 1</pre>'
            '</div></div><pre class="literal-block">a literal block</pre><p>Run <code class="literal">make</code>.</p>'
            '</article>')
    assert visible_prose_words(page) == 6  # "T", "One", "two", "M", "Run", "make"
    assert section_titles('<h2>Contents</h2><section id="w">\n<h2>Why<a>#</a></h2><section id="e"><h2>Evidence</h2>')\
        == ["Why#", "Evidence"]


@pytest.mark.parametrize("page", ANSWER_PAGES)
def test_page_has_the_shape(page):
    titles = [title.rstrip("#").strip() for title in section_titles((require_site() / page).read_text(encoding="utf-8"))]
    expected = [t for t in SHAPE if t in titles or t not in OPTIONAL]
    if page in NO_ORIGINAL:
        expected.remove("The original answer")
    assert titles == expected, f"{page}: sections {titles}, want {expected}"


@pytest.mark.parametrize("page", ANSWER_PAGES)
def test_visible_prose_fits_a_sitting(page):
    words = visible_prose_words((require_site() / page).read_text(encoding="utf-8"))
    assert words <= MAX_VISIBLE_WORDS, (f"{page}: {words} words of prose outside collapsed boxes (at most "
                                        f"{MAX_VISIBLE_WORDS}); fold evidence into dropdowns")
