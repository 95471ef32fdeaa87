"""Durations in expressions: :class:`Duration`, a small immutable value exposing only its
documented members (``DURATION_MEMBERS``), written as ISO 8601 (``P1DT2H``) in results and
in text.

A duration has three parts, like an SQL interval: calendar months, calendar days, and
elapsed time (microseconds). Added to a date, months and days move its wall clock
(``+ timedelta(days=1)`` keeps 10:00 across a DST change, like ``date_plus``), elapsed time
moves the instant. ``timedelta(hours=48)`` and ``timedelta(days=2)`` compare equal (a day
counts 24 hours when durations are compared or measured) but differ by an hour when added
across a DST change. A date minus a date is elapsed time.

The operators (``date ± duration``, ``date - date``, ``duration * 2`` …) are dunder methods
here and on :class:`~wirework.engine.exprlib.datetimes.DateTime`, each charged before it
runs; ``OPERATIONS`` documents them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from wirework.engine.expr_values import DataValue, current_budget
from wirework.engine.exprlib import datemath as dm
from wirework.engine.exprlib.registry import (
    FunctionError,
    Member,
    OperatorError,
    show,
    value_method,
)

__all__ = [
    "COMPARE_COST",
    "DURATION_ATTRIBUTES",
    "DURATION_COST",
    "DURATION_MEMBERS",
    "MONTHS_COST",
    "MOVE_COST",
    "OPERATIONS",
    "Duration",
    "from_units",
    "parse_duration",
]

#: Work units of one duration operation (arithmetic, a member, parsing), of moving a date
#: by a duration or subtracting dates (time zone conversions), and extra for calendar months
#: (dateutil's relativedelta, pure Python); measured by bench/expr_library.py.
DURATION_COST: Final = 3_000
MOVE_COST: Final = 5_000
MONTHS_COST: Final = 12_000
#: Work units of one comparison of dates or durations.
COMPARE_COST: Final = 700

_DAY: Final = 86_400_000_000  # microseconds
_UNIT_MICROS: Final = {
    "week": 7 * _DAY,
    "day": _DAY,
    "hour": 3_600_000_000,
    "minute": 60_000_000,
    "second": 1_000_000,
    "millisecond": 1_000,
}
_UNIT_MONTHS: Final = {"year": 12, "quarter": 3, "month": 1}
#: Largest part, about 10,000 years (dates span years 1-9999).
_MAX_MONTHS: Final = 120_000
_MAX_DAYS: Final = 3_660_000
_MAX_MICROS: Final = _MAX_DAYS * _DAY
_RANGE_ERROR: Final = "the duration is out of range (at most about 10,000 years)"
#: Longest text read as a duration.
MAX_DURATION_CHARS: Final = 100

_NUMBER: Final = r"([-+]?\d+(?:[.,]\d+)?)"
_ISO: Final = re.compile(
    rf"([-+])?P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?",
    re.IGNORECASE,
)
_ISO_UNITS: Final = ("year", "month", "week", "day", "hour", "minute", "second")


def _number(value: Any, unit: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"the number of {unit}s must be a number, not {show(value)}")
    if not math.isfinite(value):
        raise ValueError(f"{show(value)} {unit}s is out of range")
    return value


def _whole(value: int | float) -> int | float:
    """3.0 → 3 (results are integers when they are whole)."""
    return int(value) if value == int(value) else value


DURATION_MEMBERS: Final[list[Member]] = []


class Duration(DataValue):
    """A length of time: calendar months, calendar days and elapsed microseconds. Only the
    names in :data:`DURATION_ATTRIBUTES` are reachable from expressions."""

    __slots__ = ("_days", "_micros", "_months")
    _months: int
    _days: int
    _micros: int

    def __init__(self, months: int = 0, days: int = 0, micros: int = 0) -> None:
        if abs(months) > _MAX_MONTHS or abs(days) > _MAX_DAYS or abs(micros) > _MAX_MICROS:
            raise ValueError(_RANGE_ERROR)
        object.__setattr__(self, "_months", int(months))
        object.__setattr__(self, "_days", int(days))
        object.__setattr__(self, "_micros", int(micros))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("durations are immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("durations are immutable")

    @property
    def parts(self) -> tuple[int, int, int]:
        """(months, days, microseconds), for Python code; not reachable from expressions."""
        return self._months, self._days, self._micros

    def _fixed(self) -> int:
        """Days (24 h each) and elapsed time, in microseconds."""
        return self._days * _DAY + self._micros

    def added_to(self, value: datetime, sign: int) -> datetime:
        """``value`` plus (sign 1) or minus (sign -1) this duration: calendar parts on the
        wall clock first, then elapsed time."""
        return dm.move(
            value,
            sign * self._months,
            sign * self._days,
            timedelta(microseconds=sign * self._micros),
        )

    # -- text

    def as_text(self) -> str:
        return iso_text(self._months, self._days, self._micros)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return f"Duration({self.as_text()})"

    # -- comparisons: durations with durations

    def _key(self, other: Any) -> tuple[int, int]:
        current_budget().charge(COMPARE_COST)
        if not isinstance(other, Duration):
            raise FunctionError(
                "duration comparison",
                f"a duration compares with a duration, not {show(other)}"
                " (use timedelta(…) or duration('PT1H'))",
            )
        if self._months == other._months:
            return self._fixed(), other._fixed()
        if not self._fixed() and not other._fixed():
            return self._months, other._months
        raise FunctionError(
            "duration comparison",
            f"cannot compare {self.as_text()} with {other.as_text()}: months and years have"
            " no fixed length",
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and (
            (self._months, self._fixed()) == (other._months, other._fixed())
        )

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __lt__(self, other: Any) -> bool:
        mine, theirs = self._key(other)
        return mine < theirs

    def __le__(self, other: Any) -> bool:
        mine, theirs = self._key(other)
        return mine <= theirs

    def __gt__(self, other: Any) -> bool:
        mine, theirs = self._key(other)
        return mine > theirs

    def __ge__(self, other: Any) -> bool:
        mine, theirs = self._key(other)
        return mine >= theirs

    def __hash__(self) -> int:
        return hash((self._months, self._fixed()))

    # -- operators (the sandbox names the operands when one returns NotImplemented)

    def __add__(self, other: Any) -> Any:
        if not isinstance(other, Duration):
            return NotImplemented
        current_budget().charge(DURATION_COST)
        return _made(
            self, "+", other, self._months + other._months, self._days + other._days,
            self._micros + other._micros,
        )  # fmt: skip

    def __sub__(self, other: Any) -> Any:
        if not isinstance(other, Duration):
            return NotImplemented
        current_budget().charge(DURATION_COST)
        return _made(
            self, "-", other, self._months - other._months, self._days - other._days,
            self._micros - other._micros,
        )  # fmt: skip

    def __neg__(self) -> Duration:
        current_budget().charge(DURATION_COST)
        return Duration(-self._months, -self._days, -self._micros)

    def __pos__(self) -> Duration:
        return self

    def __mul__(self, other: Any) -> Any:
        if isinstance(other, bool) or not isinstance(other, (int, float)):
            return NotImplemented
        current_budget().charge(MOVE_COST)
        return self._scaled("*", other)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        if isinstance(other, Duration):
            current_budget().charge(DURATION_COST)
            if self._months or other._months:
                raise OperatorError(
                    f"{self.as_text()} / {other.as_text()}: months and years have no fixed"
                    " length (divide durations of weeks, days, hours … only)"
                )
            if not other._fixed():
                raise OperatorError(f"{self.as_text()} / {other.as_text()}: division by zero")
            return _whole(self._fixed() / other._fixed())
        if isinstance(other, bool) or not isinstance(other, (int, float)):
            return NotImplemented
        current_budget().charge(MOVE_COST)
        if other == 0:
            raise OperatorError(f"{self.as_text()} / {show(other)}: division by zero")
        return self._scaled("/", other)

    def _scaled(self, operator: str, operand: int | float) -> Duration:
        if not math.isfinite(operand):
            raise self._refused(operator, operand, f"{show(operand)} is not a finite number")
        factor = operand if operator == "*" else 1 / operand
        months = self._months * factor if operator == "*" else self._months / operand
        if months != int(months):
            raise self._refused(operator, operand, "months and years must stay whole numbers")
        days = self._days * factor if operator == "*" else self._days / operand
        whole_days = math.trunc(days) if abs(days) <= _MAX_DAYS else _MAX_DAYS + 1
        micros = (self._micros * factor if operator == "*" else self._micros / operand) + (
            days - whole_days
        ) * _DAY
        if abs(micros) > _MAX_MICROS:
            raise self._refused(operator, operand, _RANGE_ERROR)
        return _made(self, operator, operand, int(months), whole_days, round(micros))

    def _refused(self, operator: str, operand: Any, reason: str) -> OperatorError:
        return OperatorError(f"{self.as_text()} {operator} {show(operand)}: {reason}")

    # -- attributes and methods

    days = property(lambda self: self._fixed() // _DAY)
    seconds = property(lambda self: self._fixed() % _DAY // 1_000_000)
    months = property(lambda self: self._months)

    @value_method(
        DURATION_MEMBERS,
        "duration",
        "total_seconds()",
        "The length in seconds (days count 24 hours; not for months or years).",
        [
            ("{{ timedelta(hours=1, minutes=30).total_seconds() }}", 5400),
            ("{{ (to_date('2024-05-17T12:00:00Z') - now).total_seconds() }}", 5400),
        ],
        DURATION_COST,
    )
    def total_seconds(self) -> int | float:
        return self._length("second")

    @value_method(
        DURATION_MEMBERS,
        "duration",
        "in_units(unit)",
        "The length in weeks, days, hours, minutes, seconds or milliseconds (or months, years).",
        [
            ("{{ timedelta(hours=36).in_units('days') }}", 1.5),
            ("{{ duration('P1Y6M').in_units('months') }}", 18),
        ],
        DURATION_COST,
    )
    def in_units(self, unit: Any) -> int | float:
        return self._length(dm.unit_name(unit))

    def _length(self, name: str) -> int | float:
        if name in _UNIT_MONTHS:
            if self._fixed():
                raise ValueError(
                    f"{self.as_text()} is not a whole number of months (use weeks, days or less)"
                )
            return _whole(self._months / _UNIT_MONTHS[name])
        if self._months:
            raise ValueError(
                f"{self.as_text()} has months or years, which have no fixed length in {name}s"
            )
        return _whole(self._fixed() / _UNIT_MICROS[name])

    @value_method(
        DURATION_MEMBERS,
        "duration",
        "isoformat()",
        "ISO 8601 text, what a duration becomes in results: P1DT2H, PT1H30M, -P1D.",
        [("{{ timedelta(days=1, hours=2).isoformat() }}", "P1DT2H")],
        DURATION_COST,
    )
    def isoformat(self) -> str:
        return self.as_text()


for _name, _text, _example in [
    ("days", "Whole days (24 hours each), not counting months: like Python's timedelta.days.",
     ("{{ (to_date('2024-05-20') - to_date('2024-05-17T12:00:00Z')).days }}", 2)),
    ("seconds", "The seconds left over after the whole days, 0-86399 (like Python's).",
     ("{{ timedelta(days=1, minutes=2).seconds }}", 120)),
    ("months", "The calendar months (years count 12).",
     ("{{ duration(years=1, months=2).months }}", 14)),
]:  # fmt: skip
    DURATION_MEMBERS.append(Member(_name, _name, _text, (_example,), False))

#: What expressions may read on a duration (the sandbox's attribute policy).
DURATION_ATTRIBUTES: Final = frozenset(member.name for member in DURATION_MEMBERS)


def _made(left: Any, operator: str, right: Any, months: int, days: int, micros: int) -> Duration:
    try:
        return Duration(months, days, micros)
    except ValueError:
        raise OperatorError(f"{show(left)} {operator} {show(right)}: {_RANGE_ERROR}") from None


# --------------------------------------------------------------------------- building


def from_units(units: dict[str, Any]) -> Duration:
    """A duration from amounts of units (``{'days': 1, 'hours': 2}``, names as in
    ``date_plus``); fractions of days and weeks become elapsed time."""
    amounts: dict[str, int | float] = {}
    for key, value in units.items():
        unit = dm.unit_name(key)
        amounts[unit] = amounts.get(unit, 0) + _number(value, unit)
    return _build(amounts)


def _build(units: Mapping[str, int | float | Decimal]) -> Duration:
    """Decimal arithmetic (not binary floats), so ISO text reads back as what it wrote."""
    months = 0
    days = 0
    micros = Decimal(0)
    for unit, given in units.items():
        amount = Decimal(given)
        if unit in _UNIT_MONTHS:
            if amount != int(amount):
                raise ValueError(f"{_shown(given)} {unit}s: years and months must be whole numbers")
            if abs(amount) > _MAX_MONTHS:
                raise ValueError(_RANGE_ERROR)
            months += int(amount) * _UNIT_MONTHS[unit]
        elif unit in ("week", "day"):
            count = amount * (7 if unit == "week" else 1)
            if abs(count) > _MAX_DAYS:
                raise ValueError(_RANGE_ERROR)
            days += math.trunc(count)
            micros += (count - math.trunc(count)) * _DAY
        else:
            if abs(amount) * _UNIT_MICROS[unit] > _MAX_MICROS:
                raise ValueError(_RANGE_ERROR)
            micros += amount * _UNIT_MICROS[unit]
    return Duration(months, days, round(micros))


def _shown(value: Any) -> str:
    return show(float(value) if isinstance(value, Decimal) else value)


def parse_duration(text: str) -> Duration:
    """A duration from ISO 8601 text: ``P1Y2M3DT4H5M6.5S``, ``P2W``, ``PT90M``, ``-P1D``."""
    match = _ISO.fullmatch(text.strip()) if len(text) <= MAX_DURATION_CHARS else None
    if match is None or not any(match.groups()[1:]) or text.strip().upper().endswith("T"):
        raise ValueError(
            f"{show(text)} is not a duration (expected ISO 8601 such as 'P1DT2H' or 'PT30M')"
        )
    sign = -1 if match.group(1) == "-" else 1
    units: dict[str, int | float | Decimal] = {}
    for unit, number in zip(_ISO_UNITS, match.groups()[1:], strict=True):
        if number is not None:
            whole = number.isdigit() or number[1:].isdigit()
            units[unit] = sign * (int(number) if whole else Decimal(number.replace(",", ".")))
    return _build(units)


def iso_text(months: int, days: int, micros: int) -> str:
    """ISO 8601 text of a duration's parts: ``P1Y2M3DT4H5M6.5S``; ``-P1D`` when every part
    is negative or zero, each part signed otherwise; ``PT0S`` for nothing."""
    if months <= 0 and days <= 0 and micros <= 0 and (months or days or micros):
        return "-" + iso_text(-months, -days, -micros)
    years = int(months / 12)
    calendar = ((years, "Y"), (months - 12 * years, "M"), (days, "D"))
    date_part = "".join(f"{amount}{letter}" for amount, letter in calendar if amount)
    sign = -1 if micros < 0 else 1
    hours, rest = divmod(abs(micros), 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, fraction = divmod(rest, 1_000_000)
    second_text = f"{seconds}.{fraction:06d}".rstrip("0") if fraction else str(seconds)
    prefix = "-" if sign < 0 else ""
    time_part = "".join(
        f"{prefix}{amount}{letter}"
        for amount, letter in ((hours, "H"), (minutes, "M"), (second_text, "S"))
        if amount not in (0, "0")
    )
    if not date_part and not time_part:
        return "PT0S"
    return "P" + date_part + ("T" + time_part if time_part else "")


def _operation(signature: str, description: str, *examples: tuple[str, Any]) -> Member:
    return Member(signature, signature, description, examples, False)


#: The operators on dates and durations, for the reference page (their examples run as
#: tests, in the example scope: now is 2024-05-17T10:30:00+00:00).
OPERATIONS: Final = [
    _operation(
        "date + duration",
        "A later date: months and days keep the wall time, hours and less are elapsed.",
        ("{{ now + timedelta(days=1) }}", "2024-05-18T10:30:00+00:00"),
        ("{{ to_date('2024-01-31') + duration(months=1) }}", "2024-02-29T00:00:00+00:00"),
    ),
    _operation(
        "date - duration",
        "An earlier date.",
        ("{{ now - timedelta(hours=2, minutes=15) }}", "2024-05-17T08:15:00+00:00"),
    ),
    _operation(
        "date - date",
        "The elapsed time between two dates, a duration.",
        ("{{ now - to_date('2024-05-16T09:00:00Z') }}", "PT25H30M"),
        ("{{ now - to_date(json.created) > timedelta(hours=1) }}", False),
    ),
    _operation(
        "duration + duration, duration - duration",
        "The sum or the difference.",
        ("{{ timedelta(hours=1) + timedelta(minutes=30) }}", "PT1H30M"),
    ),
    _operation(
        "duration * number, duration / number",
        "A multiple or a fraction.",
        ("{{ timedelta(minutes=20) * 3 }}", "PT1H"),
        ("{{ timedelta(days=1) / 4 }}", "PT6H"),
    ),
    _operation(
        "duration / duration",
        "How many times one fits in the other (a number).",
        ("{{ (now - today) / timedelta(hours=1) }}", 10.5),
    ),
    _operation("-duration", "The opposite duration.", ("{{ -timedelta(days=1) }}", "-P1D")),
    _operation(
        "<, <=, ==, !=, >=, >",
        "Dates compare with dates, durations with durations.",
        ("{{ timedelta(hours=48) == timedelta(days=2) }}", True),
        ("{{ now < to_date('2024-06-01') }}", True),
    ),
]
