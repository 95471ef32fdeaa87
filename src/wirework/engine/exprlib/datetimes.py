"""Date values in expressions: :class:`DateTime`, a small immutable wrapper of an aware
``datetime`` exposing only its documented members (``MEMBERS``), and the parsing rules every
date function shares (:func:`to_datetime`). The arithmetic is in :mod:`.datemath`.

A DateTime becomes an ISO 8601 string in results and in text.
"""

from __future__ import annotations

import calendar
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Final, TypeVar

from dateutil.parser import isoparse

from wirework.engine.expr_budget import LimitExceeded
from wirework.engine.expr_values import DataValue, current_budget
from wirework.engine.exprlib import datemath as dm
from wirework.engine.exprlib.registry import CALL_COST, FunctionError, show

__all__ = ["ATTRIBUTES", "DATE_COST", "MEMBERS", "DateTime", "Member", "to_datetime"]

#: Longest text taken as a date (anything longer is not one).
MAX_DATE_CHARS: Final = 100
#: Work units of one small date operation (parsing, arithmetic, a property).
DATE_COST: Final = 3_000


def _aware(value: datetime, tz: tzinfo | None) -> datetime:
    return value.replace(tzinfo=tz or UTC) if value.tzinfo is None else value


def to_datetime(value: Any, fmt: Any = None, tz: Any = None) -> DateTime:
    """A date from what functions take: a DateTime, ISO 8601 text, or text in ``fmt``
    (strftime codes). Times without an offset are in ``tz`` (default UTC)."""
    if isinstance(value, DateTime) and fmt is None:
        return value
    zone_info = dm.zone(tz) if tz is not None else None
    if isinstance(value, datetime):
        return DateTime(_aware(value, zone_info))
    if isinstance(value, date):
        return DateTime(datetime(value.year, value.month, value.day, tzinfo=zone_info or UTC))
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError(
                f"{show(value)} is a number, not a date (use from_epoch for Unix time)"
            )
        raise ValueError(f"{show(value)} is not a date (expected ISO 8601 text)")
    text = value.strip()
    if fmt is None or fmt == "iso":
        parsed = _parse_iso(text) if len(text) <= MAX_DATE_CHARS else None
        if parsed is None:
            raise ValueError(f"{show(value)} is not a date (expected ISO 8601 or pass a format)")
        return DateTime(_aware(parsed, zone_info))
    if not isinstance(fmt, str) or len(fmt) > dm.MAX_FORMAT_CHARS:
        raise ValueError(f"the format must be text of at most {dm.MAX_FORMAT_CHARS} characters")
    if len(text) > MAX_DATE_CHARS:
        raise ValueError(f"{show(value)} is too long to be a date")
    try:
        parsed = datetime.strptime(text, fmt)
    except ValueError:
        raise ValueError(f"{show(value)} does not match the format {fmt!r}") from None
    return DateTime(_aware(parsed, zone_info))


def _parse_iso(text: str) -> datetime | None:
    try:  # C, and most ISO 8601 forms (a space for the T too)
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:  # the forms it does not read (2024-05, 10:00:00,5 …)
        return isoparse(text)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class Member:
    """A documented attribute or method of dates (the reference page lists them)."""

    name: str
    signature: str
    description: str
    examples: tuple[tuple[str, Any], ...]
    method: bool


MEMBERS: list[Member] = []
_F = TypeVar("_F", bound=Callable[..., Any])


def _method(
    signature: str, description: str, examples: list[tuple[str, Any]], cost: int = DATE_COST
) -> Callable[[_F], _F]:
    """A DateTime method: counted, charged, errors named ``date.<name>: …``."""

    def declare(func: _F) -> _F:
        name = func.__name__

        @functools.wraps(func)
        def run(self: DateTime, *args: Any, **kwargs: Any) -> Any:
            budget = current_budget()
            budget.operate(CALL_COST)
            budget.charge(cost)
            try:
                result = func(self, *args, **kwargs)
            except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
                raise FunctionError(f"date.{name}", str(exc)) from None
            except LimitExceeded as exc:
                raise LimitExceeded(f"date.{name}: {exc}", exc.limit) from None
            return budget.produced(result)

        MEMBERS.append(Member(name, signature, description, tuple(examples), True))
        return run  # type: ignore[return-value]

    return declare


def _attribute(name: str, description: str, example: tuple[str, Any]) -> None:
    MEMBERS.append(Member(name, name, description, (example,), False))


class DateTime(DataValue):
    """An instant with a time zone, immutable. Only the names in :data:`ATTRIBUTES` are
    reachable from expressions."""

    __slots__ = ("_value",)
    _value: datetime

    def __init__(self, value: datetime) -> None:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        object.__setattr__(self, "_value", value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("dates are immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("dates are immutable")

    @property
    def value(self) -> datetime:
        """The wrapped datetime (for Python code; not reachable from expressions)."""
        return self._value

    def as_text(self) -> str:
        return self._value.isoformat()

    def __repr__(self) -> str:
        return f"DateTime({self._value.isoformat()})"

    def __str__(self) -> str:
        return self._value.isoformat()

    # -- comparisons: instants, with dates only

    def _other(self, other: Any) -> datetime:
        if isinstance(other, DateTime):
            return other._value.astimezone(UTC)
        raise FunctionError(
            "date comparison", f"a date compares with a date, not {show(other)} (use to_date())"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateTime) and (
            self._value.astimezone(UTC) == other._value.astimezone(UTC)
        )

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __lt__(self, other: Any) -> bool:
        return self._value.astimezone(UTC) < self._other(other)

    def __le__(self, other: Any) -> bool:
        return self._value.astimezone(UTC) <= self._other(other)

    def __gt__(self, other: Any) -> bool:
        return self._value.astimezone(UTC) > self._other(other)

    def __ge__(self, other: Any) -> bool:
        return self._value.astimezone(UTC) >= self._other(other)

    def __hash__(self) -> int:
        return hash(self._value)

    # -- attributes (properties, cheap)

    year = property(lambda self: self._value.year)
    month = property(lambda self: self._value.month)
    day = property(lambda self: self._value.day)
    hour = property(lambda self: self._value.hour)
    minute = property(lambda self: self._value.minute)
    second = property(lambda self: self._value.second)
    millisecond = property(lambda self: self._value.microsecond // 1000)
    microsecond = property(lambda self: self._value.microsecond)
    weekday = property(lambda self: self._value.isoweekday())
    week = property(lambda self: self._value.isocalendar().week)
    day_of_year = property(lambda self: self._value.timetuple().tm_yday)
    quarter = property(lambda self: (self._value.month - 1) // 3 + 1)
    days_in_month = property(
        lambda self: calendar.monthrange(self._value.year, self._value.month)[1]
    )
    zone = property(lambda self: dm.zone_name(self._value.tzinfo))
    offset = property(lambda self: dm.offset_text(self._value.utcoffset() or timedelta()))
    epoch = property(lambda self: math.floor(self._value.timestamp()))
    epoch_ms = property(lambda self: (self._value - dm.EPOCH) // timedelta(milliseconds=1))

    # -- methods

    @_method(
        "plus(amount, unit) or plus(days=…, hours=…, …)",
        "Adds a duration: calendar units keep the wall time, hours and less are elapsed time.",
        [
            ("{{ to_date('2024-01-31').plus(months=1) }}", "2024-02-29T00:00:00+00:00"),
            (
                "{{ to_date('2024-05-17T10:00:00Z').plus(90, 'minutes') }}",
                "2024-05-17T11:30:00+00:00",
            ),
        ],
    )
    def plus(self, amount: Any = None, unit: Any = None, **units: Any) -> DateTime:
        return DateTime(dm.shift(self._value, dm.duration_parts(amount, unit, units), 1))

    @_method(
        "minus(amount, unit) or minus(days=…, hours=…, …)",
        "Subtracts a duration (like plus).",
        [("{{ to_date('2024-03-01').minus(days=1).format('%Y-%m-%d') }}", "2024-02-29")],
    )
    def minus(self, amount: Any = None, unit: Any = None, **units: Any) -> DateTime:
        return DateTime(dm.shift(self._value, dm.duration_parts(amount, unit, units), -1))

    @_method(
        "format(pattern='iso')",
        "Text in strftime codes (%Y-%m-%d %H:%M), or ISO 8601 with no pattern.",
        [
            ("{{ to_date('2024-05-17T10:05:00Z').format('%d/%m/%Y %H:%M') }}", "17/05/2024 10:05"),
            ("{{ to_date('2024-05-17').format() }}", "2024-05-17T00:00:00+00:00"),
        ],
    )
    def format(self, pattern: Any = "iso") -> str:
        return dm.format_datetime(self._value, pattern)

    @_method(
        "strftime(pattern)",
        "The same as format(pattern) (kept for expressions written for Python dates).",
        [("{{ to_date('2024-05-17').strftime('%Y') }}", "2024")],
    )
    def strftime(self, pattern: Any) -> str:
        return dm.format_datetime(self._value, pattern)

    @_method(
        "isoformat()",
        "ISO 8601 text (the same as format()).",
        [("{{ to_date('2024-05-17T10:00:00+02:00').isoformat() }}", "2024-05-17T10:00:00+02:00")],
    )
    def isoformat(self) -> str:
        return self._value.isoformat()

    @_method(
        "timestamp()",
        "Seconds since 1970-01-01 UTC, with fractions.",
        [("{{ to_date('1970-01-02T00:00:00.5Z').timestamp() }}", 86400.5)],
    )
    def timestamp(self) -> float:
        return self._value.timestamp()

    @_method(
        "to_zone(name)",
        "The same instant in another time zone (an IANA name).",
        [
            (
                "{{ to_date('2024-05-17T10:00:00Z').to_zone('Europe/Paris') }}",
                "2024-05-17T12:00:00+02:00",
            )
        ],
    )
    def to_zone(self, name: Any) -> DateTime:
        return DateTime(self._value.astimezone(dm.zone(name)))

    @_method(
        "start_of(unit)",
        "The first instant of its year, quarter, month, week (Monday), day, hour or minute.",
        [("{{ to_date('2024-05-17T10:30:00Z').start_of('month') }}", "2024-05-01T00:00:00+00:00")],
    )
    def start_of(self, unit: Any) -> DateTime:
        return DateTime(dm.start_of(self._value, dm.unit_name(unit)))

    @_method(
        "end_of(unit)",
        "The last microsecond of its year, quarter, month, week, day, hour or minute.",
        [("{{ to_date('2024-02-10').end_of('month') }}", "2024-02-29T23:59:59.999999+00:00")],
    )
    def end_of(self, unit: Any) -> DateTime:
        return DateTime(dm.end_of(self._value, dm.unit_name(unit)))

    @_method(
        "diff(other, unit='days')",
        "This date minus other in a unit: exact for weeks and less, whole months and years.",
        [
            ("{{ to_date('2024-05-17').diff(to_date('2024-05-10')) }}", 7),
            ("{{ to_date('2024-05-17T12:00:00Z').diff('2024-05-17T10:30:00Z', 'hours') }}", 1.5),
        ],
    )
    def diff(self, other: Any, unit: Any = "days") -> int | float:
        return dm.difference(self._value, to_datetime(other).value, dm.unit_name(unit))

    @_method(
        "set(year=…, month=…, day=…, hour=…, minute=…, second=…, millisecond=…)",
        "The same date with some fields replaced.",
        [
            (
                "{{ to_date('2024-05-17T10:30:00Z').set(day=1, hour=0, minute=0) }}",
                "2024-05-01T00:00:00+00:00",
            )
        ],
    )
    def set(self, **fields: Any) -> DateTime:
        return DateTime(dm.set_fields(self._value, fields))


for _name, _text, _example in [
    ("year", "The year (2024).", ("{{ to_date('2024-05-17').year }}", 2024)),
    ("month", "The month, 1-12.", ("{{ to_date('2024-05-17').month }}", 5)),
    ("day", "The day of the month, 1-31.", ("{{ to_date('2024-05-17').day }}", 17)),
    ("hour", "The hour, 0-23.", ("{{ to_date('2024-05-17T10:30:00Z').hour }}", 10)),
    ("minute", "The minute, 0-59.", ("{{ to_date('2024-05-17T10:30:00Z').minute }}", 30)),
    ("second", "The second, 0-59.", ("{{ to_date('2024-05-17T10:30:15Z').second }}", 15)),
    ("millisecond", "The millisecond, 0-999.",
     ("{{ to_date('2024-05-17T10:30:15.250Z').millisecond }}", 250)),
    ("microsecond", "The microsecond, 0-999999.",
     ("{{ to_date('2024-05-17T10:30:15.25Z').microsecond }}", 250000)),
    ("weekday", "The ISO weekday: 1 = Monday … 7 = Sunday.",
     ("{{ to_date('2024-05-17').weekday }}", 5)),
    ("week", "The ISO week number, 1-53.", ("{{ to_date('2024-05-17').week }}", 20)),
    ("day_of_year", "The day of the year, 1-366.", ("{{ to_date('2024-02-01').day_of_year }}", 32)),
    ("quarter", "The quarter, 1-4.", ("{{ to_date('2024-05-17').quarter }}", 2)),
    ("days_in_month", "How many days its month has.",
     ("{{ to_date('2024-02-10').days_in_month }}", 29)),
    ("zone", "The time zone's IANA name (or its offset).",
     ("{{ to_date('2024-05-17T10:00:00Z').to_zone('Asia/Tokyo').zone }}", "Asia/Tokyo")),
    ("offset", "The offset from UTC as ±HH:MM.",
     ("{{ to_date('2024-01-17T10:00:00Z').to_zone('America/New_York').offset }}", "-05:00")),
    ("epoch", "Whole seconds since 1970-01-01 UTC (Unix time).",
     ("{{ to_date('2024-05-17T00:00:00Z').epoch }}", 1715904000)),
    ("epoch_ms", "Milliseconds since 1970-01-01 UTC.",
     ("{{ to_date('2024-05-17T00:00:00.5Z').epoch_ms }}", 1715904000500)),
]:  # fmt: skip
    _attribute(_name, _text, _example)

#: What expressions may read on a date (the sandbox's attribute policy).
ATTRIBUTES: Final = frozenset(member.name for member in MEMBERS)
