"""Tests for dlbook.tables: Markdown tables from computed values."""

import pytest

from dlbook.tables import markdown_table


def test_markdown_table_layout_and_escaping():
    text = markdown_table(["a", "b"], [[1, "x|y"], [2.5, None]])
    assert text.splitlines() == ["| a | b |", "|---|---|", "| 1 | x\\|y |", "| 2.5 | None |"]


def test_markdown_table_rejects_ragged_rows():
    with pytest.raises(ValueError, match="2 cells"):
        markdown_table(["a", "b"], [[1]])
    with pytest.raises(ValueError, match="at least one column"):
        markdown_table([], [])
