"""What the sandbox says when an operator has no meaning for its operands: ``now + 1``,
``1 + 'a'``, ``-now`` are errors naming both kinds of values (in the words of the docs: a
date, a duration, a number, text …) and, for dates, what works instead — never Python's
``TypeError`` text. The operators on dates and durations themselves are dunder methods of
:class:`~.datetimes.DateTime` and :class:`~.durations.Duration`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from wirework.engine.exprlib.datetimes import DateTime
from wirework.engine.exprlib.durations import Duration
from wirework.engine.exprlib.registry import OperatorError, show

__all__ = ["kind", "operand_error", "unary_error"]

_KINDS: Final[tuple[tuple[type | tuple[type, ...], str], ...]] = (
    (DateTime, "a date"),
    (Duration, "a duration"),
    (bool, "a boolean"),
    ((int, float), "a number"),
    (str, "text"),
    ((list, tuple), "a list"),
    (Mapping, "an object"),
)
_VERBS: Final = {
    "+": "cannot add {a} and {b}",
    "-": "cannot subtract {b} from {a}",
    "*": "cannot multiply {a} by {b}",
    "/": "cannot divide {a} by {b}",
    "//": "cannot divide {a} by {b}",
    "%": "cannot take {a} modulo {b}",
    "**": "cannot raise {a} to the power of {b}",
}


def kind(value: Any) -> str:
    """What a value is, in the words of the docs: a date, a number, text, a list …"""
    if value is None:
        return "null"
    for types, name in _KINDS:
        if isinstance(value, types):
            return name
    return "a function" if callable(value) else "a value"


def operand_error(operator: str, left: Any, right: Any) -> OperatorError:
    """Why ``left <operator> right`` has no meaning, naming both kinds of operands (and,
    for dates, what works instead)."""
    message = _VERBS.get(operator, "cannot use " + operator + " on {a} and {b}").format(
        a=_described(left), b=_described(right)
    )
    kinds = {kind(left), kind(right)}
    if kinds & {"a date", "a duration"} and "text" in kinds:
        message += " (read text as a date with to_date(), or as a duration with duration())"
    elif kinds == {"a date"} and operator in ("+", "-"):
        message += " (subtract two dates to get a duration)"
    elif kinds == {"a date", "a duration"} and operator == "-":
        message += " (write the date first: date - duration)"
    elif kinds & {"a date", "a duration"} and operator in ("+", "-"):
        message += " (add or subtract a duration: now + timedelta(days=1))"
    return OperatorError(message)


def unary_error(operator: str, value: Any) -> OperatorError:
    verb = "negate" if operator == "-" else "use unary + on"
    return OperatorError(f"cannot {verb} {_described(value)}")


def _described(value: Any) -> str:
    name = kind(value)
    if name in ("a number", "text", "a date", "a duration", "a boolean"):
        return f"{name} ({show(value, 40)})"
    return name
