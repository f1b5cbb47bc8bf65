"""Check a claim of the prose against the values that decide it, and record it as a cell output.

A page states an outcome in words and backs it with one call that would fail if the words were false::

    claim("At the largest learning rate ordered SGD ends with more dead ReLU units than shuffled SGD, "
          "by more than 10 percentage points (95% interval over the seeds).", "low > 0.1", low=gap_low)

The condition is a Python expression over the named values, so the text that is shown (in the
page's "What this page checks" box and on the claims page) is exactly what was evaluated.

Rules for claims (``benchmarks/robustness.py`` checks the first at other seeds and on other
arithmetic; the site tests check the second and the third):

- A claim states a lesson that must hold for any seed and any processor. A fact of this run
  (which seed won, the fourth digit of an accuracy, a margin of one test image) is a glued
  number, not a claim.
- A glued value in prose is a number, a table or a figure, never a word or a sentence that the
  prose reads as its verdict. The author writes the words, and a claim fails if they become false.
- A claim never compares a flag with the rule that computed it (``said_x == rule(...)`` cannot
  fail), and its sentence is the same text in every run (no verdict words pasted into it).
- A difference within the noise is written as such, with its interval ("not resolved by 3 seeds
  and 10,000 images: +0.04 pp, -0.18 to +0.26"); "A equals B" or "dropout does not help" is not
  a claim data can support, "not measurably better" is.
- The test set never gates the build: test accuracy is reported with its interval, and a sentence
  that reads it against a target is a :func:`test_reading`, which is checked and shown like a claim
  but never fails the build (a false one puts a visible box on the page instead).

In a notebook each call displays one output: the record under the MIME type :data:`CLAIM_MIME`
and, for people, a line of text (a red box when the claim does not hold). The Sphinx extension
(:mod:`sphinx_claims.extension`) turns those outputs into the page's box and fails the build on a
false claim; Jupyter, Binder and Colab show the text. Outside a notebook a false claim is a
:class:`ClaimWarning`. A false claim never stops the code that calls it (a malformed call
raises ValueError).
"""

from __future__ import annotations

import ast
import html
import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from numbers import Integral, Real
from typing import Any

#: MIME type of the cell output that carries a claim's record.
CLAIM_MIME = "application/vnd.sphinx-claims.claim+json"

#: What a label looks like: lower-case words or digits joined by hyphens (``all-units-dead``).
LABEL = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

#: The only names a condition may call besides its values.
_SAFE_BUILTINS = {"abs": abs, "all": all, "any": any, "len": len, "max": max, "min": min,
                  "round": round, "sorted": sorted, "sum": sum, "set": set, "math": math}


class ClaimWarning(UserWarning):
    """A claim of the prose does not hold under the current settings (outside a notebook)."""


@dataclass(frozen=True)
class Claim:
    """One checked claim: the sentence, the condition, the values it was evaluated on and the verdict."""

    statement: str
    condition: str
    values: dict[str, Any]
    holds: bool
    page: str = ""  # filled in by the Sphinx extension, which knows the page
    gates: bool = True  # False for a reading of the test set (:func:`test_reading`)
    label: str = ""  # the name the prose cites it by: {claim}`label`

    def _ipython_display_(self) -> None:
        """Show nothing when a call ends a cell: the call has already displayed its record."""

    def values_text(self) -> str:
        """Return the values as ``name = value`` pairs, e.g. ``highest_probability = 0.4812``."""
        return ", ".join(f"{name} = {format_value(value)}" for name, value in self.values.items())

    def message(self) -> str:
        """Return a one-line description: verdict, page, sentence, condition and values."""
        verdict = "holds" if self.holds else "does NOT hold"
        where = f" on page {self.page}" if self.page else ""
        values = f" with {self.values_text()}" if self.values else ""
        kind = "Claim" if self.gates else "Reading of the test set"
        return f"{kind} {verdict}{where}: {self.statement!r} - checked {self.condition}{values}"


def format_value(value: Any) -> str:
    """Format a measured value for people: 4 significant digits for floats, lists shortened."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        return f"{float(value):.4g}"
    if isinstance(value, (list, tuple)):
        shown = ", ".join(format_value(v) for v in value[:8])
        return f"[{shown}{', ...' if len(value) > 8 else ''}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def _plain(value: Any, name: str) -> Any:
    """Convert tensors and NumPy values to plain Python numbers and lists (JSON-ready)."""
    if hasattr(value, "tolist") and callable(value.tolist):  # torch tensors, NumPy arrays and scalars
        value = value.tolist()
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v, name) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v, name) for k, v in value.items()}
    raise ValueError(f"value {name!r} must be a number, string, list, dict, array or tensor, got {type(value).__name__}")


def claim(statement: str, condition: str, *, label: str = "", **values: Any) -> Claim:
    """Check that ``condition`` holds for ``values`` and record the verdict; a false claim fails the book build.

    ``statement`` is the sentence as the prose states it. ``condition`` is a Python expression
    over the keyword arguments (and ``abs``, ``min``, ``max``, ``all``, ``any``, ``len``,
    ``round``, ``sorted``, ``sum``, ``set``, ``math``), e.g. ``"gap_pp > 2 * se_pp"``.
    ``label`` names the claim for the prose, which cites it with the role ``{claim}`label```
    after the sentence that states it. Tensors and NumPy values are converted to plain numbers
    first. Returns the :class:`Claim`; a bad argument raises ValueError, a false claim never raises.
    """
    return _evaluate(statement, condition, values, gates=True, label=label)


def test_reading(statement: str, condition: str, *, label: str = "", **values: Any) -> Claim:
    """Check a sentence that reads the test set (``"the interval lies above the target"``); never fail.

    Like :func:`claim`, but the test set never gates the build: the record is kept (the page's box,
    the claims page and the robustness benchmark show it, marked as a reading of the test set) and a
    false reading shows a visible box where it is made, in the build as anywhere else, so that a page
    rebuilt with other seeds says which of its words no longer hold. Returns the :class:`Claim`.
    """
    return _evaluate(statement, condition, values, gates=False, label=label)


test_reading.__test__ = False  # a page helper, not a test for pytest to collect


def _evaluate(statement: str, condition: str, values: Mapping[str, Any], *, gates: bool, label: str) -> Claim:
    """Evaluate ``condition`` on ``values`` and show the record; the checks common to claims and readings."""
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError(f"statement must be a non-empty sentence, got {statement!r}")
    if not isinstance(label, str) or (label and not LABEL.match(label)):
        raise ValueError(f"label must be lower-case words or digits joined by hyphens, like 'all-units-dead', got {label!r}")
    if not isinstance(condition, str) or not condition.strip():
        raise ValueError(f"condition must be a non-empty Python expression, got {condition!r}")
    plain = {name: _plain(value, name) for name, value in values.items()}
    try:
        tree = ast.parse(condition.strip(), "<claim condition>", mode="eval")
    except SyntaxError as error:
        raise ValueError(f"condition {condition!r} is not a Python expression: {error.msg}") from None
    names = [node for node in ast.walk(tree) if isinstance(node, ast.Name)]
    bound = {node.id for node in names if isinstance(node.ctx, ast.Store)}  # comprehension variables
    missing = sorted({node.id for node in names} - bound - set(plain) - set(_SAFE_BUILTINS))
    if missing:
        raise ValueError(f"condition {condition!r} uses {missing}, which are not among the values {sorted(plain)}")
    outcome = eval(compile(tree, "<claim condition>", "eval"), {"__builtins__": _SAFE_BUILTINS, **plain})  # noqa: S307 - names checked above
    if not isinstance(outcome, bool):
        raise ValueError(f"condition {condition!r} must evaluate to True or False, got {outcome!r}")
    record = Claim(statement.strip(), condition.strip(), plain, outcome, gates=gates, label=label)
    _show(record)
    return record


def _in_a_kernel() -> bool:
    """True inside a Jupyter kernel (Jupyter, Binder, Colab, a book build), not in a script or a terminal shell.

    A bare ``InteractiveShell`` that an earlier ``IPython.display.display`` call created in a plain
    process does not count: it has no kernel, and nothing would show what it displays.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


def _show(record: Claim) -> None:
    """Display the record as one cell output in a notebook; outside one, warn when it does not hold."""
    if not _in_a_kernel():
        if not record.holds:
            warnings.warn(record.message(), ClaimWarning, stacklevel=4)
        return
    from IPython.display import display

    bundle = {CLAIM_MIME: asdict(record), "text/plain": ("\u2713 " if record.holds else "WARNING: ") + (
        record.statement if record.holds else record.message())}
    if not record.holds:
        what = "This claim of the page" if record.gates else "This reading of the test set"
        bundle["text/html"] = (
            '<div style="border-left: 4px solid #c0392b; padding: 0.4em 0.8em; background: #fdecea; color: #000">'
            f"<strong>{what} does not hold with these settings:</strong> {html.escape(record.statement)}"
            f"<br><code>{html.escape(record.condition)}</code>"
            f"{' with ' + html.escape(record.values_text()) if record.values else ''}</div>")
    display(bundle, raw=True)


def claims_in_notebook(notebook: Mapping[str, Any]) -> list[Claim]:
    """Return the claims recorded in an executed notebook's outputs (a dict in nbformat's layout), in order."""
    found = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            record = output.get("data", {}).get(CLAIM_MIME)
            if record is not None:
                found.append(Claim(**record))
    return found
