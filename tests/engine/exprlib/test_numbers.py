"""Numbers and types: rounding, bounds, conversions that name the value, formatting."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.exprlib.conftest import ev
from wirework.engine.expressions import ExpressionError


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ round(0.5) }}", 1),
        ("{{ round(-0.5) }}", -1),
        ("{{ round(1.005, 2) }}", 1.01),
        ("{{ round(2.675, 2) }}", 2.68),
        ("{{ round(7) }}", 7),
        ("{{ round(1250, -2) }}", 1300),
        ("{{ floor(-2.5) }}", -3),
        ("{{ floor(2.999, 2) }}", 2.99),
        ("{{ ceil(-2.5) }}", -2),
        ("{{ ceil(10) }}", 10),
        ("{{ abs(-7) }}", 7),
        ("{{ min([3, 1.5]) }}", 1.5),
        ("{{ max('b', 'a') }}", "b"),
        ("{{ clamp(5, 0, 10) }}", 5),
        ("{{ clamp(2.5, 3, 3) }}", 3),
        ("{{ to_int(' -12 ') }}", -12),
        ("{{ to_int('1e3') }}", 1000),
        ("{{ to_int(-7.9) }}", -7),
        ("{{ to_int(true) }}", 1),
        ("{{ to_int('', default=none) }}", None),
        ("{{ to_float(3) }}", 3.0),
        ("{{ to_float('-0.5') }}", -0.5),
        ("{{ to_float('x', 0) }}", 0),
        ("{{ to_bool(' OFF ') }}", False),
        ("{{ to_bool('y') }}", True),
        ("{{ to_bool(0.1) }}", True),
        ("{{ to_bool('maybe', false) }}", False),
        ("{{ to_str(none) }}", ""),
        ("{{ to_str(true) }}", "true"),
        ("{{ to_str(1.5) }}", "1.5"),
        ("{{ to_str(now) }}", "2024-05-17T10:30:00+00:00"),
        ("{{ is_number(' 7 ') }}", True),
        ("{{ is_number('1_000') }}", False),
        ("{{ is_number(true) }}", False),
        ("{{ is_number('nan') }}", False),
        ("{{ format_number(1234567) }}", "1,234,567"),
        ("{{ format_number(-1234.5, 1) }}", "-1,234.5"),
        ("{{ format_number(0.125, 2) }}", "0.13"),
        ("{{ format_number(999.999, 2) }}", "1,000.00"),
        ("{{ format_number(1234.5, 2, ' ', ',') }}", "1 234,50"),
        ("{{ format_number(1234.5, 0, '') }}", "1235"),
        ("{{ format_number(10**20) }}", "100,000,000,000,000,000,000"),
    ],
)
def test_numbers(source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected and type(result) is type(expected), result


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ round('1.5') }}", "round: '1.5' is not a number"),
        ("{{ round(1.5, 99) }}", "round: digits must be a whole number from -30 to 30"),
        ("{{ round(none) }}", "round: null is not a number"),
        ("{{ round(true) }}", "round: true is not a number"),
        ("{{ min() }}", "min: no values"),
        ("{{ min(1, 'a') }}", "min: the values must be all numbers, all text or all dates"),
        ("{{ max([none, 1]) }}", "max: the values must be all numbers"),
        ("{{ clamp(1, 5, 2) }}", "clamp: low (5) is greater than high (2)"),
        ("{{ to_int('abc') }}", "to_int: 'abc' is not a number"),
        ("{{ to_int('1.5') }}", "to_int: '1.5' is not a whole number"),
        ("{{ to_int([1]) }}", "to_int: a list of 1 is not a number"),
        ("{{ to_int('9' * 500) }}", "to_int: '9999"),
        ("{{ to_float('inf') }}", "to_float: 'inf' is not a number"),
        ("{{ to_float(none) }}", "to_float: null is not a number"),
        ("{{ to_bool('maybe') }}", "to_bool: 'maybe' is not true or false"),
        ("{{ to_bool(none) }}", "to_bool: null is not true or false"),
        ("{{ format_number('12') }}", "format_number: '12' is not a number"),
        ("{{ format_number(1, -1) }}", "format_number: decimals must be 0 or more"),
        ("{{ format_number(1, 2, 'toolong') }}", "format_number: thousands must be text of at most 5"),
    ],
)  # fmt: skip
def test_number_errors_name_the_value(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(source)
    assert message in caught.value.message, caught.value.message


def test_the_jinja_filters_keep_their_meaning() -> None:
    assert ev("{{ 2.5 | round }}") == 2.0  # halves to even, a float
    assert ev("{{ 'x' | int }}") == 0
    assert ev("{{ -3 | abs }}") == 3
    assert ev("{{ [3, 1] | min }}") == 1
