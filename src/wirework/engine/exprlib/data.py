"""JSON and data: parse and write JSON, JMESPath queries, picking, merging, list helpers,
aggregates of a field, safe deep reads.

Keys given to these functions are key paths (``'customer.address.city'``, ``'lines[0].sku'``,
see :mod:`~wirework.engine.exprlib.paths`). Nothing here changes its input: results are new
lists and objects (sharing the unchanged parts).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from wirework.engine.expr_budget import MAX_VALUE_SIZE, WALK_COST, LimitExceeded
from wirework.engine.expr_values import current_budget, to_json, to_native
from wirework.engine.exprlib import jmes
from wirework.engine.exprlib.paths import MISSING, get_path, parse_path
from wirework.engine.exprlib.registry import Group, Registrar, show

register: Final = Registrar(Group.DATA)

#: Units per character json.loads reads (C), and per element it builds.
PARSE_COST: Final = 15
PARSE_ELEMENT_COST: Final = 60
#: Units per element of a Python loop with a small body; with a key path looked up.
LOOP_COST: Final = WALK_COST
PATH_COST: Final = 500
#: Units per element and comparison level of a sort with a Python key.
SORT_COST: Final = 300


def _size(value: Any) -> int:
    return current_budget().size(value)


def _length(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple, dict, Mapping)) else 1


def _list(name: str, value: Any) -> Sequence[Any]:
    if isinstance(value, (list, tuple)):
        return value
    raise ValueError(f"{show(value)} is not a list")


def _object(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    raise ValueError(f"{show(value)} is not an object")


def _cost_walk(value: Any = None, *args: Any, **kwargs: Any) -> int:
    """A loop over the first argument's elements (and a look at the others)."""
    return LOOP_COST * _length(value) + _size(args) + 500


def _cost_paths(value: Any = None, *args: Any, **kwargs: Any) -> int:
    """A key path looked up in every element."""
    return PATH_COST * _length(value) + _size(args) + 500


def _cost_sort(value: Any = None, *args: Any, **kwargs: Any) -> int:
    n = _length(value)
    return (PATH_COST + SORT_COST * max(1, math.ceil(math.log2(n + 1)))) * n + 500


# --------------------------------------------------------------------------- JSON


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _cost_parse(text: Any = None, *args: Any, **kwargs: Any) -> int:
    if not isinstance(text, str):
        return 1000
    elements = text.count(",") + text.count(":") + text.count("[") + text.count("{")
    return PARSE_COST * len(text) + PARSE_ELEMENT_COST * elements + 1000


@register(
    "parse_json",
    "text",
    "Reads JSON text into data.",
    examples=[
        ("{{ parse_json('{\"a\": [1, 2]}') }}", {"a": [1, 2]}),
        ("{{ ('[1, 2, 3]' | parse_json)[1] }}", 2),
    ],
    cost=_cost_parse,
)
def parse_json(text: Any) -> Any:
    if not isinstance(text, str):
        raise ValueError(f"{show(text)} is not JSON text")
    if len(text) > MAX_VALUE_SIZE:
        raise LimitExceeded(f"JSON text of more than {MAX_VALUE_SIZE:,} characters")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


@register(
    "to_json",
    "value, indent=None",
    "Writes a value as JSON text: compact, or indented by indent spaces (0-16).",
    examples=[
        ("{{ to_json({'a': [1, 2]}) }}", '{"a":[1,2]}'),
        ("{{ [1, 'x'] | to_json }}", '[1,"x"]'),
    ],
    cost=lambda *args, **kwargs: 500,  # to_json charges what it writes
)
def to_json_(value: Any, indent: Any = None) -> str:
    if indent is not None and (not isinstance(indent, int) or not 0 <= indent <= 16):
        raise ValueError("indent must be a number of spaces from 0 to 16")
    return to_json(value, indent)


@register(
    "jmespath",
    "value, query",
    "Runs a JMESPath query over a value (jmespath.org): paths, filters, projections.",
    examples=[
        ("{{ json | jmespath(\"orders[?status=='paid'].id\") }}", [1, 3]),
        ("{{ jmespath(json, 'max_by(orders, &total).id') }}", 2),
        ("{{ json | jmespath('orders[].{n: id, t: total}') | first }}", {"n": 1, "t": 20}),
    ],
    cost=lambda *args, **kwargs: 1000,  # the interpreter charges as it goes
    atomic=False,
    notes="Text literals are written in single quotes ('paid': put the query in double "
    "quotes), JSON literals in backticks (`` `10` ``, `` `true` ``). Functions: length, "
    "keys, values, sort_by, max_by, min_by, sum, avg, contains, join, to_string, to_number, "
    "type, merge, not_null, reverse, starts_with, ends_with, floor, ceil, abs, map.",
)
def jmespath_(value: Any, query: Any) -> Any:
    return jmes.search(value, query)


# --------------------------------------------------------------------------- objects


def _keys(keys: tuple[Any, ...]) -> list[Any]:
    if len(keys) == 1 and isinstance(keys[0], (list, tuple)):
        return list(keys[0])
    return list(keys)


@register(
    "pick",
    "object, *keys",
    "A copy of an object with only the given keys (a list of keys works too).",
    examples=[
        (
            "{{ json | pick('name', 'email') }}",
            {"name": "Ada Lovelace", "email": "ada@example.com"},
        ),
        ("{{ pick({'a': 1, 'b': 2}, ['b', 'c']) }}", {"b": 2}),
    ],
    cost=_cost_walk,
)
def pick(obj: Any, *keys: Any) -> dict[str, Any]:
    source = _object(obj)
    return {key: source[key] for key in _keys(keys) if isinstance(key, str) and key in source}


@register(
    "omit",
    "object, *keys",
    "A copy of an object without the given keys (a list of keys works too).",
    examples=[("{{ {'a': 1, 'b': 2, 'c': 3} | omit('a', 'c') }}", {"b": 2})],
    cost=_cost_walk,
)
def omit(obj: Any, *keys: Any) -> dict[str, Any]:
    source = _object(obj)
    dropped = {key for key in _keys(keys) if isinstance(key, str)}
    return {key: value for key, value in source.items() if key not in dropped}


def _cost_merge(*objects: Any, **kwargs: Any) -> int:
    return LOOP_COST * sum(_length(obj) for obj in objects) + 500


@register(
    "merge",
    "object, *others",
    "Merges objects: later keys win (shallow; see deep_merge).",
    examples=[
        ("{{ {'a': 1, 'b': 2} | merge({'b': 3}, {'c': 4}) }}", {"a": 1, "b": 3, "c": 4}),
    ],
    cost=_cost_merge,
)
def merge(obj: Any, *others: Any) -> dict[str, Any]:
    result = dict(_object(obj))
    for other in others:
        result.update(_object(other))
    return result


def _cost_deep_merge(*objects: Any, **kwargs: Any) -> int:
    return 2 * LOOP_COST * sum(_size(obj) for obj in objects) + 500


def _deep(left: Mapping[str, Any], right: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(left)
    for key, value in right.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = _deep(result[key], value)
        else:
            result[key] = value
    return result


@register(
    "deep_merge",
    "object, *others",
    "Merges objects and the objects inside them; later values win.",
    examples=[
        ("{{ deep_merge({'a': {'x': 1, 'y': 2}}, {'a': {'y': 3}}) }}", {"a": {"x": 1, "y": 3}}),
    ],
    cost=_cost_deep_merge,
    atomic=False,
)
def deep_merge(obj: Any, *others: Any) -> dict[str, Any]:
    result = dict(_object(obj))
    for other in others:
        result = _deep(result, _object(other))
    return result


@register(
    "deep_get",
    "value, path, default=None",
    "The value at a key path ('a.b[0].c'), or default when any step is missing.",
    examples=[
        ("{{ json | deep_get('orders[1].total') }}", 35.5),
        ("{{ deep_get(json, 'address.city', 'unknown') }}", "unknown"),
    ],
    cost=lambda *args, **kwargs: 2000,
)
def deep_get(value: Any, path: Any, default: Any = None) -> Any:
    found = get_path(value, parse_path(path))
    return default if found is MISSING or found is None else found


# --------------------------------------------------------------------------- lists


@register(
    "flatten",
    "list, depth=1",
    "Lists inside a list joined into one, depth levels deep (-1: all levels).",
    examples=[
        ("{{ [[1, 2], [3, [4]]] | flatten }}", [1, 2, 3, [4]]),
        ("{{ flatten([[1, [2, [3]]]], -1) }}", [1, 2, 3]),
    ],
    cost=lambda value=None, *a, **k: 2 * LOOP_COST * _size(value) + 500,
    atomic=False,
)
def flatten(value: Any, depth: Any = 1) -> list[Any]:
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise ValueError(f"depth must be a whole number, not {show(depth)}")
    result: list[Any] = []
    _flatten_into(_list("flatten", value), depth, result)
    return result


def _flatten_into(value: Sequence[Any], depth: int, result: list[Any]) -> None:
    for element in value:
        if isinstance(element, (list, tuple)) and depth != 0:
            _flatten_into(element, depth - 1, result)
        else:
            result.append(element)


@register(
    "chunk",
    "list, size",
    "The list cut into lists of size elements (the last may be shorter).",
    examples=[("{{ [1, 2, 3, 4, 5] | chunk(2) }}", [[1, 2], [3, 4], [5]])],
    cost=lambda value=None, *a, **k: 2 * _cost_walk(value),
)
def chunk(value: Any, size: Any) -> list[list[Any]]:
    items = _list("chunk", value)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a whole number of at least 1, not {show(size)}")
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, tuple, Mapping)):
        return to_json(to_native(value))
    return (type(value) is bool, value)  # 1 and true stay apart


@register(
    "distinct",
    "list, key=None",
    "The list without repeats (first kept, order kept); with key, one per value of that key.",
    examples=[
        ("{{ [3, 1, 3, 2, 1] | distinct }}", [3, 1, 2]),
        ("{{ json.orders | distinct('status') | map(attribute='id') | list }}", [1, 2]),
    ],
    cost=lambda value=None, *a, **k: _cost_paths(value) + 500 * _length(value) + 10 * _size(value),
    atomic=False,
    notes="Unlike the Jinja filter `unique`, text is compared case-sensitively and lists and "
    "objects are allowed.",
)
def distinct(value: Any, key: Any = None) -> list[Any]:
    steps = parse_path(key) if key is not None else None
    seen: set[Any] = set()
    result = []
    for element in _list("distinct", value):
        marker = _hashable(element if steps is None else _at(element, steps))
        if marker not in seen:
            seen.add(marker)
            result.append(element)
    return result


def _at(element: Any, steps: tuple[str | int, ...]) -> Any:
    found = get_path(element, steps)
    return None if found is MISSING else found


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (3, 0)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, value)


@register(
    "sort_by",
    "list, key=None, reverse=False",
    "The list sorted by the value at a key path (by the elements without one); nulls last.",
    examples=[
        ("{{ json.orders | sort_by('total') | map(attribute='id') | list }}", [3, 1, 2]),
        ("{{ sort_by(['b', 'a', 'c'], reverse=true) }}", ["c", "b", "a"]),
    ],
    cost=_cost_sort,
    atomic=False,
)
def sort_by(value: Any, key: Any = None, reverse: Any = False) -> list[Any]:
    steps = parse_path(key) if key is not None else ()
    items = _list("sort_by", value)
    keys = [_sort_key(_at(element, steps)) for element in items]
    try:
        order = sorted(range(len(items)), key=keys.__getitem__, reverse=bool(reverse))
    except TypeError:
        raise ValueError("the values to sort by are not all comparable") from None
    if reverse:  # nulls last either way
        order.sort(key=lambda index: keys[index][0] == 3)
    return [items[index] for index in order]


def _group_key(value: Any) -> str:
    if type(value) is str:
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return to_json(to_native(value))


@register(
    "group_by",
    "list, key",
    "An object of lists: the elements grouped by the value at a key path (as text).",
    examples=[
        ("{{ json.orders | group_by('status') | list }}", ["paid", "open"]),
        ("{{ (json.orders | group_by('status')).paid | length }}", 2),
    ],
    cost=_cost_paths,
    atomic=False,
)
def group_by(value: Any, key: Any) -> dict[str, list[Any]]:
    steps = parse_path(key)
    groups: dict[str, list[Any]] = {}
    for element in _list("group_by", value):
        groups.setdefault(_group_key(_at(element, steps)), []).append(element)
    return groups


@register(
    "pluck",
    "list, key",
    "The value at a key path of every element (null where missing).",
    examples=[("{{ json.orders | pluck('total') }}", [20, 35.5, 12])],
    cost=_cost_paths,
    atomic=False,
)
def pluck(value: Any, key: Any) -> list[Any]:
    steps = parse_path(key)
    return [_at(element, steps) for element in _list("pluck", value)]


@register(
    "compact",
    "list",
    "The list without nulls and empty strings, lists and objects.",
    examples=[("{{ [1, none, '', 0, [], 'a'] | compact }}", [1, 0, "a"])],
    cost=_cost_walk,
)
def compact(value: Any) -> list[Any]:
    return [
        element
        for element in _list("compact", value)
        if not (
            element is None or (isinstance(element, (str, list, tuple, Mapping)) and not element)
        )
    ]


def _numbers(name: str, value: Any, key: Any) -> list[int | float]:
    steps = parse_path(key) if key is not None else None
    numbers: list[int | float] = []
    for element in _list(name, value):
        number = element if steps is None else _at(element, steps)
        if number is None:
            continue
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            where = f" at {key!r}" if key is not None else ""
            raise ValueError(f"{show(number)}{where} is not a number")
        numbers.append(number)
    return numbers


@register(
    "sum_of",
    "list, key=None",
    "The sum of the numbers of a list, or of the values at a key path (nulls skipped).",
    examples=[("{{ json.orders | sum_of('total') }}", 67.5), ("{{ sum_of([1, 2, 3]) }}", 6)],
    cost=_cost_paths,
    atomic=False,
)
def sum_of(value: Any, key: Any = None) -> int | float:
    numbers = _numbers("sum_of", value, key)
    return math.fsum(numbers) if any(isinstance(n, float) for n in numbers) else sum(numbers)


@register(
    "min_of",
    "list, key=None",
    "The smallest number of a list, or of the values at a key path; null for none.",
    examples=[("{{ json.orders | min_of('total') }}", 12)],
    cost=_cost_paths,
    atomic=False,
)
def min_of(value: Any, key: Any = None) -> int | float | None:
    numbers = _numbers("min_of", value, key)
    return min(numbers) if numbers else None


@register(
    "max_of",
    "list, key=None",
    "The largest number of a list, or of the values at a key path; null for none.",
    examples=[("{{ json.orders | max_of('total') }}", 35.5)],
    cost=_cost_paths,
    atomic=False,
)
def max_of(value: Any, key: Any = None) -> int | float | None:
    numbers = _numbers("max_of", value, key)
    return max(numbers) if numbers else None


@register(
    "average",
    "list, key=None",
    "The mean of the numbers of a list, or of the values at a key path; null for none.",
    examples=[("{{ json.orders | average('total') }}", 22.5), ("{{ average([1, 2]) }}", 1.5)],
    cost=_cost_paths,
    atomic=False,
)
def average(value: Any, key: Any = None) -> float | None:
    numbers = _numbers("average", value, key)
    return math.fsum(numbers) / len(numbers) if numbers else None
