"""Claims: a sentence of the prose, the condition that makes it true, and the measured values that decide it.

A page states an outcome in words ("ordered SGD at the largest step kills more units than shuffled
SGD") and backs it with one call that would fail if the words were false (here: the low end of the
95% interval of the per-seed difference in dead-unit fraction, from chapter 1C)::

    claim("At the largest learning rate ordered SGD ends with more dead ReLU units than shuffled SGD, "
          "by more than 10 percentage points (95% interval over the seeds).", "low > 0.1", low=gap_low)

The condition is a Python expression over the named values, so the text that is shown (in the
page's "What this page checks" box and on the book's claims page) is exactly what was evaluated.

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

- During the book build (the build's Sphinx extension sets ``DLBOOK_CLAIMS=strict``) a false
  claim raises :class:`ClaimError`, which fails the build with the page, the sentence and the values.
- Anywhere else (Jupyter, Binder, a script, the robustness benchmark) a false claim does not stop
  the notebook: it shows a warning with the sentence and the values, and the next cell still runs.

Every claim is also *glued* (the mechanism of ``myst_nb.glue``, with ``display=False``) under a
key :data:`KEY_PREFIX` + a hash of its sentence, as a record of the MIME type :data:`CLAIM_MIME`.
MyST-NB collects glued values from every cell, hidden ones included, and keeps them with the
execution cache, so the book's extension finds the claims of a page whether it ran or not.
"""

from __future__ import annotations

import ast
import hashlib
import html
import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from numbers import Integral, Real
from typing import Any

#: MIME type of the glued output that carries a claim's record.
CLAIM_MIME = "application/vnd.dlbook.claim+json"
#: Glue keys of claims start with this; the rest is a hash of the sentence and a repeat count.
KEY_PREFIX = "dlbook-claim-"
#: MyST-NB's prefix for glued outputs that are not displayed (``glue(..., display=False)``).
HIDDEN_GLUE_PREFIX = "application/papermill.record/"
#: Environment variable that selects the mode: ``strict`` raises on a false claim, anything else warns.
MODE_VARIABLE = "DLBOOK_CLAIMS"
#: Environment variable that names the page being executed (set by the book build).
PAGE_VARIABLE = "DLBOOK_PAGE"

#: The only names a condition may call besides its values.
_SAFE_BUILTINS = {"abs": abs, "all": all, "any": any, "len": len, "max": max, "min": min,
                  "round": round, "sorted": sorted, "sum": sum, "set": set, "math": math}


class ClaimError(AssertionError):
    """A claim of the prose does not hold (raised during the book build)."""


class ClaimWarning(UserWarning):
    """A claim of the prose does not hold under the current settings (interactive use)."""


@dataclass(frozen=True)
class Claim:
    """One checked claim: the sentence, the condition, the values it was evaluated on and the verdict."""

    statement: str
    condition: str
    values: dict[str, Any]
    holds: bool
    page: str = ""
    gates: bool = True  # False for a reading of the test set (:func:`test_reading`)

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


def strict_mode() -> bool:
    """True when false claims must raise (the book build), False when they only warn."""
    return os.environ.get(MODE_VARIABLE, "") == "strict"


def claim(statement: str, condition: str, **values: Any) -> Claim:
    """Check that ``condition`` holds for ``values``; fail the build or warn if it does not.

    ``statement`` is the sentence as the prose states it. ``condition`` is a Python expression
    over the keyword arguments (and ``abs``, ``min``, ``max``, ``all``, ``any``, ``len``,
    ``round``, ``sorted``, ``sum``, ``set``, ``math``), e.g. ``"gap_pp > 2 * se_pp"``.
    Tensors and NumPy values are converted to plain numbers first. Returns the :class:`Claim`.
    """
    record = _evaluate(statement, condition, values, gates=True)
    if not record.holds:
        if strict_mode():
            raise ClaimError(record.message())
        _warn(record)
    return record


def test_reading(statement: str, condition: str, **values: Any) -> Claim:
    """Check a sentence that reads the test set (``"the interval lies above the target"``); never fail.

    Like :func:`claim`, but the test set never gates the build: the record is kept (the page's box,
    the claims page and the robustness benchmark show it, marked as a reading of the test set) and a
    false reading shows a visible box where it is made, in the build as anywhere else, so that a page
    rebuilt with other seeds says which of its words no longer hold. Returns the :class:`Claim`.
    """
    record = _evaluate(statement, condition, values, gates=False)
    if not record.holds:
        _warn(record)
    return record


test_reading.__test__ = False  # a page helper, not a test for pytest to collect


def _evaluate(statement: str, condition: str, values: Mapping[str, Any], *, gates: bool) -> Claim:
    """Evaluate ``condition`` on ``values`` and glue the record; the checks common to claims and readings."""
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError(f"statement must be a non-empty sentence, got {statement!r}")
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
    record = Claim(statement.strip(), condition.strip(), plain, outcome, os.environ.get(PAGE_VARIABLE, ""),
                   gates)
    _emit(record)
    return record


def _ipython_active() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


_emitted: dict[str, int] = {}


def glue_key(statement: str, repeat: int = 1) -> str:
    """Return the glue key of a claim: :data:`KEY_PREFIX`, a hash of the sentence, and its repeat count."""
    digest = hashlib.sha256(statement.encode()).hexdigest()[:12]
    return f"{KEY_PREFIX}{digest}-{repeat}"


def _emit(record: Claim) -> None:
    """Glue the record, hidden (as ``myst_nb.glue(..., display=False)`` does), where an IPython kernel runs."""
    if not _ipython_active():
        return
    from IPython.display import display

    _emitted[record.statement] = _emitted.get(record.statement, 0) + 1
    key = glue_key(record.statement, _emitted[record.statement])
    mark = "\u2713" if record.holds else "\u2717"
    bundle = {CLAIM_MIME: asdict(record), "text/plain": f"{mark} {record.statement}"}
    display({HIDDEN_GLUE_PREFIX + mime: data for mime, data in bundle.items()}, raw=True,
            metadata={"scrapbook": {"name": key, "mime_prefix": HIDDEN_GLUE_PREFIX}})


def _warn(record: Claim) -> None:
    """Show a false claim: a visible box in a notebook, a :class:`ClaimWarning` elsewhere."""
    if not _ipython_active():
        warnings.warn(record.message(), ClaimWarning, stacklevel=3)
        return
    from IPython.display import display

    what = "This claim of the page" if record.gates else "This reading of the test set"
    box = (
        '<div style="border-left: 4px solid #c0392b; padding: 0.4em 0.8em; background: #fdecea; color: #000">'
        f"<strong>{what} does not hold with these settings:</strong> {html.escape(record.statement)}"
        f"<br><code>{html.escape(record.condition)}</code>"
        f"{' with ' + html.escape(record.values_text()) if record.values else ''}</div>"
    )
    display({"text/html": box, "text/plain": "WARNING: " + record.message()}, raw=True)


def claims_in_glue(glue_data: Mapping[str, Any]) -> list[Claim]:
    """Return the claims among a page's glued outputs (``{key: output}``, as MyST-NB keeps them), in order."""
    found = []
    for key, output in glue_data.items():
        data = output.get("data", {}) if isinstance(output, Mapping) else {}
        if key.startswith(KEY_PREFIX) and CLAIM_MIME in data:
            found.append(Claim(**data[CLAIM_MIME]))
    return found
