"""Small Markdown tables built from computed values (pandas is not a dependency of the book)."""

from __future__ import annotations

from collections.abc import Sequence


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Return a GitHub-flavoured Markdown table; cells are converted with ``str`` and ``|`` is escaped.

    Every row must have as many cells as ``header``. Show it in a notebook with
    ``IPython.display.Markdown(markdown_table(...))``.
    """
    if not header:
        raise ValueError("header must name at least one column")
    bad = [i for i, row in enumerate(rows) if len(row) != len(header)]
    if bad:
        raise ValueError(f"every row must have {len(header)} cells; rows {bad} do not")

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
