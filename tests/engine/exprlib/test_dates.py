"""Dates and times: parsing, formatting, arithmetic (calendar and elapsed), differences,
periods, time zones, comparisons, and the errors that name what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.engine.exprlib.conftest import ev
from wirework.engine.expressions import ExpressionError, evaluate, make_scope
from wirework.engine.exprlib import DateTime


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ to_date('2024-05-17') }}", "2024-05-17T00:00:00+00:00"),
        ("{{ to_date('2024-05-17T10:00Z') }}", "2024-05-17T10:00:00+00:00"),
        ("{{ to_date('2024-05-17T10:00:00.250+05:30') }}", "2024-05-17T10:00:00.250000+05:30"),
        ("{{ to_date('20240517T100000Z') }}", "2024-05-17T10:00:00+00:00"),
        ("{{ to_date('2024-05-17 10:00:00') }}", "2024-05-17T10:00:00+00:00"),
        ("{{ to_date('  2024-05-17  ') }}", "2024-05-17T00:00:00+00:00"),
        ("{{ to_date('2024-W20-5') }}", "2024-05-17T00:00:00+00:00"),
        ("{{ to_date('May 17, 2024', '%B %d, %Y') }}", "2024-05-17T00:00:00+00:00"),
        ("{{ to_date('17.05.2024 10:00 +0200', '%d.%m.%Y %H:%M %z') }}",
         "2024-05-17T10:00:00+02:00"),
        ("{{ to_date('2024-01-15T12:00', zone='America/New_York') }}",
         "2024-01-15T12:00:00-05:00"),
        ("{{ to_date('2024-07-15T12:00', zone='America/New_York') }}",
         "2024-07-15T12:00:00-04:00"),
        ("{{ to_date(to_date('2024-05-17')) }}", "2024-05-17T00:00:00+00:00"),
        ("{{ from_epoch(0) }}", "1970-01-01T00:00:00+00:00"),
        ("{{ from_epoch(-86400) }}", "1969-12-31T00:00:00+00:00"),
        ("{{ from_epoch('1715941800') }}", "2024-05-17T10:30:00+00:00"),
        ("{{ from_epoch(1715941800.5, zone='Asia/Tokyo') }}", "2024-05-17T19:30:00.500000+09:00"),
        ("{{ to_epoch('1970-01-01T00:00:01.999Z') }}", 1),
        ("{{ to_epoch('1969-12-31T23:59:59.5Z') }}", -1),
        ("{{ to_epoch('1969-12-31T23:59:59.5Z', 'ms') }}", -500),
    ],
)  # fmt: skip
def test_reading_dates(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # calendar units keep the wall time across DST (Paris: 31 March 2024, 02:00 → 03:00)
        ("{{ to_date('2024-03-30T12:00', zone='Europe/Paris').plus(days=1) }}",
         "2024-03-31T12:00:00+02:00"),
        # elapsed units count real time
        ("{{ to_date('2024-03-30T12:00', zone='Europe/Paris').plus(hours=24) }}",
         "2024-03-31T13:00:00+02:00"),
        ("{{ to_date('2024-10-27T00:30', zone='Europe/Paris').plus(hours=3) }}",
         "2024-10-27T02:30:00+01:00"),
        ("{{ to_date('2024-01-31').plus(months=1) }}", "2024-02-29T00:00:00+00:00"),
        ("{{ to_date('2024-02-29').plus(years=1) }}", "2025-02-28T00:00:00+00:00"),
        ("{{ to_date('2024-05-17').plus(quarters=1) }}", "2024-08-17T00:00:00+00:00"),
        ("{{ to_date('2024-05-17').plus(1.5, 'days') }}", "2024-05-18T12:00:00+00:00"),
        ("{{ to_date('2024-05-17').plus(500, 'milliseconds') }}",
         "2024-05-17T00:00:00.500000+00:00"),
        ("{{ to_date('2024-05-17').plus(weeks=1, days=1, hours=1, minutes=1, seconds=1) }}",
         "2024-05-25T01:01:01+00:00"),
        ("{{ to_date('2024-05-17').plus(-1, 'day') }}", "2024-05-16T00:00:00+00:00"),
        ("{{ to_date('2024-05-17').minus(Days=1) }}", "2024-05-16T00:00:00+00:00"),
        ("{{ '2024-05-17' | date_plus(hours=1) | date_minus(1, 'hour') }}",
         "2024-05-17T00:00:00+00:00"),
    ],
)  # fmt: skip
def test_arithmetic(source: str, expected: str) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ date_diff('2024-05-17T12:00Z', '2024-05-17T00:00Z') }}", 0.5),
        ("{{ date_diff('2024-05-10', '2024-05-17') }}", -7),
        ("{{ date_diff('2024-05-17', '2024-05-03', 'weeks') }}", 2),
        ("{{ date_diff('2024-05-17T00:00:01Z', '2024-05-17T00:00:00Z', 'milliseconds') }}", 1000),
        ("{{ date_diff('2024-05-17', '2024-02-17', 'months') }}", 3),
        ("{{ date_diff('2024-05-16', '2024-02-17', 'months') }}", 2),
        ("{{ date_diff('2024-02-17', '2024-05-16', 'months') }}", -2),
        ("{{ date_diff('2024-05-17', '2020-05-18', 'years') }}", 3),
        ("{{ date_diff('2024-12-31', '2024-01-01', 'quarters') }}", 3),
        # across a DST change, whole days stay whole (Paris midnight to midnight: 23 h)
        ("{{ date_diff(to_date('2024-04-01', zone='Europe/Paris'),"
         " to_date('2024-03-31', zone='Europe/Paris')) }}", 1),
        ("{{ date_diff(to_date('2024-04-01', zone='Europe/Paris'),"
         " to_date('2024-03-31', zone='Europe/Paris'), 'hours') }}", 23),
    ],
)  # fmt: skip
def test_differences(source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("unit", "start", "end"),
    [
        ("year", "2024-01-01T00:00:00+00:00", "2024-12-31T23:59:59.999999+00:00"),
        ("quarter", "2024-04-01T00:00:00+00:00", "2024-06-30T23:59:59.999999+00:00"),
        ("month", "2024-05-01T00:00:00+00:00", "2024-05-31T23:59:59.999999+00:00"),
        ("week", "2024-05-13T00:00:00+00:00", "2024-05-19T23:59:59.999999+00:00"),
        ("day", "2024-05-17T00:00:00+00:00", "2024-05-17T23:59:59.999999+00:00"),
        ("hour", "2024-05-17T10:00:00+00:00", "2024-05-17T10:59:59.999999+00:00"),
        ("minute", "2024-05-17T10:30:00+00:00", "2024-05-17T10:30:59.999999+00:00"),
        ("second", "2024-05-17T10:30:15+00:00", "2024-05-17T10:30:15.999999+00:00"),
    ],
)
def test_periods(unit: str, start: str, end: str) -> None:
    date = "'2024-05-17T10:30:15.123Z'"
    assert ev(f"{{{{ start_of({date}, '{unit}') }}}}") == start
    assert ev(f"{{{{ {date} | end_of('{unit}s') }}}}") == end


def test_periods_in_a_zone_keep_the_zone() -> None:
    assert ev("{{ now.to_zone('Asia/Tokyo').start_of('day') }}") == "2024-05-17T00:00:00+09:00"
    assert ev("{{ now.to_zone('America/Los_Angeles') | end_of('day') }}") == (
        "2024-05-17T23:59:59.999999-07:00"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ format_date('2024-05-07T08:09:10Z', '%Y-%m-%d %H:%M:%S') }}", "2024-05-07 08:09:10"),
        ("{{ format_date('2024-05-07', '%A %-d %b') if false else 'x' }}", "x"),
        ("{{ format_date('2024-05-07', '%a %d %b %Y, week %V') }}", "Tue 07 May 2024, week 19"),
        ("{{ format_date('0900-01-01', '%Y') }}", "0900"),
        ("{{ format_date('2024-05-07T10:00Z', '%H:%M %Z', 'Europe/Paris') }}", "12:00 CEST"),
        ("{{ format_date('2024-05-07T10:00Z', 'iso', 'Asia/Kolkata') }}",
         "2024-05-07T15:30:00+05:30"),
        ("{{ now.format('%%Y') }}", "%Y"),
        ("{{ 'Date: ' ~ now }}", "Date: 2024-05-17T10:30:00+00:00"),
        ("{{ [now, today] }}", ["2024-05-17T10:30:00+00:00", "2024-05-17T00:00:00+00:00"]),
        ("{{ {'at': now} | tojson }}", '{"at":"2024-05-17T10:30:00+00:00"}'),
        ("{{ now | to_json }}", '"2024-05-17T10:30:00+00:00"'),
    ],
)  # fmt: skip
def test_formatting_and_text(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ now > to_date('2024-01-01') }}", True),
        ("{{ now == to_date('2024-05-17T12:30:00+02:00') }}", True),
        ("{{ now != today }}", True),
        ("{{ now == '2024-05-17T10:30:00+00:00' }}", False),
        ("{{ today < now <= now }}", True),
        ("{{ [now, today, to_date('2020-01-01')] | sort | first }}", "2020-01-01T00:00:00+00:00"),
        ("{{ max(now, today) }}", "2024-05-17T10:30:00+00:00"),
        ("{{ [now, now.plus(days=0)] | unique | list | length }}", 1),
        ("{{ now in [today, now] }}", True),
    ],
)
def test_comparisons(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ format_date('yesterday', '%Y') }}",
         "format_date: 'yesterday' is not a date (expected ISO 8601 or pass a format)"),
        ("{{ to_date('2024-13-45') }}", "to_date: '2024-13-45' is not a date"),
        ("{{ to_date(1715941800) }}",
         "to_date: 1715941800 is a number, not a date (use from_epoch for Unix time)"),
        ("{{ to_date(none) }}", "to_date: null is not a date"),
        ("{{ to_date([1]) }}", "to_date: a list of 1 is not a date"),
        ("{{ to_date('x' * 200) }}", "is not a date"),
        ("{{ to_date('17/05', '%d/%m/%Y') }}", "to_date: '17/05' does not match the format '%d/%m/%Y'"),
        ("{{ to_date('2024', 5) }}", "to_date: the format must be text"),
        ("{{ to_date('2024-05-17', zone='Mars/Olympus') }}", "to_date: unknown time zone 'Mars/Olympus'"),
        ("{{ now.to_zone('../etc/passwd') }}", "date.to_zone: unknown time zone '../etc/passwd'"),
        ("{{ now.to_zone(3) }}", "date.to_zone: unknown time zone 3"),
        ("{{ now.plus(dayz=1) }}", "date.plus: 'dayz' is not a unit (use one of years,"),
        ("{{ now.plus(1) }}", "date.plus: pass an amount and a unit"),
        ("{{ now.plus() }}", "date.plus: pass an amount and a unit"),
        ("{{ now.plus(days='1') }}", "date.plus: the number of days must be a number, not '1'"),
        ("{{ now.plus(months=1.5) }}", "date.plus: 1.5 months: years and months must be whole"),
        ("{{ now.plus(years=10000) }}", "date.plus: the result is out of the range of dates"),
        ("{{ now.plus(days=10**30) }}", "date.plus: 1000000000000000000000000000000 days is out of range"),
        ("{{ now.plus(days=none) }}", "date.plus: the number of days must be a number, not null"),
        ("{{ now.start_of('fortnight') }}", "date.start_of: 'fortnight' is not a unit"),
        ("{{ now.diff('soon') }}", "date.diff: 'soon' is not a date"),
        ("{{ now.set(day=32) }}", "date.set: day is out of range for month"),
        ("{{ now.set(weekday=1) }}", "date.set: 'weekday' is not a field"),
        ("{{ now.set(day='1') }}", "date.set: day must be a whole number"),
        ("{{ now.format(5) }}", "date.format: the pattern must be text, not 5"),
        ("{{ from_epoch('soon') }}", "from_epoch: 'soon' is not a number of seconds"),
        ("{{ from_epoch(10**20) }}", "from_epoch: 100000000000000000000 is out of the range of dates"),
        ("{{ from_epoch(1, 'h') }}", "from_epoch: the unit must be 's' or 'ms', not 'h'"),
        ("{{ to_epoch(now, 'h') }}", "to_epoch: the unit must be 's' or 'ms'"),
        ("{{ date_plus(now) }}", "date_plus: pass an amount and a unit"),
        ("{{ date_diff(now) }}", "date_diff: missing a required argument: 'other'"),
        ("{{ now < '2024-01-01' }}", "date comparison: a date compares with a date, not '2024-01-01'"),
        ("{{ now.weekday() }}", "object is not callable"),
        ("{{ json.missing | format_date }}", "format_date: null is not a date"),
    ],
)  # fmt: skip
def test_errors_name_the_function_and_the_value(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(source)
    assert message in caught.value.message, caught.value.message
    assert "Traceback" not in str(caught.value) and "\n" not in str(caught.value)


def test_an_error_in_a_step_names_node_parameter_expression_and_function() -> None:
    source = "{{ format_date(json.day, '%Y') }}"
    with pytest.raises(ExpressionError) as caught:
        evaluate({"fields": {"year": source}}, make_scope({"day": "yesterday"}))
    assert caught.value.describe("Format") == (
        "node 'Format' parameter 'fields.year': expression \"{{ format_date(json.day, '%Y') }}\""
        ": format_date: 'yesterday' is not a date (expected ISO 8601 or pass a format)"
    )


def test_is_date_never_fails() -> None:
    for value in ("'2024-05-17'", "'nope'", "none", "3", "[1]", "now", "'x' * 500"):
        assert ev(f"{{{{ is_date({value}) }}}}") in (True, False)


def test_date_values_are_immutable_and_expose_only_their_members() -> None:
    date = DateTime(datetime(2024, 5, 17, tzinfo=UTC))
    with pytest.raises(AttributeError):
        date.year = 2000  # type: ignore[misc]
    with pytest.raises(AttributeError):
        object.__setattr__(date, "other", 1)
    assert date.value.year == 2024
    for name in ("value", "tzinfo", "replace", "astimezone", "date", "time", "as_text"):
        with pytest.raises(ExpressionError, match="not available in expressions"):
            ev(f"{{{{ now.{name} }}}}")


def test_now_is_one_value_per_scope_and_in_the_workflows_zone() -> None:
    scope = make_scope({}, timezone="Pacific/Auckland")
    first = evaluate("{{ now }}", scope)
    assert evaluate("{{ now }}", scope) == first
    assert evaluate("{{ now.zone }}", scope) == "Pacific/Auckland"
    assert evaluate("{{ today.hour + today.minute }}", scope) == 0
    assert evaluate("{{ today == now.start_of('day') }}", scope) is True
    # an unknown zone (documents are validated on save) falls back to UTC rather than fail
    assert evaluate("{{ now.zone }}", make_scope({}, timezone="Nowhere/Else")) == "UTC"


def test_old_datetime_spellings_still_work() -> None:
    assert ev("{{ now.strftime('%Y-%m-%d') }} {{ now.year }}") == "2024-05-17 2024"
    assert ev("{{ now.isoformat() }}") == "2024-05-17T10:30:00+00:00"
    assert ev("{{ now.timestamp() }}") == 1715941800.0
