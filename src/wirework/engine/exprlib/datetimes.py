"""Date values in expressions: :class:`DateTime`, a small immutable wrapper of an aware
``datetime`` exposing only its documented members (``MEMBERS``), and the parsing rules every
date function shares (:func:`to_datetime`, :func:`zone`).

Arithmetic follows the calendar for days and longer units (``plus(days=1)`` keeps the wall
time across a DST change) and elapsed time for hours and shorter ones (``plus(hours=24)`` is
24 real hours). A DateTime becomes an ISO 8601 string in results and in text.
"""

from __future__ import annotations

import calendar
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.parser import isoparse
from dateutil.relativedelta import relativedelta

from wirework.engine.expr_budget import LimitExceeded
from wirework.engine.expr_values import DataValue, current_budget
from wirework.engine.exprlib.registry import CALL_COST, FunctionError, show

__all__ = [
    "MEMBERS",
    "DateTime",
    "Member",
    "duration_parts",
    "to_datetime",
    "zone",
]

#: Longest text taken as a date (anything longer is not one).
MAX_DATE_CHARS: Final = 100
#: Longest strftime/strptime format.
MAX_FORMAT_CHARS: Final = 1000
#: Work units of one small date operation (parsing, arithmetic, a property).
DATE_COST: Final = 3_000

_ZONE_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]{0,40}(?:/[A-Za-z0-9_+\-]{1,40}){0,2}")

#: Units of plus/minus/diff/start_of, singular → (relativedelta field, elapsed seconds).
_UNITS: Final[dict[str, tuple[str, float]]] = {
    "year": ("years", 0),
    "quarter": ("months", 0),
    "month": ("months", 0),
    "week": ("weeks", 0),
    "day": ("days", 0),
    "hour": ("hours", 3600),
    "minute": ("minutes", 60),
    "second": ("seconds", 1),
    "millisecond": ("microseconds", 0.001),
}
_UNIT_NAMES: Final = "years, quarters, months, weeks, days, hours, minutes, seconds, milliseconds"
#: Largest amount of a unit plus/minus take (about ±10,000 years of seconds).
_MAX_AMOUNT: Final = 10**12


def unit_name(unit: Any) -> str:
    """``'days'`` → ``'day'``; ValueError naming the accepted units otherwise."""
    if isinstance(unit, str):
        key = unit.strip().lower()
        key = key[:-1] if key.endswith("s") and key[:-1] in _UNITS else key
        if key in _UNITS:
            return key
    raise ValueError(f"{show(unit)} is not a unit (use one of {_UNIT_NAMES})")


@functools.lru_cache(maxsize=512)
def _zone(name: str) -> tzinfo:
    if name.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC
    return ZoneInfo(name)


def zone(name: Any) -> tzinfo:
    """The time zone an IANA name names; ValueError naming it when it is not one."""
    if isinstance(name, str) and _ZONE_NAME.fullmatch(name):
        try:
            return _zone(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise ValueError(f"unknown time zone {show(name)} (use an IANA name such as Europe/Paris)")


def zone_name(tz: tzinfo | None) -> str:
    if tz is None or tz is UTC:
        return "UTC"
    key = getattr(tz, "key", None)
    if isinstance(key, str):
        return key
    offset = tz.utcoffset(None)
    return _offset_text(offset) if offset is not None else "UTC"


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _aware(value: datetime, tz: tzinfo | None) -> datetime:
    return value.replace(tzinfo=tz or UTC) if value.tzinfo is None else value


def to_datetime(value: Any, fmt: Any = None, tz: Any = None) -> DateTime:
    """A date from what functions take: a DateTime, ISO 8601 text, or text in ``fmt``
    (strftime codes). Times without an offset are in ``tz`` (default UTC)."""
    if isinstance(value, DateTime) and fmt is None:
        return value
    zone_info = zone(tz) if tz is not None else None
    if isinstance(value, datetime):
        return DateTime(_aware(value, zone_info))
    if isinstance(value, date):
        return DateTime(datetime(value.year, value.month, value.day, tzinfo=zone_info or UTC))
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError(f"{show(value)} is a number, not a date (use from_epoch for Unix time)")
        raise ValueError(f"{show(value)} is not a date (expected ISO 8601 text)")
    text = value.strip()
    if fmt is None or fmt == "iso":
        parsed = _parse_iso(text) if len(text) <= MAX_DATE_CHARS else None
        if parsed is None:
            raise ValueError(f"{show(value)} is not a date (expected ISO 8601 or pass a format)")
        return DateTime(_aware(parsed, zone_info))
    if not isinstance(fmt, str) or len(fmt) > MAX_FORMAT_CHARS:
        raise ValueError(f"the format must be text of at most {MAX_FORMAT_CHARS} characters")
    if len(text) > MAX_DATE_CHARS:
        raise ValueError(f"{show(value)} is too long to be a date")
    try:
        parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - naive times get tz below
    except ValueError:
        raise ValueError(f"{show(value)} does not match the format {fmt!r}") from None
    return DateTime(_aware(parsed, zone_info))


def _parse_iso(text: str) -> datetime | None:
    try:
        return isoparse(text)
    except (ValueError, OverflowError):
        pass
    try:  # "2024-05-17 10:00:00" and other forms Python reads
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def duration_parts(amount: Any, unit: Any, units: dict[str, Any]) -> dict[str, float]:
    """``plus(3, 'days')`` or ``plus(days=3, hours=1)`` → {'day': 3, 'hour': 1}."""
    parts: dict[str, float] = {}
    if amount is not None or unit is not None:
        if amount is None or unit is None:
            raise ValueError("pass an amount and a unit (plus(3, 'days')) or units (days=3)")
        parts[unit_name(unit)] = amount
    for key, value in units.items():
        name = unit_name(key)
        parts[name] = parts.get(name, 0) + value
    if not parts:
        raise ValueError("pass an amount and a unit (plus(3, 'days')) or units (days=3)")
    for name, value in parts.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"the number of {name}s must be a number, not {show(value)}")
        if not math.isfinite(value) or abs(value) > _MAX_AMOUNT:
            raise ValueError(f"{show(value)} {name}s is out of range")
    return parts


# --------------------------------------------------------------------------- members


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
            return other._value
        raise FunctionError(
            "date comparison", f"a date compares with a date, not {show(other)} (use to_date())"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateTime) and self._value == other._value

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __lt__(self, other: Any) -> bool:
        return self._value < self._other(other)

    def __le__(self, other: Any) -> bool:
        return self._value <= self._other(other)

    def __gt__(self, other: Any) -> bool:
        return self._value > self._other(other)

    def __ge__(self, other: Any) -> bool:
        return self._value >= self._other(other)

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
    zone = property(lambda self: zone_name(self._value.tzinfo))
    offset = property(lambda self: _offset_text(self._value.utcoffset() or timedelta()))
    epoch = property(lambda self: math.floor(self._value.timestamp()))
    epoch_ms = property(
        lambda self: (self._value - _EPOCH) // timedelta(milliseconds=1)
    )

    # -- methods

    @_method(
        "plus(amount, unit) or plus(days=…, hours=…, …)",
        "Adds a duration: calendar units keep the wall time, hours and less are elapsed time.",
        [
            ("{{ to_date('2024-01-31').plus(months=1) }}", "2024-02-29T00:00:00+00:00"),
            ("{{ to_date('2024-05-17T10:00:00Z').plus(90, 'minutes') }}",
             "2024-05-17T11:30:00+00:00"),
        ],
    )
    def plus(self, amount: Any = None, unit: Any = None, **units: Any) -> DateTime:
        return DateTime(shift(self._value, duration_parts(amount, unit, units), 1))

    @_method(
        "minus(amount, unit) or minus(days=…, hours=…, …)",
        "Subtracts a duration (like plus).",
        [("{{ to_date('2024-03-01').minus(days=1).format('%Y-%m-%d') }}", "2024-02-29")],
    )
    def minus(self, amount: Any = None, unit: Any = None, **units: Any) -> DateTime:
        return DateTime(shift(self._value, duration_parts(amount, unit, units), -1))

    @_method(
        "format(pattern='iso')",
        "Text in strftime codes (%Y-%m-%d %H:%M), or ISO 8601 with no pattern.",
        [
            ("{{ to_date('2024-05-17T10:05:00Z').format('%d/%m/%Y %H:%M') }}",
             "17/05/2024 10:05"),
            ("{{ to_date('2024-05-17').format() }}", "2024-05-17T00:00:00+00:00"),
        ],
    )
    def format(self, pattern: Any = "iso") -> str:
        return format_datetime(self._value, pattern)

    @_method(
        "strftime(pattern)",
        "The same as format(pattern) (kept for expressions written for Python dates).",
        [("{{ to_date('2024-05-17').strftime('%Y') }}", "2024")],
    )
    def strftime(self, pattern: Any) -> str:
        return format_datetime(self._value, pattern)

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
        [("{{ to_date('2024-05-17T10:00:00Z').to_zone('Europe/Paris') }}",
          "2024-05-17T12:00:00+02:00")],
    )
    def to_zone(self, name: Any) -> DateTime:
        return DateTime(self._value.astimezone(zone(name)))

    @_method(
        "start_of(unit)",
        "The first instant of its year, quarter, month, week (Monday), day, hour or minute.",
        [("{{ to_date('2024-05-17T10:30:00Z').start_of('month') }}", "2024-05-01T00:00:00+00:00")],
    )
    def start_of(self, unit: Any) -> DateTime:
        return DateTime(start_of(self._value, unit_name(unit)))

    @_method(
        "end_of(unit)",
        "The last microsecond of its year, quarter, month, week, day, hour or minute.",
        [("{{ to_date('2024-02-10').end_of('month') }}", "2024-02-29T23:59:59.999999+00:00")],
    )
    def end_of(self, unit: Any) -> DateTime:
        return DateTime(end_of(self._value, unit_name(unit)))

    @_method(
        "diff(other, unit='days')",
        "This date minus other in a unit: exact for weeks and less, whole months and years.",
        [
            ("{{ to_date('2024-05-17').diff(to_date('2024-05-10')) }}", 7),
            ("{{ to_date('2024-05-17T12:00:00Z').diff('2024-05-17T10:30:00Z', 'hours') }}", 1.5),
        ],
    )
    def diff(self, other: Any, unit: Any = "days") -> int | float:
        return difference(self._value, to_datetime(other).value, unit_name(unit))

    @_method(
        "set(year=…, month=…, day=…, hour=…, minute=…, second=…, millisecond=…)",
        "The same date with some fields replaced.",
        [("{{ to_date('2024-05-17T10:30:00Z').set(day=1, hour=0, minute=0) }}",
          "2024-05-01T00:00:00+00:00")],
    )
    def set(self, **fields: Any) -> DateTime:
        return DateTime(_replace(self._value, fields))


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

for _name, _text, _example in [
    ("year", "The year (2024).", ("{{ to_date('2024-05-17').year }}", 2024)),
    ("month", "The month, 1–12.", ("{{ to_date('2024-05-17').month }}", 5)),
    ("day", "The day of the month, 1–31.", ("{{ to_date('2024-05-17').day }}", 17)),
    ("hour", "The hour, 0–23.", ("{{ to_date('2024-05-17T10:30:00Z').hour }}", 10)),
    ("minute", "The minute, 0–59.", ("{{ to_date('2024-05-17T10:30:00Z').minute }}", 30)),
    ("second", "The second, 0–59.", ("{{ to_date('2024-05-17T10:30:15Z').second }}", 15)),
    ("millisecond", "The millisecond, 0–999.",
     ("{{ to_date('2024-05-17T10:30:15.250Z').millisecond }}", 250)),
    ("microsecond", "The microsecond, 0–999999.",
     ("{{ to_date('2024-05-17T10:30:15.25Z').microsecond }}", 250000)),
    ("weekday", "The ISO weekday: 1 = Monday … 7 = Sunday.",
     ("{{ to_date('2024-05-17').weekday }}", 5)),
    ("week", "The ISO week number, 1–53.", ("{{ to_date('2024-05-17').week }}", 20)),
    ("day_of_year", "The day of the year, 1–366.", ("{{ to_date('2024-02-01').day_of_year }}", 32)),
    ("quarter", "The quarter, 1–4.", ("{{ to_date('2024-05-17').quarter }}", 2)),
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


def format_datetime(value: datetime, pattern: Any) -> str:
    if pattern is None or pattern == "iso":
        return value.isoformat()
    if not isinstance(pattern, str):
        raise ValueError(f"the pattern must be text, not {show(pattern)}")
    if len(pattern) > MAX_FORMAT_CHARS:
        raise LimitExceeded(f"a date format longer than {MAX_FORMAT_CHARS} characters", "format")
    # a conversion writes at most a few dozen characters (%c); the text is copied
    current_budget().charge(40 * pattern.count("%") + len(pattern))
    if value.year < 1000 and "%Y" in pattern:
        pattern = pattern.replace("%Y", f"{value.year:04d}")
    return value.strftime(pattern)


def shift(value: datetime, parts: dict[str, float], sign: int) -> datetime:
    calendar_part: dict[str, Any] = {}
    elapsed = 0.0
    for unit, amount in parts.items():
        field, seconds = _UNITS[unit]
        if seconds:
            elapsed += amount * seconds
            continue
        if unit == "quarter":
            amount *= 3
        if field in ("years", "months") and amount != int(amount):
            raise ValueError(f"{show(amount)} {unit}s: years and months must be whole numbers")
        calendar_part[field] = calendar_part.get(field, 0) + sign * (
            int(amount) if field in ("years", "months") else amount
        )
    try:
        if calendar_part:
            tz = value.tzinfo
            local = value.replace(tzinfo=None) + relativedelta(**calendar_part)
            value = local.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
        if elapsed:
            tz = value.tzinfo
            value = (value.astimezone(UTC) + timedelta(seconds=sign * elapsed)).astimezone(tz)
    except (OverflowError, ValueError):
        raise ValueError("the result is out of the range of dates (years 1–9999)") from None
    return value


def start_of(value: datetime, unit: str) -> datetime:
    if unit == "millisecond":
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if unit == "week":
        value = value - timedelta(days=value.weekday())
        unit = "day"
    fields = ("month", "day", "hour", "minute", "second", "microsecond")
    keep = {"year": 0, "quarter": 0, "month": 1, "day": 2, "hour": 3, "minute": 4, "second": 5}
    reset = {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0}
    changes = {field: reset[field] for field in fields[keep[unit] :]}
    if unit == "quarter":
        changes["month"] = (value.month - 1) // 3 * 3 + 1
    return value.replace(**changes)  # type: ignore[arg-type]


def end_of(value: datetime, unit: str) -> datetime:
    start = start_of(value, unit)
    step = {"quarter": 3, "year": 12, "month": 1}
    if unit in step:
        following = start.replace(tzinfo=None) + relativedelta(months=step[unit])
    elif unit == "week":
        following = start.replace(tzinfo=None) + timedelta(weeks=1)
    elif unit == "day":
        following = start.replace(tzinfo=None) + timedelta(days=1)
    else:
        following = start.replace(tzinfo=None) + timedelta(seconds=_UNITS[unit][1])
    return (following - timedelta(microseconds=1)).replace(tzinfo=value.tzinfo)


def difference(first: datetime, second: datetime, unit: str) -> int | float:
    """``first - second`` in ``unit``: months, quarters and years in whole calendar units,
    weeks and days on the wall clock of ``first``'s zone, shorter units in elapsed time."""
    field, seconds = _UNITS[unit]
    if field in ("years", "months"):
        delta = relativedelta(
            first.replace(tzinfo=None), second.astimezone(first.tzinfo).replace(tzinfo=None)
        )
        months = delta.years * 12 + delta.months
        return {"year": int(months / 12), "quarter": int(months / 3)}.get(unit, months)
    if field in ("weeks", "days"):
        wall = first.replace(tzinfo=None) - second.astimezone(first.tzinfo).replace(tzinfo=None)
        result = wall / timedelta(days=7 if unit == "week" else 1)
    else:
        result = (first - second).total_seconds() / seconds
    return int(result) if result == int(result) else result


_FIELDS: Final = ("year", "month", "day", "hour", "minute", "second", "millisecond")


def _replace(value: datetime, fields: dict[str, Any]) -> datetime:
    changes: dict[str, int] = {}
    for key, amount in fields.items():
        if key not in _FIELDS:
            raise ValueError(f"{key!r} is not a field (use {', '.join(_FIELDS)})")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ValueError(f"{key} must be a whole number, not {show(amount)}")
        if key == "millisecond":
            changes["microsecond"] = amount * 1000
        else:
            changes[key] = amount
    try:
        return value.replace(**changes)  # type: ignore[arg-type]
    except (ValueError, OverflowError) as exc:
        raise ValueError(str(exc)) from None


def from_epoch(value: Any, unit: Any = "s", tz: Any = None) -> DateTime:
    if isinstance(value, str):
        try:
            value = float(value) if len(value) <= 40 else None
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{show(value)} is not a number of seconds or milliseconds")
    if unit not in ("s", "ms"):
        raise ValueError(f"the unit must be 's' or 'ms', not {show(unit)}")
    seconds = value / 1000 if unit == "ms" else value
    try:
        result = _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{show(value)} is out of the range of dates") from None
    return DateTime(result.astimezone(zone(tz)) if tz is not None else result)
