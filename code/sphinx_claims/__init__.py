"""Claims: sentences of a page checked by its own code every time a MyST-NB book is built.

In a notebook cell, :func:`claim` checks a sentence of the prose against the values that decide
it; listed as a Sphinx extension (``extensions: [sphinx_claims]``), the package lists each page's
claims in a box at its end and fails the build on a false one. See README.md beside this file.
"""

from __future__ import annotations

from typing import Any

from sphinx_claims.check import CLAIM_MIME, Claim, ClaimWarning, claim, claims_in_notebook, format_value, test_reading

__all__ = ["CLAIM_MIME", "Claim", "ClaimWarning", "claim", "claims_in_notebook", "format_value", "setup", "test_reading"]


def setup(app: Any) -> dict:
    """The Sphinx entry point (imported only by a build, so that a kernel does not load Sphinx)."""
    from sphinx_claims.extension import setup as setup_extension

    return setup_extension(app)
