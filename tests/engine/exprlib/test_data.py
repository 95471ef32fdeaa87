"""JSON and data: parsing and writing JSON, JMESPath, objects, lists, aggregates, paths."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.exprlib.conftest import ev
from wirework.engine.expressions import ExpressionError, ExpressionLimitError
from wirework.engine.exprlib.paths import MISSING, get_path, parse_path

ORDERS = {
    "orders": [
        {"id": 1, "total": 20, "status": "paid", "customer": {"name": "Ada", "tier": "gold"}},
        {"id": 2, "total": None, "status": "open", "customer": {"name": "Bob"}},
        {"id": 3, "total": 12.5, "status": "paid", "customer": {"name": "Cy", "tier": "gold"}},
        {"id": 4, "status": "void"},
    ],
    "odd key": {"x": 1},
}


def run(source: str) -> Any:
    return ev(source, item=ORDERS)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ parse_json('null') }}", None),
        ('{{ parse_json(\' [1, "a", {"b": true}] \') }}', [1, "a", {"b": True}]),
        ("{{ parse_json('\"\\\\u00e9\"') }}", "é"),
        ("{{ parse_json('1e3') }}", 1000.0),
        ("{{ parse_json(to_json(json)) == json }}", True),
        ("{{ to_json({'b': [1, none, true, 'é']}) }}", '{"b":[1,null,true,"é"]}'),
        ("{{ to_json([1, 2], 2) }}", "[\n  1,\n  2\n]"),
        ("{{ to_json('x') }}", '"x"'),
    ],
)
def test_json(source: str, expected: Any) -> None:
    assert run(source) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ parse_json('{\"a\": }') }}", "parse_json: not valid JSON: Expecting value at line 1 column 7"),
        ("{{ parse_json('NaN') }}", "parse_json: NaN is not valid JSON"),
        ("{{ parse_json('[Infinity]') }}", "parse_json: Infinity is not valid JSON"),
        ("{{ parse_json(3) }}", "parse_json: 3 is not JSON text"),
        ("{{ parse_json('[' * 100000) }}", "nested too deeply"),
        ("{{ to_json(json, 99) }}", "to_json: indent must be a number of spaces from 0 to 16"),
        ("{{ to_json(range) }}", "not data"),
        ("{{ to_json(json, indent='x') }}", "to_json: indent must be a number"),
    ],
)  # fmt: skip
def test_json_errors(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        run(source)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("orders[?status=='paid'].customer.name", ["Ada", "Cy"]),
        ("orders[?total > `15`].id", [1]),
        ("length(orders)", 4),
        ("orders[*].customer.tier", ["gold", "gold"]),
        ("sort_by(orders[?total != null], &total)[0].id", [3][0]),
        ("sum(orders[?total != null].total)", 32.5),
        ("max_by(orders[?total != null], &total).id", 1),
        ("orders[0].[id, status]", [1, "paid"]),
        ("orders[0].{i: id, s: status}", {"i": 1, "s": "paid"}),
        ('"odd key".x', 1),
        ("orders[-1].id", 4),
        ("orders[1:3].id", [2, 3]),
        ("orders[].customer | [0].name", "Ada"),
        ("to_string(orders[0].customer)", '{"name":"Ada","tier":"gold"}'),
        ("keys(orders[0])", ["id", "total", "status", "customer"]),
        ("nothing.here", None),
        ("join(', ', orders[].status)", "paid, open, paid, void"),
        ("contains(orders[].status, 'void')", True),
        ("orders[?contains(['open', 'void'], status)].id", [2, 4]),
    ],
)
def test_jmespath(query: str, expected: Any) -> None:
    assert run(f"{{{{ json | jmespath({query!r}) }}}}") == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ jmespath(json, 'orders[') }}", "jmespath: invalid query: "),
        ("{{ jmespath(json, 'nope(@)') }}", "jmespath: Unknown function: nope()"),
        ("{{ jmespath(json, 'length(`1`)') }}", "jmespath: In function length(), invalid type"),
        ("{{ jmespath(json, 3) }}", "jmespath: the query must be text"),
        ("{{ jmespath(json, 'a' * 6000) }}", "jmespath: the query is longer than 5,000 characters"),
        ("{{ jmespath(json, '(' * 3000 ~ '@' ~ ')' * 3000) }}", ""),
    ],
)
def test_jmespath_errors(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        run(source)
    assert message in caught.value.message


def test_jmespath_values_that_double_at_every_step_stop_at_the_size_limit() -> None:
    query = " | ".join(["[@, @]"] * 40)
    with pytest.raises(ExpressionLimitError) as caught:
        run(f"{{{{ jmespath(json, '{query} | to_string(@)') }}}}")
    assert caught.value.limit == "size"
    assert "jmespath: " in caught.value.message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ pick(json.orders[0], 'id', 'nope') }}", {"id": 1}),
        ("{{ json.orders[0] | pick(['id', 'status']) }}", {"id": 1, "status": "paid"}),
        ("{{ json.orders[0] | omit('customer', 'total') }}", {"id": 1, "status": "paid"}),
        ("{{ {'a': 1} | merge({'a': 2, 'b': {'c': 1}}, {'b': {'d': 2}}) }}",
         {"a": 2, "b": {"d": 2}}),
        ("{{ {'a': 1, 'b': {'c': 1, 'e': [1]}} | deep_merge({'b': {'d': 2, 'e': [2]}}) }}",
         {"a": 1, "b": {"c": 1, "d": 2, "e": [2]}}),
        ("{{ deep_get(json, 'orders[2].customer.name') }}", "Cy"),
        ("{{ deep_get(json, 'orders.2.customer.name') }}", "Cy"),
        ("{{ deep_get(json, ['orders', 0, 'id']) }}", 1),
        ("{{ deep_get(json, \"['odd key'].x\") }}", 1),
        ("{{ deep_get(json, 'orders[-1].id') }}", 4),
        ("{{ deep_get(json, 'orders[9].id', 'none') }}", "none"),
        ("{{ deep_get(json, 'orders[1].total', 0) }}", 0),
        ("{{ deep_get(json, 'orders[0].id.deeper', 'x') }}", "x"),
        ("{{ deep_get('text', 'length', 'x') }}", "x"),
    ],
)  # fmt: skip
def test_objects(source: str, expected: Any) -> None:
    assert run(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ flatten([[1], [], [2, [3, [4]]]], 2) }}", [1, 2, 3, [4]]),
        ("{{ flatten([1, 2]) }}", [1, 2]),
        ("{{ flatten([[1, [2]]], 0) }}", [[1, [2]]]),
        ("{{ [] | chunk(3) }}", []),
        ("{{ range(5) | list | chunk(5) }}", [[0, 1, 2, 3, 4]]),
        ("{{ ['a', 'A', 'a', 1, 1.0, true, none, none, [1], [1], {'a': 1}, {'a': 1}] | distinct }}",
         ["a", "A", 1, True, None, [1], {"a": 1}]),
        ("{{ json.orders | distinct('customer.tier') | pluck('id') }}", [1, 2]),
        ("{{ json.orders | sort_by('total') | pluck('id') }}", [3, 1, 2, 4]),
        ("{{ json.orders | sort_by('total', reverse=true) | pluck('id') }}", [1, 3, 2, 4]),
        ("{{ json.orders | sort_by('customer.name', true) | pluck('id') }}", [3, 2, 1, 4]),
        ("{{ [3, 'b', 1, 'a', none] | sort_by }}", [1, 3, "a", "b", None]),
        ("{{ json.orders | group_by('customer.tier') | list }}", ["gold", "null"]),
        ("{{ (json.orders | group_by('status')).paid | pluck('id') }}", [1, 3]),
        ("{{ [{'k': 1}, {'k': true}, {'k': [1]}] | group_by('k') | list }}",
         ["1", "true", "[1]"]),
        ("{{ json.orders | pluck('customer.name') }}", ["Ada", "Bob", "Cy", None]),
        ("{{ json.orders | sum_of('total') }}", 32.5),
        ("{{ json.orders | min_of('total') }}", 12.5),
        ("{{ json.orders | max_of('id') }}", 4),
        ("{{ json.orders | average('id') }}", 2.5),
        ("{{ [] | average }}", None),
        ("{{ [] | sum_of }}", 0),
        ("{{ [0.1, 0.2, 0.3] | sum_of }}", 0.6),
        ("{{ [none, 1] | max_of }}", 1),
        ("{{ compact([0, false, none, '', [], {}, 'x']) }}", [0, False, "x"]),
    ],
)  # fmt: skip
def test_lists(source: str, expected: Any) -> None:
    assert run(source) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ pick('text', 'a') }}", "pick: 'text' is not an object"),
        ("{{ merge({}, [1]) }}", "merge: a list of 1 is not an object"),
        ("{{ flatten({'a': 1}) }}", "flatten: an object is not a list"),
        ("{{ flatten([], 'x') }}", "flatten: depth must be a whole number"),
        ("{{ chunk([1], 0) }}", "chunk: size must be a whole number of at least 1, not 0"),
        ("{{ sort_by([{'a': [1]}, {'a': {}}], 'a') }}", "sort_by: the values to sort by are not all comparable"),
        ("{{ sum_of(json.orders, 'status') }}", "sum_of: 'paid' at 'status' is not a number"),
        ("{{ average(['1']) }}", "average: '1' is not a number"),
        ("{{ pluck(json.orders, 'a[') }}", "pluck: 'a[' is not a key path"),
        ("{{ deep_get(json, 3.5) }}", ""),
        ("{{ deep_get(json, {'a': 1}) }}", "deep_get: a key path must be text"),
        ("{{ group_by(json.orders) }}", "group_by: missing a required argument: 'key'"),
    ],
)  # fmt: skip
def test_data_errors(source: str, message: str) -> None:
    if source == "{{ deep_get(json, 3.5) }}":
        assert run(source) is None  # a number is a key like any other
        return
    with pytest.raises(ExpressionError) as caught:
        run(source)
    assert message in caught.value.message


def test_nothing_changes_its_input() -> None:
    item = {"a": {"b": 1}, "l": [[1], [2]]}
    ev(
        "{{ merge(json.a, {'b': 2}) }}{{ deep_merge(json, {'a': {'b': 3}}) }}"
        "{{ omit(json, 'a') }}{{ flatten(json.l) }}{{ sort_by(json.l, reverse=true) }}",
        item=item,
    )
    assert item == {"a": {"b": 1}, "l": [[1], [2]]}


def test_paths() -> None:
    assert parse_path("a.b[0]['c.d'][\"e\"].1") == ("a", "b", 0, "c.d", "e", 1)
    assert parse_path(["x", 2]) == ("x", 2)
    assert get_path({"a": [{"b": 2}]}, parse_path("a[0].b")) == 2
    assert get_path({"a": 1}, ("a", "b")) is MISSING
    assert get_path({"0": "zero"}, (0,)) == "zero"
    with pytest.raises(ValueError, match="not a key path"):
        parse_path("a..b[")
