"""Numbers and types: rounding with digits (halves away from zero), abs, min/max, clamp,
conversions that say which value they could not convert, number formatting.
"""

from __future__ import annotations

import builtins
import math
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
    localcontext,
)
from typing import Any, Final

from wirework.engine.expr_budget import MAX_INT_BITS
from wirework.engine.expr_values import current_budget, to_text
from wirework.engine.exprlib.datetimes import DateTime
from wirework.engine.exprlib.registry import Group, Registrar, show

register: Final = Registrar(Group.NUMBERS)

#: Most digits after the point rounding and formatting take.
MAX_DIGITS: Final = 30
#: Longest text read as a number.
MAX_NUMBER_CHARS: Final = 400
_NO_DEFAULT: Final = object()
#: Enough digits for any float or integer an expression may hold (4096 bits), and decimals.
_PRECISE: Final = Context(prec=1400)
_TRUE: Final = frozenset({"true", "yes", "y", "on", "1"})
_FALSE: Final = frozenset({"false", "no", "n", "off", "0", ""})


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{show(value)} is not a number")
    return value


def _digits(digits: Any) -> int:
    if isinstance(digits, bool) or not isinstance(digits, int) or abs(digits) > MAX_DIGITS:
        raise ValueError(f"digits must be a whole number from -{MAX_DIGITS} to {MAX_DIGITS}")
    return digits


def _rounded(value: Any, digits: Any, mode: str) -> int | float:
    number, places = _number(value), _digits(digits)
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"{show(number)} is not a finite number")
    if isinstance(number, int) and places >= 0:
        return number
    with localcontext(_PRECISE):
        exponent = Decimal(1).scaleb(-places)
        result = Decimal(repr(number) if isinstance(number, float) else number).quantize(
            exponent, rounding=mode
        )
        return int(result) if places <= 0 else float(result)


@register(
    "round",
    "number, digits=0",
    "Rounds to digits after the point (halves away from zero); a whole number for 0.",
    examples=[
        ("{{ round(2.5) }}", 3),
        ("{{ round(json.price / 7, 2) }}", 176.36),
        ("{{ round(1234.5, -2) }}", 1200),
    ],
    forms="function",
    notes="The Jinja filter `| round` rounds halves to even and always gives a float.",
)
def round_(number: Any, digits: Any = 0) -> int | float:
    return _rounded(number, digits, ROUND_HALF_UP)


@register(
    "floor",
    "number, digits=0",
    "Rounds down (towards minus infinity) to digits after the point.",
    examples=[("{{ floor(2.7) }}", 2), ("{{ json.price | floor(-2) }}", 1200)],
)
def floor(number: Any, digits: Any = 0) -> int | float:
    return _rounded(number, digits, ROUND_FLOOR)


@register(
    "ceil",
    "number, digits=0",
    "Rounds up (towards plus infinity) to digits after the point.",
    examples=[("{{ ceil(2.1) }}", 3), ("{{ 1.231 | ceil(2) }}", 1.24)],
)
def ceil(number: Any, digits: Any = 0) -> int | float:
    return _rounded(number, digits, ROUND_CEILING)


@register(
    "abs",
    "number",
    "The number without its sign.",
    examples=[("{{ abs(-3.5) }}", 3.5)],
    forms="function",
)
def abs_(number: Any) -> int | float:
    return builtins.abs(_number(number))


def _values(name: str, values: tuple[Any, ...]) -> list[Any]:
    if len(values) == 1 and isinstance(values[0], (list, tuple)):
        values = tuple(values[0])
    if not values:
        raise ValueError("no values")
    kinds = {_kind(value) for value in values}
    if len(kinds) > 1 or None in kinds:
        raise ValueError("the values must be all numbers, all text or all dates")
    return list(values)


def _extreme(pick: Any, values: list[Any]) -> Any:
    """min or max in C: charged as one step (comparisons of text read the text)."""
    current_budget().charge(20 * len(values) + sum(len(v) for v in values if isinstance(v, str)))
    return pick(values)


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    return "date" if isinstance(value, DateTime) else None


def _cost_values(*values: Any, **kwargs: Any) -> int:
    """A Python pass checking the kinds (the C pass of min/max is charged in _extreme)."""
    count = (
        len(values[0]) if len(values) == 1 and isinstance(values[0], (list, tuple)) else len(values)
    )
    return 100 * count + 1_000


@register(
    "min",
    "*values",
    "The smallest of the values, or of one list (numbers, text or dates).",
    examples=[("{{ min(3, 1, 2) }}", 1), ("{{ min([json.price, 1000]) }}", 1000)],
    forms="function",
    cost=_cost_values,
    atomic=False,
)
def min_(*values: Any) -> Any:
    return _extreme(builtins.min, _values("min", values))


@register(
    "max",
    "*values",
    "The largest of the values, or of one list (numbers, text or dates).",
    examples=[("{{ max(3, 1, 2) }}", 3), ("{{ max(['2024-01-02', '2024-03-01']) }}", "2024-03-01")],
    forms="function",
    cost=_cost_values,
    atomic=False,
)
def max_(*values: Any) -> Any:
    return _extreme(builtins.max, _values("max", values))


@register(
    "clamp",
    "number, low, high",
    "The number kept between low and high.",
    examples=[("{{ 15 | clamp(0, 10) }}", 10), ("{{ clamp(-2, 0, 10) }}", 0)],
)
def clamp(number: Any, low: Any, high: Any) -> int | float:
    value, lowest, highest = _number(number), _number(low), _number(high)
    if lowest > highest:
        raise ValueError(f"low ({lowest}) is greater than high ({highest})")
    return builtins.min(builtins.max(value, lowest), highest)


def _text_number(value: str) -> int | float | None:
    text = value.strip()
    if "_" in text:  # Python reads 1_000; people mean something else
        return None
    if not text or len(text) > MAX_NUMBER_CHARS:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _fallback(default: Any, message: str) -> Any:
    if default is _NO_DEFAULT:
        raise ValueError(message)
    return default


def _cost_convert(value: Any = None, *args: Any, **kwargs: Any) -> int:
    return (
        10 * builtins.min(len(value), MAX_NUMBER_CHARS) + 1_000 if isinstance(value, str) else 1_000
    )


@register(
    "to_int",
    "value, default=error",
    "A whole number from a number (cut towards zero), text or boolean; default if given.",
    examples=[
        ("{{ to_int('42') }}", 42),
        ("{{ '3.0' | to_int }}", 3),
        ("{{ to_int(7.9) }}", 7),
        ("{{ to_int('n/a', 0) }}", 0),
    ],
    cost=_cost_convert,
)
def to_int(value: Any, default: Any = _NO_DEFAULT) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return _fallback(default, f"{show(value)} is not a finite number")
        return int(value)
    if isinstance(value, str):
        number = _text_number(value)
        if isinstance(number, int):
            return number
        if isinstance(number, float) and number == int(number) and abs(number) < 2**MAX_INT_BITS:
            return int(number)
        what = "is not a whole number" if number is not None else "is not a number"
        return _fallback(default, f"{show(value)} {what}")
    return _fallback(default, f"{show(value)} is not a number")


@register(
    "to_float",
    "value, default=error",
    "A number from a number, text or boolean; default if given.",
    examples=[("{{ to_float('2.50') }}", 2.5), ("{{ ' 1e3 ' | to_float }}", 1000.0)],
    cost=_cost_convert,
)
def to_float(value: Any, default: Any = _NO_DEFAULT) -> Any:
    if isinstance(value, (bool, int)):
        try:
            return float(value)
        except OverflowError:
            return _fallback(default, f"{show(value)} is too large for a float")
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        number = _text_number(value)
        if number is not None:
            try:
                return float(number)
            except OverflowError:
                pass
    return _fallback(default, f"{show(value)} is not a number")


@register(
    "to_bool",
    "value, default=error",
    "true/false from a boolean, a number (0 is false) or text (true/yes/on/1, false/no/off/0).",
    examples=[("{{ 'Yes' | to_bool }}", True), ("{{ to_bool(0) }}", False)],
    cost=_cost_convert,
)
def to_bool(value: Any, default: Any = _NO_DEFAULT) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return _fallback(default, f"{show(value)} is not true or false")


@register(
    "to_str",
    "value",
    "The value as text: numbers, true/false, '' for null, JSON for lists and objects.",
    examples=[("{{ to_str(42) }}", "42"), ("{{ [1, 'a'] | to_str }}", '[1,"a"]')],
    cost=lambda value=None, *a, **k: 500,  # to_text charges JSON it writes
)
def to_str(value: Any) -> str:
    return to_text(value)


@register(
    "is_number",
    "value",
    "Whether a value is a number or text that reads as one.",
    examples=[("{{ is_number('12.5') }}", True), ("{{ 'abc' | is_number }}", False)],
    cost=_cost_convert,
)
def is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and _text_number(value) is not None


@register(
    "format_number",
    "number, decimals=0, thousands=',', point='.'",
    "The number as text with a fixed number of decimals and a thousands separator.",
    examples=[
        ("{{ json.price | format_number(2) }}", "1,234.50"),
        ("{{ format_number(1234567.891, 2, '.', ',') }}", "1.234.567,89"),
        ("{{ format_number(0.5) }}", "1"),
    ],
)
def format_number(number: Any, decimals: Any = 0, thousands: Any = ",", point: Any = ".") -> str:
    value = _number(number)
    places = _digits(decimals)
    if places < 0:
        raise ValueError("decimals must be 0 or more")
    for name, separator in (("thousands", thousands), ("point", point)):
        if not isinstance(separator, str) or len(separator) > 5:
            raise ValueError(f"{name} must be text of at most 5 characters")
    try:
        with localcontext(_PRECISE):
            rounded = Decimal(repr(value) if isinstance(value, float) else value).quantize(
                Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
            )
            text = f"{rounded:,.{places}f}"
    except InvalidOperation:
        raise ValueError(f"{show(value)} cannot be formatted") from None
    whole, _, fraction = text.partition(".")
    whole = whole.replace(",", "\0").replace("\0", thousands)
    return whole + (point + fraction if fraction else "")
