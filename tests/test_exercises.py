"""Every answer page ends with exercises whose solutions are hidden until opened and checked by claims.

An exercise is ``**Exercise 1A.1.**`` in the page's "Exercises" section, followed by a
``:::{dropdown} Solution to Exercise 1A.1`` box; the cell that computes the solutions makes at
least one claim whose sentence starts with ``Exercise 1A.1:``, so a wrong solution fails the build.
"""

from __future__ import annotations

import re

import pytest

from _sitehelpers import BOOK_DIR, BUILD_HINT, built_claims, require_site, toc_pages

pytestmark = pytest.mark.site

MIN_PER_PAGE = 2
MIN_IN_BOOK = 40
EXERCISE = re.compile(r"^\*\*Exercise (\w+\.\d+)\.\*\*", re.MULTILINE)
SOLUTION = re.compile(r"^:{3,}\{dropdown\} Solution to Exercise (\w+\.\d+)\s*$", re.MULTILINE)
CLAIMED = re.compile(r"^Exercise (\w+\.\d+):")
ANSWER_PAGES = [page.removesuffix(".html") for page in toc_pages() if page.startswith("part")]


def exercises_of(source: str) -> tuple[list[str], list[str]]:
    """The exercise labels of a page's source, and the labels of its solution boxes, in order."""
    return EXERCISE.findall(source), SOLUTION.findall(source)


def test_exercise_markup_is_read():
    source = "**Exercise 3B.1.** How many?\n\n:::{dropdown} Solution to Exercise 3B.1\n1,168.\n:::\n"
    assert exercises_of(source) == (["3B.1"], ["3B.1"])
    assert CLAIMED.match("Exercise 3B.1: 16 filters of 3x3 over 8 channels have 1,168 parameters.")


@pytest.fixture(scope="module")
def claimed_by_page() -> dict[str, set[str]]:
    records = built_claims(require_site().parent / "jupyter_execute")
    assert records, BUILD_HINT
    claimed: dict[str, set[str]] = {}
    for record in records:
        if match := CLAIMED.match(record["statement"]):
            claimed.setdefault(record["page"], set()).add(match.group(1))
    return claimed


@pytest.mark.parametrize("page", ANSWER_PAGES)
def test_page_has_exercises_with_hidden_checked_solutions(page, claimed_by_page):
    exercises, solutions = exercises_of((BOOK_DIR / f"{page}.md").read_text(encoding="utf-8"))
    assert len(exercises) >= MIN_PER_PAGE, f"{page}: {len(exercises)} exercises, want at least {MIN_PER_PAGE}"
    assert len(set(exercises)) == len(exercises), f"{page}: an exercise label is used twice: {exercises}"
    assert solutions == exercises, f"{page}: each exercise needs its own 'Solution to Exercise' box: {solutions}"
    unchecked = [label for label in exercises if label not in claimed_by_page.get(page, set())]
    assert not unchecked, f"{page}: no claim starting 'Exercise <label>:' checks the solution of {unchecked}"


def test_the_book_has_enough_exercises():
    total = sum(len(exercises_of((BOOK_DIR / f"{page}.md").read_text(encoding="utf-8"))[0])
                for page in ANSWER_PAGES)
    assert total >= MIN_IN_BOOK, f"{total} exercises in the book, want at least {MIN_IN_BOOK}"
