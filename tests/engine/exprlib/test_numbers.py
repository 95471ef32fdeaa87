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
        ("{{ min(1, 'a') }}", "min: the values must be all numbers, all text, all dates or all durations"),
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


@pytest.mark.parametrize(
    ("source", "message"),
    [
        # literals too large for a float are refused when the expression is compiled
        ("{{ [1e400] }}", "1e400 is not a finite number"),
        ("{{ 1e400 }}", "1e400 is not a finite number"),
        ("x {{ -1e400 }} y", "1e400 is not a finite number"),
        ("{% set x = 1E+400 %}{{ x }}", "1E+400 is not a finite number"),
        ("{{ 'x' ~ 1_0e400 }}", "1_0e400 is not a finite number"),
        # arithmetic, named with its operands
        ("{{ 1e308 * 10 }}", "1e+308 * 10 is not a finite number"),
        ("{{ -1e308 - 1e308 }}", "-1e+308 - 1e+308 is not a finite number"),
        ("{{ 1e308 / 1e-10 }}", "1e+308 / 1e-10 is not a finite number"),
        ("{{ 10.0 ** 400 }}", "10.0 ** 400 is not a finite number"),
        ("{{ 10 ** 400 / 3 }}", "/ 3 is not a finite number"),
        ("{{ [1e308, 1e308] | sum }}", "1e+308 + 1e+308 is not a finite number"),
        ("{{ (1e308 * 10) is number }}", "1e+308 * 10 is not a finite number"),
        ("{{ (-8) ** 0.5 }}", "-8 ** 0.5 is not a real number"),
        # filters and functions
        ("{{ 'inf' | float }}", "float: 'inf' is not a finite number"),
        ("{{ 'nan' | float }}", "float: 'nan' is not a finite number"),
        ("{{ '-Infinity' | float }}", "float: '-Infinity' is not a finite number"),
        ("{{ to_float('inf') }}", "to_float: 'inf' is not a number"),
        ("{{ to_float('nan') }}", "to_float: 'nan' is not a number"),
        ("{{ float('nan') }}", "'float' is undefined (use to_float(x) or x | float)"),
        ("{{ parse_json('[1e400]') }}", "parse_json: 1e400 is not a finite number"),
        ("{{ parse_json('{\"a\": -1E999}') }}", "parse_json: -1E999 is not a finite number"),
        ("{{ parse_json('NaN') }}", "parse_json: NaN is not valid JSON"),
        ("{{ [1e308, 1e308] | sum_of }}", "sum_of: the result is too large to be a finite number"),
        ("{{ average([1e308, 1e308]) }}", "average: the result is too large to be a finite number"),
        ("{{ jmespath([1e308, 1e308], 'sum(@)') }}", "jmespath: inf is not a finite number"),
        ("{{ jmespath([1e308, 1e308], '[sum(@)]') }}", "inf is not a finite number"),
    ],
)  # fmt: skip
def test_numbers_are_finite(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(source)
    assert message in caught.value.message, caught.value.message
    assert "NameError" not in caught.value.message


@pytest.mark.parametrize(
    "source",
    ["{{ json.x }}", "{{ json.x + 1 }}", "{{ json.x * 1 }}", "a {{ json.x }}", "{{ [json.x] }}",
     "{{ json | tojson }}", "{{ to_json(json) }}", "{{ json.x and json.x }}"],
)  # fmt: skip
def test_a_non_finite_number_in_data_is_refused_too(source: str) -> None:
    # items are JSON, which has none; a value made by Python code could still hold one
    with pytest.raises(ExpressionError, match="is not a finite number"):
        ev(source, item={"x": float("inf")})


def test_big_finite_numbers_are_fine() -> None:
    assert ev("{{ 1e308 }}") == 1e308
    assert ev("{{ 1e-400 }}") == 0.0
    assert ev("{{ parse_json('[1e308, 1e-400, 2.5]') }}") == [1e308, 0.0, 2.5]
    assert ev("{{ 2 ** 0.5 }}") == 2**0.5
    assert ev("{{ [1e308] | sum }}") == 1e308
