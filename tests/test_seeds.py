"""Tests for dlbook.seeds: one offset shifts every seed of the book."""

import pytest

from dlbook import seeds


def test_book_seed_is_the_seed_itself_without_an_offset(monkeypatch):
    monkeypatch.delenv(seeds.SEED_OFFSET_VARIABLE, raising=False)
    assert [seeds.book_seed(s) for s in (0, 1, 7)] == [0, 1, 7]


def test_an_offset_moves_every_seed_past_the_seeds_of_offset_zero(monkeypatch):
    monkeypatch.setenv(seeds.SEED_OFFSET_VARIABLE, "2")
    assert [seeds.book_seed(s) for s in (0, 1, 7)] == [2000, 2001, 2007]


@pytest.mark.parametrize("text", ["-1", "one", "1.5"])
def test_a_bad_offset_raises_value_error_naming_the_variable(monkeypatch, text):
    monkeypatch.setenv(seeds.SEED_OFFSET_VARIABLE, text)
    with pytest.raises(ValueError, match="DLBOOK_SEED_OFFSET"):
        seeds.book_seed(0)
