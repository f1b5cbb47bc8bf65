"""Glue a page's computed values for its prose, one call per cell, under one key prefix."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from numbers import Integral, Real

#: A glue key's part after the prefix: lower-case words joined by hyphens (``test-acc-mean``).
_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def plain_value(value: object) -> int | float | str:
    """Return ``value`` as a plain Python ``int``, ``float`` or ``str`` (NumPy and one-element torch scalars included)."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (Integral, Real, str)):
        raise ValueError(f"expected a number or a string to glue, got {type(value).__name__}: {value!r}")
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    return value


def glue_values(prefix: str, values: Mapping[str, object]) -> None:
    """Glue each value (hidden, as ``myst_nb.glue(..., display=False)``) under ``f"{prefix}-{name}"``.

    The prose cites a value with ``{glue:text}`prefix-name:format```. The values are checked
    first, so a bad one glues nothing. Nothing is returned, so a call that ends a cell shows nothing.
    """
    if not _NAME.fullmatch(prefix):
        raise ValueError(f"expected a prefix of lower-case words joined by hyphens, got {prefix!r}")
    bad = [name for name in values if not isinstance(name, str) or not _NAME.fullmatch(name)]
    if bad:
        raise ValueError(f"expected names of lower-case words joined by hyphens, got {bad}")
    glued = {f"{prefix}-{name}": plain_value(value) for name, value in values.items()}
    from myst_nb import glue

    for key, value in glued.items():
        glue(key, value, display=False)


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def scientific(value: float, digits: int = 2, up: bool = False) -> str:
    """Return ``value`` in scientific notation for prose, e.g. ``1.4 × 10⁻¹³`` (``digits`` significant digits).

    ``up=True`` rounds a positive value up instead of to nearest, so that a bound stated in the
    prose ("stays below ...") stays true. Glue the string and paste it with ``{glue:text}`key```:
    a format spec such as ``:.0e`` prints ``1e-13``.
    """
    if not math.isfinite(value) or value == 0:
        raise ValueError(f"expected a finite non-zero number, got {value!r}")
    if digits < 1:
        raise ValueError(f"expected at least 1 significant digit, got {digits}")
    if up:
        if value < 0:
            raise ValueError(f"expected a positive value to round up, got {value!r}")
        exponent = math.floor(math.log10(value)) - (digits - 1)
        value = math.ceil(round(value / 10.0**exponent, 9)) * 10.0**exponent
    mantissa, exponent_text = f"{value:.{digits - 1}e}".split("e")
    power = "10" + str(int(exponent_text)).translate(_SUPERSCRIPT)
    return power if mantissa in ("1", "1." + "0" * (digits - 1)) else f"{mantissa} \u00d7 {power}"
