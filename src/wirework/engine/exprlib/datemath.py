"""Date arithmetic behind :mod:`~wirework.engine.exprlib.datetimes`: units and durations,
time zones, calendar shifts, starts and ends of periods, differences, formatting, Unix time.

Calendar units (days and longer) move the wall time (``plus(days=1)`` keeps 10:00 across a
DST change); hours and shorter are elapsed time. All functions take and give aware
``datetime`` values and raise ValueError with a reason a user can act on.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from wirework.engine.expr_budget import LimitExceeded
from wirework.engine.expr_values import current_budget
from wirework.engine.exprlib.registry import show

#: Longest strftime/strptime format.
MAX_FORMAT_CHARS: Final = 1000
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

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
    return offset_text(offset) if offset is not None else "UTC"


def offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def duration_parts(amount: Any, unit: Any, units: dict[str, Any]) -> dict[str, float]:
    """``plus(3, 'days')`` or ``plus(days=3, hours=1)`` → {'day': 3, 'hour': 1}."""
    parts: dict[str, float] = {}
    if amount is not None or unit is not None:
        if amount is None or unit is None:
            raise ValueError("pass an amount and a unit (plus(3, 'days')) or units (days=3)")
        parts[unit_name(unit)] = amount
    for key, value in units.items():
        name = unit_name(key)
        parts[name] = parts.get(name, 0) + _amount(name, value)
    if not parts:
        raise ValueError("pass an amount and a unit (plus(3, 'days')) or units (days=3)")
    for name, value in parts.items():
        _amount(name, value)
    return parts


def _amount(name: str, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"the number of {name}s must be a number, not {show(value)}")
    if not math.isfinite(value) or abs(value) > _MAX_AMOUNT:
        raise ValueError(f"{show(value)} {name}s is out of range")
    return value


# --------------------------------------------------------------------------- members


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
            if "years" in calendar_part or "months" in calendar_part:
                step: Any = relativedelta(**calendar_part)
            else:
                step = timedelta(**calendar_part)
            local = value.replace(tzinfo=None) + step
            value = local.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
        if elapsed:
            tz = value.tzinfo
            value = (value.astimezone(UTC) + timedelta(seconds=sign * elapsed)).astimezone(tz)
    except (OverflowError, ValueError):
        raise ValueError("the result is out of the range of dates (years 1-9999)") from None
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
        result = (first.astimezone(UTC) - second.astimezone(UTC)).total_seconds() / seconds
    return int(result) if result == int(result) else result


_FIELDS: Final = ("year", "month", "day", "hour", "minute", "second", "millisecond")


def set_fields(value: datetime, fields: dict[str, Any]) -> datetime:
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


def from_epoch(value: Any, unit: Any = "s", tz: Any = None) -> datetime:
    given = value
    if isinstance(value, str):
        try:
            value = float(value) if len(value) <= 40 else None
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{show(given)} is not a number of seconds or milliseconds")
    if unit not in ("s", "ms"):
        raise ValueError(f"the unit must be 's' or 'ms', not {show(unit)}")
    seconds = value / 1000 if unit == "ms" else value
    try:
        result = EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{show(value)} is out of the range of dates") from None
    return result.astimezone(zone(tz)) if tz is not None else result
