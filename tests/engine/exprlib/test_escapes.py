"""The escape corpus, extended to the expression library: no function, filter or value of
the library hands out a Python object that leads outside the sandbox.

Every library function is probed as an object (its attributes, its Python internals), date
values and their methods are probed for what a datetime would expose, and the results of
regex, JMESPath and the data functions are probed for match objects, compiled programs and
frames. Each probe is refused with an ExpressionError or gives plain data (None for a key
that is not there).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.engine.exprlib.conftest import example_scope
from wirework.engine.expressions import ExpressionError, evaluate
from wirework.engine.exprlib import ENTRIES, Entry, Example, FunctionError, Group, Kind
from wirework.engine.exprlib.registry import LibraryFunction

ERROR = "error"
NOTHING = "nothing"  # None / '' : a key that is not there, nothing exposed

FUNCTIONS = sorted({e.name for e in ENTRIES if e.callable and Kind.FUNCTION in e.forms})
FILTERS = sorted({e.name for e in ENTRIES if e.callable and Kind.FILTER in e.forms})

#: Probes of every library function as an object.
FUNCTION_PROBES = [
    "{{ NAME }}",
    "{{ [NAME] }}",
    "{{ NAME.__class__ }}",
    "{{ NAME.__globals__ }}",
    "{{ NAME.__call__ }}",
    "{{ NAME|attr('__call__') }}",
    "{{ NAME|attr('_func') }}",
    "{{ NAME|attr('_entry') }}",
    "{{ NAME.name }}",
    "{{ NAME['name'] }}",
    "{{ NAME.func_globals }}",
    "{{ NAME|string }}",
    "{{ {'f': NAME} | tojson }}",
]

ESCAPES = [
    # date values: only the documented members, no datetime internals
    ("{{ now.value }}", ERROR),
    ("{{ now._value }}", ERROR),
    ("{{ now|attr('_value') }}", ERROR),
    ("{{ now.tzinfo }}", ERROR),
    ("{{ now.replace(year=1) }}", ERROR),
    ("{{ now.astimezone() }}", ERROR),
    ("{{ now.as_text }}", ERROR),
    ("{{ now.__class__.__mro__ }}", ERROR),
    ("{{ now|attr('__class__') }}", ERROR),
    ("{{ now.__reduce_ex__(2) }}", ERROR),
    ("{{ now.plus }}", ERROR),  # a method is not data
    ("{{ now.plus.__func__ }}", ERROR),
    ("{{ now.plus|attr('__self__') }}", ERROR),
    ("{{ now.plus|attr('__wrapped__') }}", ERROR),
    ("{{ now.plus.func }}", ERROR),
    ("{{ now.format|attr('__globals__') }}", ERROR),
    ("{% set p = now.plus %}{{ p.__closure__ }}", ERROR),
    ("{{ today.start_of('day').value }}", ERROR),
    ("{{ to_date('2024-01-01').zone.__class__ }}", ERROR),
    ("{{ now.plus(days=1)|attr('_value') }}", ERROR),
    ("{{ now.to_zone('UTC').value.tzinfo }}", ERROR),
    ("{{ now.missing }}", ERROR),
    # regex results are data, never match objects or compiled patterns
    ("{{ regex_search('ab', '(a)').re }}", NOTHING),
    ("{{ regex_search('ab', '(a)').string }}", NOTHING),
    ("{{ regex_search('ab', '(a)').group }}", NOTHING),
    ("{{ regex_search('ab', '(a)').groups.__class__ }}", ERROR),
    ("{{ regex_search('ab', '(a)')|attr('re') }}", NOTHING),
    ("{{ regex_search('ab', '(a)').named.__class__ }}", ERROR),
    ("{{ regex_find_all('ab', 'a').pop() }}", ERROR),
    ("{{ regex_split('ab', 'a').clear() }}", ERROR),
    # JMESPath hands back data, and reads keys, never attributes
    ("{{ jmespath(json, '@').__class__ }}", ERROR),
    ("{{ jmespath(json, '__class__') }}", NOTHING),
    ("{{ jmespath(json, '\"__class__\"') }}", NOTHING),
    ("{{ jmespath(now, 'value') }}", NOTHING),
    ("{{ jmespath(now, '*') }}", NOTHING),
    ("{{ jmespath(format_date, 'name') }}", NOTHING),
    ("{{ jmespath(namespace(a=1), 'a') }}", NOTHING),
    ("{{ jmespath(range, '@') }}", ERROR),
    ("{{ jmespath(json, 'to_string(@)') }}", "data"),
    ("{{ jmespath([now], 'to_string(@)') }}", "data"),
    ("{{ jmespath([format_date], 'to_string(@)') }}", ERROR),
    ("{{ jmespath({'a': format_date}, 'a') }}", ERROR),
    # key paths follow keys and indexes only
    ("{{ deep_get(json, '__class__') }}", NOTHING),
    ("{{ deep_get(now, 'value') }}", NOTHING),
    ("{{ deep_get('abc', 'upper') }}", NOTHING),
    ("{{ deep_get(json, '__class__.__mro__') }}", NOTHING),
    ("{{ pluck([now], 'tzinfo') }}", "data"),
    ("{{ [json] | sort_by('__class__') | length }}", "data"),
    ("{{ group_by([json], '__class__') }}", "data"),
    ("{{ format_text('{__class__}', json) }}", ERROR),
    ("{{ format_text('{0.__class__}', json) }}", ERROR),
    ("{{ format_text('{0[__class__]}', json) }}", ERROR),
    ("{{ format_text('{name.__len__}', json) }}", ERROR),
    ("{{ format_text('{}', format_date) }}", ERROR),
    ("{{ pick(json, '__class__', '__dict__') }}", "data"),
    ("{{ url_parse('http://h/').__class__ }}", ERROR),
    # functions that take values never call or inspect what they are given
    ("{{ sha256(format_date) }}", ERROR),
    ("{{ to_json(now.plus) }}", ERROR),
    ("{{ to_str(format_date) }}", ERROR),
    ("{{ distinct([format_date, format_date]) }}", ERROR),
    ("{{ random_choice([format_date]) }}", ERROR),
    ("{{ min(format_date, format_date) }}", ERROR),
    ("{{ sort_by([format_date, to_date]) }}", ERROR),
    ("{{ to_date(now.plus) }}", ERROR),
    # mutation of the engine's data through library results
    ("{% set d = merge(json, {}) %}{{ d.update({'name': 'x'}) }}", ERROR),
    ("{{ json.orders | flatten | first | attr('clear') }}", ERROR),
    ("{{ chunk(json.orders, 1)[0].append(1) }}", ERROR),
    # filters through map/select run the library's guards too
    ("{{ json.tags | map('sha256') | list | length }}", "data"),
    ("{{ json.tags | map('regex_match', '(') | list }}", ERROR),
    ("{{ [json] | map(attribute='__class__') | map('to_json') | list }}", ERROR),
]


def _run(source: str) -> tuple[Any, ExpressionError | None]:
    try:
        return evaluate(source, example_scope()), None
    except ExpressionError as exc:
        return None, exc


def _check(source: str, expected: str) -> None:
    before = copy.deepcopy(example_scope()["json"])
    result, error = _run(source)
    if expected == ERROR:
        assert error is not None, f"not refused: {source} gave {result!r}"
        assert "\n" not in str(error)
        assert "0x" not in str(error).replace(source, "")  # no object addresses
    elif expected == NOTHING:
        assert error is None, str(error)
        assert result in (None, ""), result
    else:
        assert error is None, str(error)
        json.dumps(result)  # plain data
    assert example_scope()["json"] == before


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("probe", FUNCTION_PROBES)
def test_library_functions_are_not_objects_to_explore(name: str, probe: str) -> None:
    _check(probe.replace("NAME", name), ERROR)


@pytest.mark.parametrize("name", FILTERS)
def test_library_filters_are_reachable_only_as_filters(name: str) -> None:
    _check(f"{{{{ 'x' | attr('{name}') }}}}", NOTHING)  # text has no such attribute
    _check(f"{{{{ (1 | {name}) if false else {name}.__class__ }}}}", ERROR)


@pytest.mark.parametrize(("source", "expected"), ESCAPES, ids=[s for s, _ in ESCAPES])
def test_library_escapes_are_refused(source: str, expected: str) -> None:
    _check(source, expected)


def test_every_library_function_is_probed() -> None:
    library = {e.name for e in ENTRIES if e.callable is not None}
    assert library == set(FUNCTIONS) | set(FILTERS)
    assert len(FUNCTIONS) * len(FUNCTION_PROBES) >= 700


def test_a_result_that_is_not_data_is_refused() -> None:
    entry = Entry(
        name="leak",
        group=Group.DATA,
        forms=frozenset({Kind.FUNCTION}),
        params=(),
        description="Returns a Python object.",
        examples=(Example("{{ leak() }}", None),),
        func=lambda: object(),
    )
    with pytest.raises(FunctionError, match="leak: gave a object, which is not data"):
        LibraryFunction(entry)()
    tuples = Entry(**{**entry.__dict__, "func": lambda: (1, 2), "callable": None})
    assert LibraryFunction(tuples)() == [1, 2]
