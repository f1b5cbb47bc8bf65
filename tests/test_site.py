"""Browser tests of the built site: every page opened from disk in headless Chromium with the network off.

Per page: no JavaScript console errors, no request to another host, math typeset by the bundled MathJax,
every image loaded with alt text, every animation player present and working, sidebar links resolve.
Per chapter: the search page finds it by a word from its title. Dark theme: output text keeps its
contrast, and output figures have opaque backgrounds.

Needs the built site (``jupyter-book build book/``; ``BOOK_HTML_DIR`` overrides ``_build/html``),
Playwright from PyPI and Debian's ``chromium`` (``CHROMIUM`` overrides ``/usr/bin/chromium``; no
``playwright install``). Without Playwright or the browser the tests skip, except with ``CI=true``,
where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from _sitehelpers import (BOOK_DIR, BUILD_HINT, all_html, book_pages, built_claims, cited_glue_keys, glued_keys,
                          glued_outputs, page_ids_for_collection, require_site, toc_pages, unavailable, words_in_glued_text)

pytestmark = pytest.mark.site

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Requests allowed to leave the disk: none on page load. Thebe loads its library from a CDN only
#: when a reader presses "Live code", which these tests never do.
ALLOWED_REMOTE = ()
PAGES = page_ids_for_collection()

# Runs in the page after load: waits for MathJax, forces lazy images to load, then reports.
COLLECT_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const imgs = Array.from(document.images);
  for (const img of imgs) { if (img.loading === 'lazy') img.loading = 'eager'; }
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(r => {
    img.addEventListener('load', r); img.addEventListener('error', r); setTimeout(r, 5000);
  })));
  const mathEls = Array.from(document.querySelectorAll('.math'));
  return {
    math: mathEls.length,
    untypeset: mathEls.filter(el => !el.querySelector('mjx-container')).map(el => el.textContent.slice(0, 60)),
    mjx: document.querySelectorAll('mjx-container').length,
    merror: Array.from(document.querySelectorAll('mjx-merror, merror')).map(el => el.textContent.slice(0, 80)),
    images: imgs.map(img => ({src: (img.getAttribute('src') || img.currentSrc || '').slice(0, 100), id: img.id,
                              alt: (img.getAttribute('alt') || '').trim(), width: img.naturalWidth,
                              complete: img.complete})),
    animations: Array.from(document.querySelectorAll('div.animation')).map(div => ({
      img: !!div.querySelector('img'), width: (div.querySelector('img') || {}).naturalWidth || 0,
      slider: !!div.querySelector('input.anim-slider'),
      buttons: div.querySelectorAll('.anim-buttons button').length})),
    sidebar: Array.from(document.querySelectorAll('nav.bd-docs-nav a[href]')).map(a => a.href),
    title: (document.querySelector('main h1') || document.querySelector('h1') || {textContent: ''}).textContent,
  };
}
"""


def _chromium() -> str | None:
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    return path if Path(path).is_file() else shutil.which("chromium")


@pytest.fixture(scope="session")
def site() -> Path:
    return require_site()


@pytest.fixture(scope="session")
def browser(site):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install -r requirements.txt)")
    executable = _chromium()
    if executable is None:
        unavailable("no chromium browser (apt-get install chromium, or set CHROMIUM)")
    profile = tempfile.mkdtemp(prefix="dlbook-chromium-")
    with sync_playwright() as pw:
        # a persistent context is the way to give Chromium a fresh --user-data-dir of our own
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900}, service_workers="block",
        )
        remote: list[str] = []

        def route(route, request):
            scheme = urlsplit(request.url).scheme
            if scheme in ("file", "data", "blob", "about") or urlsplit(request.url).hostname == "127.0.0.1":
                return route.continue_()  # the disk, inline data, or the test's own server (see `served`)
            if not request.url.startswith(ALLOWED_REMOTE or ("\0",)):
                remote.append(request.url)
            return route.abort()

        context.route("**/*", route)
        context.remote_requests = remote
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def _open(browser, url: str):
    """Open ``url`` in a new tab; return the tab, its console errors and the remote requests it made."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    start = len(browser.remote_requests)
    page.goto(url, wait_until="load")
    return page, errors, browser.remote_requests[start:]


@pytest.fixture(scope="session")
def visited(site, browser):
    """Open each page once and remember what it reported (the checks below share one visit)."""
    cache: dict[str, dict] = {}

    def visit(rel: str) -> dict:
        if rel not in cache:
            start = len(browser.remote_requests)
            page, errors, _ = _open(browser, (site / rel).as_uri())
            report = page.evaluate(COLLECT_JS)
            page.wait_for_timeout(100)  # let late console errors and requests arrive
            report["errors"] = errors
            report["remote"] = browser.remote_requests[start:]
            page.close()
            cache[rel] = report
        return cache[rel]

    return visit


def _needs_site(page_id: str) -> None:
    if page_id == "<site not built>":
        require_site()


@pytest.mark.parametrize("page", PAGES)
def test_no_console_errors_and_no_remote_requests(page, visited):
    _needs_site(page)
    report = visited(page)
    assert not report["errors"], f"{page}: JavaScript errors:\n" + "\n".join(report["errors"])
    assert not report["remote"], f"{page}: requested other hosts (the site must work offline):\n" + "\n".join(report["remote"])


@pytest.mark.parametrize("page", PAGES)
def test_math_typeset(page, site, visited):
    _needs_site(page)
    report = visited(page)
    if report["math"] == 0:
        return
    assert report["mjx"] > 0, f"{page}: {report['math']} math elements but MathJax rendered none (is the bundled MathJax loading?)"
    assert not report["untypeset"], f"{page}: math left as TeX: {report['untypeset'][:5]}"
    assert not report["merror"], f"{page}: MathJax errors: {report['merror'][:5]}"


@pytest.mark.parametrize("page", PAGES)
def test_images_load_with_alt_text(page, visited):
    _needs_site(page)
    report = visited(page)
    broken = [img for img in report["images"] if img["width"] == 0]
    no_alt = [img for img in report["images"] if not img["alt"]]
    assert not broken, f"{page}: images that did not load: {[i['src'] or i['id'] for i in broken]}"
    assert not no_alt, f"{page}: images without alt text: {[i['src'] or i['id'] for i in no_alt]}"


@pytest.mark.parametrize("page", PAGES)
def test_animation_players(page, site, visited, browser):
    """A page whose notebook made a ``to_jshtml`` player shows it, with a frame, a slider and the buttons."""
    _needs_site(page)
    notebook = site / "_sources" / (page[: -len(".html")] + ".ipynb")
    expected = notebook.is_file() and "anim-controls" in notebook.read_text(encoding="utf-8")
    report = visited(page)
    if not expected:
        assert not report["animations"] or all(a["img"] for a in report["animations"])
        return
    assert report["animations"], f"{page}: its notebook has an animation player but the page shows none"
    for i, anim in enumerate(report["animations"]):
        assert anim["img"] and anim["width"] > 0, f"{page}: animation {i} shows no frame"
        assert anim["slider"] and anim["buttons"] >= 5, f"{page}: animation {i} lacks its slider or buttons: {anim}"
    # the player works: "next frame" moves the slider
    tab, errors, _ = _open(browser, (site / page).as_uri())
    try:
        slider = tab.locator("div.animation input.anim-slider").first
        if int(slider.get_attribute("max") or 0) > 0:
            before = slider.input_value()
            tab.locator("div.animation button[title='Next frame']").first.click()
            assert slider.input_value() != before, f"{page}: 'Next frame' did not advance the animation"
        assert not errors, f"{page}: JavaScript errors while playing the animation: {errors}"
    finally:
        tab.close()


@pytest.mark.parametrize("page", PAGES)
def test_sidebar_links_resolve(page, site, visited):
    _needs_site(page)
    report = visited(page)
    assert report["sidebar"], f"{page}: no sidebar navigation links"
    missing = []
    for href in report["sidebar"]:
        parts = urlsplit(href)
        if parts.scheme != "file":
            continue
        if not Path(unquote(parts.path)).is_file():
            missing.append(href)
    assert not missing, f"{page}: sidebar links to missing files: {missing}"


def _title_word(title: str) -> str | None:
    """The longest word of a title that Sphinx's search indexes (letters only, 4+ characters)."""
    words = [w for w in re.findall(r"[A-Za-z]{4,}", title.replace("\u00b6", "").replace("#", ""))]
    return max(words, key=len) if words else None


@pytest.fixture(scope="session")
def served(site):
    """The site served on 127.0.0.1 (search fetches page summaries, which Chromium blocks on file://)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("page", PAGES)
def test_search_finds_page_by_title_word(page, site, visited, browser, served):
    _needs_site(page)
    if page == "bibliography.html" or page.startswith(("genindex", "search")):
        pytest.skip("back matter: not a chapter")
    word = _title_word(visited(page)["title"])
    if word is None:
        pytest.skip(f"{page}: no searchable word in its title")
    start = len(browser.remote_requests)
    tab, errors, _ = _open(browser, f"{served}/search.html?q={word}")
    try:
        tab.wait_for_function(
            "() => { const s = document.querySelector('#search-results');"
            " return s && /did not match|Search finished/i.test(s.textContent); }",
            timeout=30_000,
        )  # results are listed one by one; the summary comes after the last
        hrefs = tab.eval_on_selector_all("#search-results ul.search li a", "els => els.map(a => a.href)")
    finally:
        tab.close()
    target = f"{served}/{page}"
    assert any(h.split("#")[0].split("?")[0] == target for h in hrefs), (
        f"search for {word!r} (from the title of {page}) did not list it; got {hrefs[:8]}"
    )
    assert not errors, f"search page: JavaScript errors: {errors}"
    assert not browser.remote_requests[start:], f"search page: requested other hosts: {browser.remote_requests[start:]}"


#: MyST role text that should have become a number, an equation number or a link.
UNRENDERED_ROLE = re.compile(r"\{(?:glue(?::[a-z]+)?|eq|numref|ref)\}")
#: Code cells (and their outputs) may show role text on purpose; everything else may not.
CODE_BLOCK = re.compile(r"<pre\b.*?</pre>", re.DOTALL)


def test_no_unrendered_roles(site):
    """No page shows a literal {glue:...}, {eq}, {numref} or {ref} (e.g. a role wrapped in backticks)."""
    found = []
    for path in all_html(site):
        text = CODE_BLOCK.sub("", path.read_text(encoding="utf-8"))
        for match in UNRENDERED_ROLE.finditer(text):
            found.append(f"{path.relative_to(site)}: ...{text[max(0, match.start() - 40):match.end() + 40]}...")
    assert not found, "unrendered MyST roles in the built pages:\n" + "\n".join(found[:20])


#: A cross-reference label of this book ("eq-mlp2-params", "fig-cnn-curves", "sec-results") as text.
INTERNAL_LABEL = re.compile(r"\b(?:eq|fig|sec|tab)-[a-z0-9]+(?:-[a-z0-9]+)*\b")
NOT_SHOWN = re.compile(r"<(pre|script|style|head)\b.*?</\1>|<[^>]+>", re.DOTALL)


def test_no_internal_label_shown_to_readers(site):
    """Readers see "(2E.1)" or "Fig. 3G.2", never a label such as "equation eq-mlp2-params" (code aside)."""
    leaks = []
    for path in all_html(site):
        text = NOT_SHOWN.sub(" ", path.read_text(encoding="utf-8"))
        leaks += [f"{path.relative_to(site)}: ...{text[max(0, m.start() - 40):m.end() + 10]}..."
                  for m in INTERNAL_LABEL.finditer(text)]
    assert not leaks, "internal labels shown as text:\n" + "\n".join(leaks[:20])


FIGURE = re.compile(r"<figure\b.*?</figure>", re.DOTALL)
FIGURE_IMAGE = re.compile(r'(<a\b[^>]*\bhref="([^"]*)"[^>]*>\s*)?<img\b[^>]*\bsrc="([^"]+)"')


def test_every_figure_links_its_full_size_image(site):
    """A click or tap on a figure opens its image at full size: each figure image links to its own file."""
    unlinked, figures = [], 0
    for path in all_html(site):
        for figure in FIGURE.findall(path.read_text(encoding="utf-8")):
            for _, href, src in FIGURE_IMAGE.findall(figure):
                figures += 1
                if href != src or not (path.parent / unquote(src)).is_file():
                    unlinked.append(f"{path.relative_to(site)}: {src} (link: {href or 'none'})")
    assert figures, f"no figures found in {site}: {BUILD_HINT}"
    assert not unlinked, "figure images that do not open at full size:\n" + "\n".join(unlinked[:20])


def test_every_glued_value_is_cited(site):
    """Every value a page glues (claims aside) is cited by some page's prose: no dead glue keys."""
    glued = glued_keys(site.parent / "jupyter_execute")
    assert glued, f"no glued values found next to {site}: {BUILD_HINT}"
    sources = "\n".join(p.read_text(encoding="utf-8") for p in sorted(BOOK_DIR.rglob("*.md")))
    uncited = sorted(f"{page}: {key}" for key, page in glued.items() if key not in cited_glue_keys(sources))
    assert not uncited, "glued values that no page cites (remove them):\n" + "\n".join(uncited)


def test_every_page_checked(site):
    """Guard: the site holds exactly the pages of ``_toc.yml``, and the tests above visited each of them."""
    assert sorted(book_pages(site)) == toc_pages()
    assert sorted(PAGES) == toc_pages()


# Runs in a page switched to the dark theme: text in cell outputs must keep a WCAG contrast >= 3
# against whatever background it ends up on (black-on-black output text fails).
DARK_CONTRAST_JS = """
() => {
  const rgba = s => { const m = s.match(/[\\d.]+/g) || []; return m.map(Number).concat([1]).slice(0, 4); };
  const lum = ([r, g, b]) => { const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = el => { for (; el; el = el.parentElement) { const c = rgba(getComputedStyle(el).backgroundColor);
                                if (c[3] > 0.5) return c; } return [255, 255, 255, 1]; };
  const bad = [];
  for (const el of document.querySelectorAll('.cell_output *, .output *')) {
    const text = Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
    if (!text || el.closest('mjx-container, svg') || getComputedStyle(el).visibility === 'hidden' || !el.offsetParent) continue;
    const fg = lum(rgba(getComputedStyle(el).color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 3) bad.push(`${el.tagName.toLowerCase()} "${text.slice(0, 40)}": contrast ${ratio.toFixed(2)}`);
  }
  return bad;
}
"""


@pytest.mark.parametrize("page", PAGES)
def test_dark_mode_output_text_legible(page, site, browser):
    _needs_site(page)
    html = (site / page).read_text(encoding="utf-8")
    if "cell_output" not in html and 'class="output' not in html:
        return
    tab, _, _ = _open(browser, (site / page).as_uri())
    try:
        tab.evaluate("() => { document.documentElement.dataset.theme = 'dark'; document.documentElement.dataset.mode = 'dark'; }")
        bad = tab.evaluate(DARK_CONTRAST_JS)
    finally:
        tab.close()
    assert not bad, f"{page}: output text hard to read in dark mode:\n" + "\n".join(bad[:10])


def test_output_figures_are_opaque(site):
    """Figures in outputs have an opaque background: a transparent one shows black text on the dark theme's black."""
    import matplotlib.image as mpimg

    transparent = []
    for png in sorted((site / "_images").glob("*.png")) if (site / "_images").is_dir() else []:
        pixels = mpimg.imread(png)
        if pixels.ndim == 3 and pixels.shape[2] == 4:
            corners = pixels[[0, 0, -1, -1], [0, -1, 0, -1], 3]
            if (corners < 0.99).any():
                transparent.append(png.name)
    assert not transparent, f"figures with a transparent background (use dlbook.plots.use_book_style()): {transparent}"


def test_claims_page_lists_every_claim_of_every_page(site):
    """Each chapter ends with its claims box, and the claims page lists exactly those claims, by page."""
    boxes = {}
    for rel in book_pages(site):
        match = re.search(r"What this page checks \((\d+) claims?\)", (site / rel).read_text(encoding="utf-8"))
        if match:
            boxes[rel] = int(match.group(1))
    chapters = [rel for rel in book_pages(site) if rel.startswith(("part1/", "part2/", "part3/"))]
    assert chapters and not set(chapters) - set(boxes), f"chapters without a claims box: {set(chapters) - set(boxes)}"
    ledger = (site / "claims.html").read_text(encoding="utf-8")
    listed = re.findall(r'href="([^"#]+)"[^>]*>\s*<strong>[^<]*</strong>\s*</a>\s*: (\d+) claims?, (\d+) holds?', ledger)
    assert {href: int(n) for href, n, _ in listed} == boxes
    assert all(n == held for _, n, held in listed)
    total = sum(boxes.values())
    text = " ".join(re.sub(r"<[^>]+>", " ", ledger).split())
    assert f"This build checked {total:,} claims on {len(boxes)} pages." in text


def test_every_claim_is_cited_by_a_sentence_and_every_mark_links_to_a_claim_of_its_page(site):
    """Each line of a page's claims box is the target of a mark after a sentence ({claim}`label`), and each mark's
    target is a line of that box: no claim floats free of the words it checks, and no mark points nowhere."""
    problems, marks = [], 0
    for rel in book_pages(site):
        if rel == "claims.html":  # the ledger repeats the boxes' claims without anchors
            continue
        page = (site / rel).read_text(encoding="utf-8")
        boxes = re.findall(r'<ul class="claims-list[^"]*">(.*?)</ul>', page, re.S)
        items = [anchor for box in boxes for anchor in re.findall(r"<li(?: id=\"([^\"]*)\")?>", box)]
        targets = set()
        for link in re.findall(r"<a [^>]*claim-citation[^>]*>", page):
            target = re.search(r'href="#([^"]+)"', link)
            targets.add(target.group(1) if target else "")
            marks += 1
        problems += [f"{rel}: a claim without a label" for anchor in items if not anchor]
        problems += [f"{rel}: no sentence cites #{anchor}" for anchor in items if anchor and anchor not in targets]
        problems += [f"{rel}: a mark links to #{target}, not a claim of the page" for target in targets - set(items)]
    assert marks, "no claim citations found in the site"
    assert not problems, "\n".join(problems)


# Runs in a page after load: what a reader would trip over at the current window width.
LAYOUT_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const visible = el => !!el.offsetParent;
  const text = el => (el.textContent || '').replace(/\\s+/g, ' ').trim();
  const column = document.querySelector('article.bd-article') || document.body;
  const overflowing = el => el.scrollWidth > el.clientWidth + 1;
  const scrolls = el => { for (; el && el !== column; el = el.parentElement) {
      const o = getComputedStyle(el).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
  const named = el => !!(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.getAttribute('title')
      || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest('label')
      || (el.tagName === 'BUTTON' && text(el)) || el.type === 'hidden');
  return {
    column: column.clientWidth,
    titlesInBody: Array.from(document.querySelectorAll('.admonition')).map(a => {
        const p = a.querySelector(':scope > p:not(.admonition-title)'); return p ? text(p).slice(0, 60) : ''; })
      .filter(t => /^(What the original answer got wrong|The question|Try it|What this page checks)/.test(t)),
    wideMath: Array.from(document.querySelectorAll('mjx-container[display="true"]')).filter(visible)
      .filter(m => m.getBoundingClientRect().width > column.clientWidth + 1 || overflowing(m) || overflowing(m.parentElement))
      .map(m => ({tex: text(m.parentElement).slice(0, 50), scrolls: scrolls(m.parentElement),
                  width: Math.round(m.getBoundingClientRect().width)})),
    badAlt: Array.from(document.querySelectorAll('article img')).map(i => i.getAttribute('alt') || '')
      .filter(a => /(\\.(png|jpe?g|svg|gif)$)|_images\\//i.test(a.trim())),
    smallFigures: Array.from(document.querySelectorAll('article .cell_output img')).filter(visible)
      .filter(i => i.naturalWidth > 0 && i.clientWidth < 0.7 * i.naturalWidth)
      .map(i => `${(i.getAttribute('alt') || i.src).slice(0, 40)}: ${i.clientWidth}/${i.naturalWidth} px`),
    wideCode: Array.from(document.querySelectorAll('article .cell_input pre')).filter(visible).filter(overflowing)
      .map(p => (p.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b, '')).slice(0, 60)),
    wideOutputs: Array.from(document.querySelectorAll('article .cell_output pre')).filter(visible).filter(overflowing)
      .map(p => (p.textContent.split('\\n').reduce((a, b) => a.length >= b.length ? a : b, '')).slice(0, 60)),
    wideTables: Array.from(document.querySelectorAll('article table')).filter(visible)
      .filter(t => t.getBoundingClientRect().width > column.clientWidth + 1)
      .map(t => ({head: text(t.querySelector('th, td') || t).slice(0, 40), scrolls: scrolls(t.parentElement)})),
    tallCells: Array.from(document.querySelectorAll('article td, article th')).filter(visible)
      .map(c => { const r = document.createRange(); r.selectNodeContents(c);  // lines: rects stacked, not overlapping
                  let lines = 0, bottom = -Infinity;
                  for (const x of Array.from(r.getClientRects()).filter(x => x.width > 0).sort((a, b) => a.top - b.top)) {
                    if (x.top >= bottom - 2) { lines += 1; bottom = x.bottom; } else { bottom = Math.max(bottom, x.bottom); } }
                  return {cell: text(c).slice(0, 40), lines}; })
      .filter(c => c.lines > 3),
    unnamedControls: Array.from(document.querySelectorAll('article input, article select, article textarea, article button'))
      .filter(el => !named(el)).map(el => el.outerHTML.slice(0, 80)),
    emptyHeaders: Array.from(document.querySelectorAll('article th')).filter(th => !text(th)).length,
    wideAnimations: Array.from(document.querySelectorAll('div.animation')).filter(visible)
      .filter(a => a.getBoundingClientRect().right > column.getBoundingClientRect().right + 1).length,
    figures: Array.from(document.querySelectorAll('article .cell_output img')).filter(visible)
      .filter(i => i.naturalWidth > 0 && /\\.png$/i.test(i.getAttribute('src')))
      .map(i => ({src: i.getAttribute('src'), shown: i.clientWidth, natural: i.naturalWidth})),
  };
}
"""


# Runs in a page: the glued values (myst-nb's ``{glue:text}`` renders ``span.pasted-text``; ``{glue}`` of an
# image or HTML, ``span.pasted-inline``) and those shown bolder than the text around them (their parent).
GLUE_WEIGHT_JS = """
() => {
  const weight = el => parseInt(getComputedStyle(el).fontWeight, 10);
  const glue = Array.from(document.querySelectorAll('span.pasted-text, span.pasted-inline'));
  return {glued: glue.length,
          bolder: glue.filter(g => g.parentElement && weight(g) > weight(g.parentElement))
            .map(g => `"${g.textContent.trim().slice(0, 30)}" ${weight(g)} in ${g.parentElement.tagName.toLowerCase()}`
                      + ` ${weight(g.parentElement)}`)};
}
"""


@pytest.fixture(scope="session")
def layout(site, browser):
    """``layout(page, width, mode)``: what LAYOUT_JS reports for the page at that window width and theme (each visited once)."""
    cache: dict[tuple[str, int, str], dict] = {}

    def measure(rel: str, width: int, mode: str = "light") -> dict:
        if (rel, width, mode) not in cache:
            tab, _, _ = _open(browser, (site / rel).as_uri())
            try:
                tab.set_viewport_size({"width": width, "height": 900})
                tab.evaluate("mode => { document.documentElement.dataset.theme = mode;"
                             " document.documentElement.dataset.mode = mode; }", mode)
                tab.wait_for_timeout(50)
                cache[(rel, width, mode)] = tab.evaluate(LAYOUT_JS) | {"glue": tab.evaluate(GLUE_WEIGHT_JS)}
            finally:
                tab.close()
        return cache[(rel, width, mode)]

    return measure


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_glued_numbers_read_as_text(page, mode, site, layout):
    """At 1280 px, light and dark, no glued number is set bolder than the sentence, cell or heading around it
    (MyST-NB's own style sets them bold; dlbook.css undoes it)."""
    _needs_site(page)
    glue = layout(page, 1280, mode)["glue"]
    expected = (site / page).read_text(encoding="utf-8").count('class="pasted-')
    assert glue["glued"] == expected, f"{page}: the check found {glue['glued']} of the page's {expected} glued values"
    assert not glue["bolder"], f"{page} ({mode}): glued values bolder than the text around them: {glue['bolder'][:5]}"


#: A page with many glued numbers, in sentences and in table cells.
GLUE_PAGE = "part1/1b-zero-init-sigmoid.html"


@pytest.mark.parametrize("style, flagged", [
    ("", False),                                                      # the book as built
    ("span.pasted-text { font-weight: bold; }", True),                # MyST-NB's rule winning again
    ("article p span.pasted-text { font-weight: 600; }", True),       # semibold is bolder too
    ("article p { font-weight: 700; }", False),                       # a bold sentence with its numbers as bold
])
def test_bold_glue_check_can_fail(style, flagged, site, browser):
    """The check above flags a glued number set bolder than its sentence, and only that."""
    tab, _, _ = _open(browser, (site / GLUE_PAGE).as_uri())
    try:
        tab.set_viewport_size({"width": 1280, "height": 900})
        if style:
            tab.add_style_tag(content=style)
        glue = tab.evaluate(GLUE_WEIGHT_JS)
    finally:
        tab.close()
    assert glue["glued"] > 10, f"{GLUE_PAGE}: expected glued numbers, found {glue['glued']}"
    assert bool(glue["bolder"]) is flagged, f"style {style!r}: flagged {glue['bolder'][:3]}"


#: Smallest height, in CSS pixels as displayed at each window width, of any text drawn in a figure.
MIN_FIGURE_TEXT_PX = {1280: 9.0, 390: 6.0}


def _smallest_text_px(site: Path, page: str, src: str) -> float | None:
    """The smallest text height the book's figure style recorded in a figure's PNG (None if not recorded)."""
    from PIL import Image

    from dlbook.plots import TEXT_SIZE_KEY

    with Image.open((site / page).parent / src) as png:
        recorded = png.text.get(TEXT_SIZE_KEY)
    return None if recorded is None else float(recorded)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_reader_layout_at_1280px(page, mode, layout):
    """Titles in their place; equations, code, outputs and tables inside the column, no table cell over 3 lines;
    figures at legible size; named controls."""
    _needs_site(page)
    report = layout(page, 1280, mode)
    assert not report["titlesInBody"], f"{page}: admonition titles merged into the body: {report['titlesInBody']}"
    assert not report["wideMath"], f"{page}: display equations wider than the column: {report['wideMath']}"
    assert not report["badAlt"], f"{page}: images whose alt text is a file name: {report['badAlt']}"
    assert not report["smallFigures"], f"{page}: figures shown below 70% of their width: {report['smallFigures']}"
    assert not report["wideCode"], f"{page}: code lines wider than the column: {report['wideCode']}"
    assert not report["wideOutputs"], f"{page}: code outputs wider than the column: {report['wideOutputs']}"
    assert not report["wideTables"], f"{page}: tables wider than the column: {report['wideTables']}"
    assert not report["tallCells"], f"{page}: table cells squeezed to more than 3 lines: {report['tallCells']}"
    assert not report["unnamedControls"], f"{page}: controls without an accessible name: {report['unnamedControls']}"
    assert report["emptyHeaders"] == 0, f"{page}: {report['emptyHeaders']} empty table header cells"


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("width", sorted(MIN_FIGURE_TEXT_PX))
def test_figure_text_is_legible_as_displayed(page, width, site, layout):
    """Every figure's smallest text, scaled to the width the figure is shown at, is >= 9 px in a 1280 px window
    and >= 6 px on a 390 px phone."""
    _needs_site(page)
    small, unrecorded = [], []
    for figure in layout(page, width)["figures"]:
        text_px = _smallest_text_px(site, page, figure["src"])
        if text_px is None:
            unrecorded.append(figure["src"])
        elif text_px * min(1.0, figure["shown"] / figure["natural"]) < MIN_FIGURE_TEXT_PX[width]:
            small.append(f"{figure['src']}: {text_px:.1f} px drawn, shown at {figure['shown']}/{figure['natural']} px")
    assert not unrecorded, f"{page}: figures not drawn with dlbook.plots.use_book_style: {unrecorded}"
    assert not small, f"{page}: figure text under {MIN_FIGURE_TEXT_PX[width]:g} px as displayed at {width} px: {small}"


@pytest.mark.parametrize("page", PAGES)
def test_reader_layout_on_a_phone(page, layout):
    """At 390 px, every display equation fits the column (none cut or scrolled), a wide table scrolls in its own
    box, and animation players fit."""
    _needs_site(page)
    report = layout(page, 390)
    assert not report["wideMath"], f"{page}: display equations wider than the column at 390 px: {report['wideMath']}"
    stuck = [table for table in report["wideTables"] if not table["scrolls"]]
    assert not stuck, f"{page}: tables wider than the column that do not scroll in their own box: {stuck}"
    assert report["wideAnimations"] == 0, f"{page}: animation players wider than the column at 390 px"


#: A glued value in prose that is a name, not a verdict: the machine, package versions and the commit.
NAME_KEY = re.compile(r"(^|-)(processor|cpu|machine|device|torch|python|numpy|version|versions|commit|date|package|"
                      r"packages|threads|platform)(-|$)")
#: A glue role that pastes text into a sentence (``{glue:md}`` tables and ``{glue:figure}`` are not words).
_TEXT_GLUE = re.compile(r"\{glue(?::text)?\}`(?:([^`\s]*)::)?([A-Za-z0-9_.-]+)(?::[^`]*)?`")


def test_no_glued_value_in_prose_is_made_of_words(site):
    """Glued values in sentences are numbers; the words around them are the author's (and claims check them)."""
    outputs = glued_outputs(site.parent / "jupyter_execute")
    assert outputs, f"no glued values found next to {site}: {BUILD_HINT}"
    offenders = []
    for source in sorted(BOOK_DIR.rglob("*.md")):
        for _page, key in _TEXT_GLUE.findall(source.read_text(encoding="utf-8")):
            text = outputs.get(key, {}).get("data", {}).get("text/plain", "")
            if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":  # a glued str, shown as its repr
                left = words_in_glued_text(text[1:-1])
                if left and not NAME_KEY.search(key):
                    offenders.append(f"{source.relative_to(BOOK_DIR)}: {key} = {text[:80]}")
    assert not offenders, ("glued values in prose made of words (write the words, glue the numbers, "
                           "claim what the words say):\n" + "\n".join(sorted(set(offenders))))


def test_no_claim_checks_a_flag_set_by_its_own_rule(site):
    """A claim whose values include a ``said_*`` flag compares the prose's verdict with the rule that wrote it: it cannot fail."""
    records = built_claims(site.parent / "jupyter_execute")
    assert records, f"no claims found next to {site}: {BUILD_HINT}"
    flagged = [f"{r['page']}: {r['statement']} ({', '.join(n for n in r['values'] if n.startswith('said_'))})"
               for r in records if any(name.startswith("said_") for name in r["values"])]
    assert not flagged, "claims that check a flag set by the rule they test:\n" + "\n".join(flagged)
