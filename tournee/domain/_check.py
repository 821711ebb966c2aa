"""Small validation helpers shared by the domain dataclasses.

Every message follows one pattern, ``"<what> '<id>': <field> <problem>, got <value>"``,
so a user always learns which object and which field is wrong.
"""

from __future__ import annotations

import math
from typing import Any

from tournee.domain.errors import InvalidInput


def fail(what: str, field: str, problem: str, value: Any) -> InvalidInput:
    """Build the standard error for ``what`` (e.g. ``"order 'o-17'"``)."""
    return InvalidInput(f"{what}: {field} {problem}, got {value!r}", pointer=f"/{field}")


def non_empty_id(what: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what}: id must be a non-empty string, got {value!r}", pointer="/id")


def int_field(what: str, field: str, value: Any, *, minimum: int | None = 0) -> None:
    """Check ``value`` is a real int (not bool, not float) and ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(what, field, "must be an integer", value)
    if minimum is not None and value < minimum:
        raise fail(what, field, f"must be >= {minimum}", value)


def finite_float(what: str, field: str, value: Any, *, lo: float, hi: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(what, field, "must be a number", value)
    if not math.isfinite(float(value)) or not lo <= float(value) <= hi:
        raise fail(what, field, f"must be within [{lo}, {hi}]", value)
