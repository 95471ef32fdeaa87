"""Dates and times: ``now``, ``today``, parsing (ISO 8601, a format, Unix time), formatting,
arithmetic, differences, start/end of a period, time zones.

Every function takes a date as a :class:`~wirework.engine.exprlib.datetimes.DateTime`
(``now``, ``to_date(…)``) or as ISO 8601 text (what items hold), so
``json.created | date_plus(days=3) | format_date('%d %b')`` needs no parsing step.
"""

from __future__ import annotations

from typing import Any, Final

from wirework.engine.exprlib import datemath as dt
from wirework.engine.exprlib.datetimes import DATE_COST, DateTime, to_datetime
from wirework.engine.exprlib.registry import Group, Registrar

register: Final = Registrar(Group.DATES)

register.variable(
    "now",
    "The current time of the execution, in the workflow's time zone (settings.timezone).",
    examples=[("{{ now }}", "2024-05-17T10:30:00+00:00"), ("{{ now.year }}", 2024)],
)
register.variable(
    "today",
    "The start of the current day (midnight) in the workflow's time zone.",
    examples=[("{{ today }}", "2024-05-17T00:00:00+00:00")],
)


def _cost(*args: Any, **kwargs: Any) -> int:
    return DATE_COST


@register(
    "to_date",
    "value, format=None, zone=None",
    "Reads a date: ISO 8601 text, or text in a strftime format; zone is for times without one.",
    examples=[
        ("{{ to_date('2024-05-17T10:00:00+02:00') }}", "2024-05-17T10:00:00+02:00"),
        ("{{ '17/05/2024 09:15' | to_date('%d/%m/%Y %H:%M') }}", "2024-05-17T09:15:00+00:00"),
        ("{{ to_date('2024-05-17 09:15', zone='Europe/Paris') }}", "2024-05-17T09:15:00+02:00"),
    ],
    cost=_cost,
)
def to_date(value: Any, format: Any = None, zone: Any = None) -> DateTime:
    return to_datetime(value, format, zone)


@register(
    "from_epoch",
    "value, unit='s', zone=None",
    "A date from Unix time in seconds ('s') or milliseconds ('ms'), in UTC or zone.",
    examples=[
        ("{{ from_epoch(1715941800) }}", "2024-05-17T10:30:00+00:00"),
        ("{{ 1715941800123 | from_epoch('ms') }}", "2024-05-17T10:30:00.123000+00:00"),
    ],
    cost=_cost,
)
def from_epoch_(value: Any, unit: Any = "s", zone: Any = None) -> DateTime:
    return DateTime(dt.from_epoch(value, unit, zone))


@register(
    "to_epoch",
    "date, unit='s'",
    "Unix time of a date: whole seconds ('s') or milliseconds ('ms').",
    examples=[
        ("{{ to_epoch('2024-05-17T10:30:00Z') }}", 1715941800),
        ("{{ now | to_epoch('ms') }}", 1715941800000),
    ],
    cost=_cost,
)
def to_epoch(date: Any, unit: Any = "s") -> int:
    value = to_datetime(date)
    if unit not in ("s", "ms"):
        raise ValueError(f"the unit must be 's' or 'ms', not {unit!r}")
    return int(value.epoch if unit == "s" else value.epoch_ms)


@register(
    "format_date",
    "date, format='iso', zone=None",
    "Formats a date with strftime codes (%Y-%m-%d %H:%M) or as ISO 8601, in zone if given.",
    examples=[
        ("{{ json.created | format_date('%d %B %Y') }}", "17 May 2024"),
        ("{{ format_date(now, '%H:%M', 'America/New_York') }}", "06:30"),
        ("{{ format_date('2024-05-17') }}", "2024-05-17T00:00:00+00:00"),
    ],
    cost=_cost,
)
def format_date(date: Any, format: Any = "iso", zone: Any = None) -> str:
    value = to_datetime(date)
    moment = value.value if zone is None else value.value.astimezone(dt.zone(zone))
    return dt.format_datetime(moment, format)


@register(
    "date_plus",
    "date, amount=None, unit=None, **units",
    "Adds a duration: date_plus(d, 3, 'days') or date_plus(d, days=3, hours=2).",
    examples=[
        ("{{ json.created | date_plus(days=3) }}", "2024-05-20T10:30:00+00:00"),
        ("{{ date_plus('2024-01-31', 1, 'month') }}", "2024-02-29T00:00:00+00:00"),
    ],
    cost=_cost,
)
def date_plus(date: Any, amount: Any = None, unit: Any = None, **units: Any) -> DateTime:
    parts = dt.duration_parts(amount, unit, units)  # errors before the date is read
    return DateTime(dt.shift(to_datetime(date).value, parts, 1))


@register(
    "date_minus",
    "date, amount=None, unit=None, **units",
    "Subtracts a duration: date_minus(d, 2, 'hours') or date_minus(d, weeks=1).",
    examples=[
        ("{{ now | date_minus(weeks=1) }}", "2024-05-10T10:30:00+00:00"),
        ("{{ date_minus('2024-05-17T10:00:00Z', 90, 'minutes') }}", "2024-05-17T08:30:00+00:00"),
    ],
    cost=_cost,
)
def date_minus(date: Any, amount: Any = None, unit: Any = None, **units: Any) -> DateTime:
    parts = dt.duration_parts(amount, unit, units)
    return DateTime(dt.shift(to_datetime(date).value, parts, -1))


@register(
    "date_diff",
    "date, other, unit='days'",
    "date minus other in a unit: exact for weeks and less, whole months, quarters and years.",
    examples=[
        ("{{ date_diff('2024-05-17', '2024-05-01') }}", 16),
        ("{{ now | date_diff(json.created, 'minutes') }}", 0),
        ("{{ date_diff('2024-05-17', '2023-01-20', 'months') }}", 15),
    ],
    cost=_cost,
)
def date_diff(date: Any, other: Any, unit: Any = "days") -> int | float:
    return dt.difference(to_datetime(date).value, to_datetime(other).value, dt.unit_name(unit))


@register(
    "start_of",
    "date, unit",
    "The start of the date's year, quarter, month, week (Monday), day, hour or minute.",
    examples=[
        ("{{ now | start_of('week') }}", "2024-05-13T00:00:00+00:00"),
        ("{{ start_of('2024-05-17T10:30:00Z', 'day') }}", "2024-05-17T00:00:00+00:00"),
    ],
    cost=_cost,
)
def start_of(date: Any, unit: Any) -> DateTime:
    return DateTime(dt.start_of(to_datetime(date).value, dt.unit_name(unit)))


@register(
    "end_of",
    "date, unit",
    "The last microsecond of the date's year, quarter, month, week, day, hour or minute.",
    examples=[("{{ now | end_of('month') }}", "2024-05-31T23:59:59.999999+00:00")],
    cost=_cost,
)
def end_of(date: Any, unit: Any) -> DateTime:
    return DateTime(dt.end_of(to_datetime(date).value, dt.unit_name(unit)))


@register(
    "to_zone",
    "date, zone",
    "The same instant in another time zone (an IANA name such as Europe/Paris).",
    examples=[("{{ json.created | to_zone('Asia/Tokyo') }}", "2024-05-17T19:30:00+09:00")],
    cost=_cost,
)
def to_zone(date: Any, zone: Any) -> DateTime:
    return DateTime(to_datetime(date).value.astimezone(dt.zone(zone)))


@register(
    "weekday",
    "date",
    "The ISO weekday of a date: 1 = Monday … 7 = Sunday.",
    examples=[("{{ weekday('2024-05-19') }}", 7), ("{{ now | weekday }}", 5)],
    cost=_cost,
)
def weekday(date: Any) -> int:
    return int(to_datetime(date).weekday)


@register(
    "week_number",
    "date",
    "The ISO week number of a date, 1-53.",
    examples=[("{{ week_number('2024-01-01') }}", 1), ("{{ now | week_number }}", 20)],
    cost=_cost,
)
def week_number(date: Any) -> int:
    return int(to_datetime(date).week)


@register(
    "is_date",
    "value, format=None",
    "Whether a value is a date or text that reads as one (ISO 8601, or in format).",
    examples=[
        ("{{ is_date('2024-05-17') }}", True),
        ("{{ 'yesterday' | is_date }}", False),
        ("{{ is_date('17.05.2024', '%d.%m.%Y') }}", True),
    ],
    cost=_cost,
)
def is_date(value: Any, format: Any = None) -> bool:
    try:
        to_datetime(value, format)
    except ValueError:
        return False
    return True
