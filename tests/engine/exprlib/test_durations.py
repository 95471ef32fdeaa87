"""Durations and date arithmetic with operators: timedelta() and duration(), ISO 8601 text,
date ± duration across DST, date - date, comparisons, members, and the errors of operands
that have no meaning together (never Python's TypeError text)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.engine.exprlib.conftest import ev
from wirework.engine.expressions import ExpressionError
from wirework.engine.exprlib import Duration
from wirework.engine.exprlib.durations import iso_text, parse_duration

PARIS = "zone='Europe/Paris'"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ timedelta(days=1) }}", "P1D"),
        ("{{ timedelta(1) }}", "P1D"),
        ("{{ timedelta(1, 30) }}", "P1DT30S"),
        ("{{ timedelta(weeks=2, hours=3) }}", "P14DT3H"),
        ("{{ timedelta(hours=36) }}", "PT36H"),
        ("{{ timedelta(minutes=90) }}", "PT1H30M"),
        ("{{ timedelta(seconds=1.25) }}", "PT1.25S"),
        ("{{ timedelta(milliseconds=1, microseconds=5) }}", "PT0.001005S"),
        ("{{ timedelta(days=1.5) }}", "P1DT12H"),
        ("{{ timedelta(days=-1) }}", "-P1D"),
        ("{{ timedelta(days=1, hours=-1) }}", "P1DT-1H"),
        ("{{ timedelta() }}", "PT0S"),
        ("{{ duration('P1Y2M3DT4H5M6.5S') }}", "P1Y2M3DT4H5M6.5S"),
        ("{{ duration('p1dt2h') }}", "P1DT2H"),
        ("{{ duration('PT0,5S') }}", "PT0.5S"),
        ("{{ duration('P2W') }}", "P14D"),
        ("{{ duration('P1.5D') }}", "P1DT12H"),
        ("{{ duration('-P1DT2H') }}", "-P1DT2H"),
        ("{{ duration('P1MT-1H') }}", "P1MT-1H"),
        ("{{ duration(' PT90M ') }}", "PT1H30M"),
        ("{{ duration(90, 'minutes') }}", "PT1H30M"),
        ("{{ duration(2, 'quarters') }}", "P6M"),
        ("{{ duration(years=1, months=14) }}", "P2Y2M"),
        ("{{ duration(Days=1) }}", "P1D"),
        ("{{ duration(timedelta(hours=1)) }}", "PT1H"),
        ("{{ 'PT5M' | duration }}", "PT5M"),
    ],
)  # fmt: skip
def test_making_durations(source: str, expected: str) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # calendar days keep the wall time across DST (Paris: 31 March 2024, 02:00 → 03:00) …
        (f"{{{{ to_date('2024-03-30T12:00', {PARIS}) + timedelta(days=1) }}}}",
         "2024-03-31T12:00:00+02:00"),
        (f"{{{{ to_date('2024-03-30T12:00', {PARIS}) + duration('P1D') }}}}",
         "2024-03-31T12:00:00+02:00"),
        # … hours are elapsed time
        (f"{{{{ to_date('2024-03-30T12:00', {PARIS}) + timedelta(hours=24) }}}}",
         "2024-03-31T13:00:00+02:00"),
        (f"{{{{ to_date('2024-10-27T00:30', {PARIS}) + timedelta(hours=3) }}}}",
         "2024-10-27T02:30:00+01:00"),
        # the same as date_plus
        (f"{{{{ to_date('2024-03-30T12:00', {PARIS}) + timedelta(days=1, hours=2) "
         f"== to_date('2024-03-30T12:00', {PARIS}) | date_plus(days=1, hours=2) }}}}", True),
        # a date minus a date is elapsed time (23 hours on the day clocks go forward)
        (f"{{{{ to_date('2024-03-31T12:00', {PARIS}) - to_date('2024-03-30T12:00', {PARIS}) }}}}",
         "PT23H"),
        (f"{{{{ (to_date('2024-03-31T12:00', {PARIS}) - to_date('2024-03-30T12:00', {PARIS})).days }}}}",
         0),
        ("{{ to_date('2024-05-17T12:00:00+02:00') - to_date('2024-05-17T09:00:00Z') }}", "PT1H"),
        ("{{ to_date('2024-05-17') - to_date('2024-05-18T06:00Z') }}", "-PT30H"),
        ("{{ to_date('2024-01-31') + duration(months=1) }}", "2024-02-29T00:00:00+00:00"),
        ("{{ to_date('2024-03-31') - duration(months=1) }}", "2024-02-29T00:00:00+00:00"),
        ("{{ to_date('2024-02-29') + duration('P1Y') }}", "2025-02-28T00:00:00+00:00"),
        ("{{ timedelta(days=1) + to_date('2024-05-17') }}", "2024-05-18T00:00:00+00:00"),
        ("{{ now + timedelta(days=1) - timedelta(hours=1) }}", "2024-05-18T09:30:00+00:00"),
        ("{{ now - -timedelta(minutes=30) }}", "2024-05-17T11:00:00+00:00"),
        ("{{ today - timedelta(days=1) }}", "2024-05-16T00:00:00+00:00"),
        ("{{ now.plus(timedelta(hours=1)) }}", "2024-05-17T11:30:00+00:00"),
        ("{{ now.minus(duration('P1M')) }}", "2024-04-17T10:30:00+00:00"),
        ("{{ json.created | date_plus(duration('PT2H')) }}", "2024-05-17T12:30:00+00:00"),
        ("{{ date_minus(json.created, timedelta(weeks=1)) }}", "2024-05-10T10:30:00+00:00"),
        ("{{ (now + timedelta(days=1)).weekday }}", 6),
        ("{{ (now + timedelta(days=2)).format('%A') }}", "Sunday"),
        # durations with durations, numbers
        ("{{ timedelta(hours=1) + timedelta(minutes=30) }}", "PT1H30M"),
        ("{{ duration('P1M') + timedelta(days=1) }}", "P1M1D"),
        ("{{ timedelta(days=1) - timedelta(hours=1) }}", "P1DT-1H"),
        ("{{ timedelta(minutes=20) * 3 }}", "PT1H"),
        ("{{ 2 * duration('P1M1D') }}", "P2M2D"),
        ("{{ timedelta(days=1) * 1.5 }}", "P1DT12H"),
        ("{{ timedelta(days=1) / 4 }}", "PT6H"),
        ("{{ duration('P2M') / 2 }}", "P1M"),
        ("{{ timedelta(days=1) / timedelta(hours=1) }}", 24),
        ("{{ timedelta(minutes=90) / timedelta(hours=1) }}", 1.5),
        ("{{ -duration('P1M1D') }}", "-P1M1D"),
        ("{{ +timedelta(hours=1) }}", "PT1H"),
        ("{{ [timedelta(days=1), timedelta(hours=1)] | sum(start=timedelta()) }}", "P1DT1H"),
    ],
)  # fmt: skip
def test_operators(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_a_date_plus_the_difference_is_the_other_date() -> None:
    for first, second in [
        ("2024-03-30T12:00", "2024-03-31T12:00"),  # across the DST change
        ("2024-10-26T23:00", "2024-10-27T02:30"),
        ("2023-01-01T00:00", "2024-12-31T23:59:59.999"),
    ]:
        a = f"to_date('{first}', {PARIS})"
        b = f"to_date('{second}', {PARIS})"
        assert ev(f"{{{{ {a} + ({b} - {a}) == {b} }}}}") is True
        assert ev(f"{{{{ {b} - ({b} - {a}) == {a} }}}}") is True


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ now - to_date(json.created) > timedelta(hours=1) }}", False),
        ("{{ now - parse_date('2024-05-17T08:00:00Z') > timedelta(hours=1) }}", True),
        ("{{ timedelta(hours=48) == timedelta(days=2) }}", True),
        ("{{ timedelta(hours=48) != timedelta(days=2) }}", False),
        ("{{ duration('P1M') == timedelta(days=30) }}", False),
        ("{{ duration('P1M') < duration('P1Y') }}", True),
        ("{{ duration('P1M1D') < duration('P1M2D') }}", True),
        ("{{ timedelta(seconds=-1) < timedelta() <= timedelta(0) }}", True),
        ("{{ timedelta(days=1) == 86400 }}", False),
        ("{{ [timedelta(days=1), timedelta(hours=1), timedelta()] | sort | first }}", "PT0S"),
        ("{{ [timedelta(days=1), timedelta(hours=1)] | max }}", "P1D"),
        ("{{ timedelta(hours=1) in [timedelta(minutes=60)] }}", True),
        ("{{ [timedelta(days=1), timedelta(hours=24)] | unique | list | length }}", 1),
    ],
)  # fmt: skip
def test_comparisons(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ timedelta(days=2, hours=3).days }}", 2),
        ("{{ timedelta(hours=30).days }}", 1),
        ("{{ timedelta(hours=-1).days }}", -1),  # as Python's timedelta
        ("{{ timedelta(hours=-1).seconds }}", 82800),
        ("{{ timedelta(days=1, seconds=5.5).seconds }}", 5),
        ("{{ duration('P1Y2M3D').days }}", 3),
        ("{{ duration('P1Y2M3D').months }}", 14),
        ("{{ timedelta(milliseconds=1500).total_seconds() }}", 1.5),
        ("{{ timedelta(days=1).total_seconds() }}", 86400),
        ("{{ timedelta(hours=-2).total_seconds() }}", -7200),
        ("{{ timedelta(days=1).in_units('hours') }}", 24),
        ("{{ timedelta(hours=1).in_units('days') }}", 0.041666666666666664),
        ("{{ timedelta(weeks=3).in_units('weeks') }}", 3),
        ("{{ timedelta(seconds=2).in_units('ms') if false else timedelta(seconds=2).in_units('milliseconds') }}", 2000),
        ("{{ duration('P2Y').in_units('years') }}", 2),
        ("{{ duration('P6M').in_units('quarters') }}", 2),
        ("{{ duration('P1DT2H').isoformat() }}", "P1DT2H"),
    ],
)  # fmt: skip
def test_members(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_durations_in_results_and_text_are_iso_8601() -> None:
    assert ev("{{ [timedelta(days=1), {'wait': timedelta(minutes=5)}] }}") == [
        "P1D",
        {"wait": "PT5M"},
    ]
    assert ev("waited {{ now - today }}") == "waited PT10H30M"
    assert ev("{{ timedelta(hours=1) ~ '' }}") == "PT1H"
    assert ev("{{ timedelta(hours=1) | string }}") == "PT1H"
    assert json.loads(ev("{{ {'d': timedelta(hours=1)} | tojson }}")) == {"d": "PT1H"}
    assert ev("{{ to_json([duration('P1M')]) }}") == '["P1M"]'


@pytest.mark.parametrize(
    ("source", "message"),
    [
        # operands that have no meaning together name both kinds, and say what works
        ("{{ now + 1 }}",
         "cannot add a date (2024-05-17T10:30:00+00:00) and a number (1) (add or subtract a "
         "duration: now + timedelta(days=1))"),
        ("{{ now - 3600 }}", "cannot subtract a number (3600) from a date"),
        ("{{ now + '1 day' }}",
         "cannot add a date (2024-05-17T10:30:00+00:00) and text ('1 day') (read text as a "
         "date with to_date(), or as a duration with duration())"),
        ("{{ now - json.created }}", "cannot subtract text ('2024-05-17T10:30:00Z') from a date"),
        ("{{ json.created - now }}", "(read text as a date with to_date()"),
        ("{{ now + now }}", "cannot add a date (2024-05-17T10:30:00+00:00) and a date "
         "(2024-05-17T10:30:00+00:00) (subtract two dates to get a duration)"),
        ("{{ timedelta(days=1) - now }}", "(write the date first: date - duration)"),
        ("{{ now * 2 }}", "cannot multiply a date (2024-05-17T10:30:00+00:00) by a number (2)"),
        ("{{ now / timedelta(days=1) }}", "cannot divide a date"),
        ("{{ now % 2 }}", "cannot take a date (2024-05-17T10:30:00+00:00) modulo a number (2)"),
        ("{{ timedelta(days=1) + 1 }}", "cannot add a duration (P1D) and a number (1)"),
        ("{{ timedelta(days=1) * timedelta(days=1) }}", "cannot multiply a duration (P1D) by a duration (P1D)"),
        ("{{ timedelta(days=1) * 'x' }}", "cannot multiply a duration (P1D) by text ('x')"),
        ("{{ timedelta(days=1) * true }}", "cannot multiply a duration (P1D) by a boolean (true)"),
        ("{{ timedelta(days=1) // 2 }}", "cannot divide a duration (P1D) by a number (2)"),
        ("{{ timedelta(days=1) ** 2 }}", "cannot raise a duration (P1D) to the power of a number (2)"),
        ("{{ timedelta(days=1) + [1] }}", "cannot add a duration (P1D) and a list"),
        ("{{ -now }}", "cannot negate a date (2024-05-17T10:30:00+00:00)"),
        ("{{ -'x' }}", "cannot negate text ('x')"),
        ("{{ now < 'x' }}", "date comparison: a date compares with a date, not 'x' (use to_date())"),
        ("{{ timedelta(hours=1) > 60 }}", "duration comparison: a duration compares with a duration, not 60"),
        ("{{ duration('P1M') < timedelta(days=31) }}",
         "duration comparison: cannot compare P1M with P31D: months and years have no fixed length"),
        # values out of range or not whole
        ("{{ timedelta(days=1) / 0 }}", "P1D / 0: division by zero"),
        ("{{ timedelta(days=1) / timedelta() }}", "P1D / PT0S: division by zero"),
        ("{{ duration('P1M') / timedelta(days=1) }}", "months and years have no fixed length"),
        ("{{ duration('P1M') * 1.5 }}", "P1M * 1.5: months and years must stay whole numbers"),
        ("{{ timedelta(days=1) * 10**9 }}", "P1D * 1000000000: the duration is out of range"),
        ("{{ now + timedelta(days=3000000) }}",
         "2024-05-17T10:30:00+00:00 + P3000000D: the result is out of the range of dates (years 1-9999)"),
        ("{{ to_date('0001-01-01') - timedelta(seconds=1) }}", "out of the range of dates"),
        # constructors
        ("{{ timedelta(months=1) }}", "timedelta: months are calendar units: use duration(months=…)"),
        ("{{ timedelta(hour=1) }}", "timedelta: 'hour' is not a unit (use days, seconds, microseconds, milliseconds, minutes, hours, weeks)"),
        ("{{ timedelta(1, days=2) }}", "timedelta: days is given twice"),
        ("{{ timedelta('1') }}", "timedelta: the number of days must be a number, not '1'"),
        ("{{ timedelta(1, 2, 3, 4, 5, 6, 7, 8) }}", "timedelta: timedelta takes at most 7 numbers"),
        ("{{ timedelta(days=10**7) }}", "timedelta: the duration is out of range (at most about 10,000 years)"),
        ("{{ timedelta(hours=json.missing) }}", "timedelta: the number of hours must be a number, not null"),
        ("{{ duration('1 day') }}",
         "duration: '1 day' is not a duration (expected ISO 8601 such as 'P1DT2H' or 'PT30M')"),
        ("{{ duration('P') }}", "duration: 'P' is not a duration"),
        ("{{ duration('P1DT') }}", "duration: 'P1DT' is not a duration"),
        ("{{ duration('P1.5M') }}", "duration: 1.5 months: years and months must be whole numbers"),
        ("{{ duration('P' ~ '9' * 200 ~ 'D') }}", "is not a duration"),
        ("{{ duration('P99999999999D') }}", "duration: the duration is out of range"),
        ("{{ duration(3) }}", "duration: pass ISO 8601 text ('P1D'), an amount and a unit (90, 'minutes') or units (days=1)"),
        ("{{ duration() }}", "duration: pass ISO 8601 text ('P1D'), an amount and a unit, or units (days=1)"),
        ("{{ duration(3, 'fortnights') }}", "duration: 'fortnights' is not a unit"),
        ("{{ duration(days='x') }}", "duration: the number of days must be a number, not 'x'"),
        ("{{ duration(months=0.5) }}", "duration: 0.5 months: years and months must be whole numbers"),
        ("{{ timedelta(days=1).in_units('months') }}", "duration.in_units: P1D is not a whole number of months"),
        ("{{ duration('P1M').total_seconds() }}",
         "duration.total_seconds: P1M has months or years, which have no fixed length in seconds"),
        ("{{ timedelta(days=1).in_units('eons') }}", "duration.in_units: 'eons' is not a unit"),
        ("{{ now.plus(timedelta(days=1), 'days') }}", "date.plus: the number of days must be a number"),
    ],
)  # fmt: skip
def test_errors_name_both_sides_and_what_to_use(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(source)
    assert message in caught.value.message
    assert "TypeError" not in caught.value.message
    assert "Error:" not in caught.value.message


def test_durations_are_immutable_values() -> None:
    value = Duration(1, 2, 3)
    with pytest.raises(AttributeError):
        value._months = 5  # type: ignore[misc]
    assert value.parts == (1, 2, 3)
    assert hash(Duration(0, 1, 0)) == hash(Duration(0, 0, 86_400_000_000))
    assert repr(value) == "Duration(P1M2DT0.000003S)"


_PARTS = st.tuples(
    st.integers(-120_000, 120_000),
    st.integers(-3_660_000, 3_660_000),
    st.integers(-(10**17), 10**17),
)


@given(_PARTS)
def test_iso_text_reads_back_as_the_same_duration(parts: tuple[int, int, int]) -> None:
    text = iso_text(*parts)
    assert parse_duration(text).parts == parts, text
