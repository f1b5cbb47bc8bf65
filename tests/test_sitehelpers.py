"""Tests for the site test helpers: a missing site skips with how to build it, except in CI; the TOC's pages."""

import pytest

from _sitehelpers import BUILD_HINT, REPO_ROOT, require_site, toc_pages, words_in_glued_text


def test_missing_site_skips_with_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_HTML_DIR", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="jupyter-book build book/"):
        require_site()


def test_missing_site_fails_in_ci(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOK_HTML_DIR", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required when CI=true"):
        require_site()


def test_a_built_site_is_returned(tmp_path, monkeypatch):
    (tmp_path / "index.html").write_text("<html></html>")
    monkeypatch.setenv("BOOK_HTML_DIR", str(tmp_path))
    assert require_site() == tmp_path.resolve()
    assert "jupyter-book build" in BUILD_HINT


def test_toc_pages_are_the_book_sources():
    pages = toc_pages()
    assert "intro.html" in pages and "part3/3g-mnist-cnn.html" in pages
    assert all((REPO_ROOT / "book" / page.replace(".html", ".md")).is_file() for page in pages)
    assert len(pages) == len(set(pages))


def test_cited_glue_keys_reads_roles_cross_page_roles_and_directives():
    from _sitehelpers import cited_glue_keys

    text = ("{glue:text}`cnn-acc:.2%` and {glue}`n-seeds` and {glue:text}`part2/2d-one::mlp1-x:.1f`\n"
            ":::{glue:figure} cnn-fig\n:::\nglue_values('cnn', {'not-cited': 1}) and `{glue}` alone")
    assert cited_glue_keys(text) == {"cnn-acc", "n-seeds", "mlp1-x", "cnn-fig"}


def test_glued_keys_names_the_page(tmp_path):
    import json

    from _sitehelpers import glued_keys

    (tmp_path / "part1").mkdir()
    (tmp_path / "part1" / "1a.glue.json").write_text(json.dumps({"a-x": {}, "a-y": {}}))
    assert glued_keys(tmp_path) == {"a-x": "part1/1a", "a-y": "part1/1a"}


def test_cross_page_glue_text_roles_name_a_format():
    # MyST-NB splits {glue:text}`page::key` at its last colon, so without a format the key is lost
    import re

    from _sitehelpers import BOOK_DIR

    bare = [f"{p.relative_to(BOOK_DIR)}: {m}" for p in sorted(BOOK_DIR.rglob("*.md"))
            for m in re.findall(r"\{glue:text\}`[^`:]+::[^`:]+`", p.read_text(encoding="utf-8"))]
    assert not bare, f"add a format such as :s to these cross-page glue roles: {bare}"


def test_the_word_check_tells_numbers_from_verdicts():
    assert words_in_glued_text("98.31%") == words_in_glued_text("+0.42 pp") == ""
    assert words_in_glued_text("1.4 × 10⁻¹³") == words_in_glued_text("12,345") == words_in_glued_text("5.8 s") == ""
    assert words_in_glued_text("25.0%, 12.5% and 12.5%") == words_in_glued_text("3 to 5") == ""
    assert words_in_glued_text("[[1.0, 0.5], [0.5, 0.25]]") == words_in_glued_text("p = 0, 0.5") == ""
    assert words_in_glued_text("best p = 0.5") == "best"
    assert words_in_glued_text("above") and words_in_glued_text("not measured: the seeds do not separate it")
