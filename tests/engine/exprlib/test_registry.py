"""The registry: every example runs and gives its result; the declarations are complete and
consistent with the sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.engine.exprlib.conftest import example_scope
from wirework.engine.expressions import evaluate
from wirework.engine.exprlib import DURATION_MEMBERS, ENTRIES, MEMBERS, OPERATIONS

EXAMPLES = [
    (entry.name, example.expression, example.result)
    for entry in ENTRIES
    for example in entry.examples
]
MEMBER_EXAMPLES = [
    (member.name, expression, result)
    for member in (*MEMBERS, *DURATION_MEMBERS, *OPERATIONS)
    for expression, result in member.examples
]


def _same(result: Any, expected: Any) -> bool:
    return json.dumps(result, sort_keys=True) == json.dumps(expected, sort_keys=True)


@pytest.mark.parametrize(("name", "expression", "expected"), EXAMPLES, ids=[e[1] for e in EXAMPLES])
def test_every_example_gives_its_result(name: str, expression: str, expected: Any) -> None:
    result = evaluate(expression, example_scope())
    assert _same(result, expected), f"{name}: {expression} gave {result!r}"


@pytest.mark.parametrize(
    ("name", "expression", "expected"), MEMBER_EXAMPLES, ids=[e[1] for e in MEMBER_EXAMPLES]
)
def test_every_member_and_operator_example_gives_its_result(
    name: str, expression: str, expected: Any
) -> None:
    result = evaluate(expression, example_scope())
    assert _same(result, expected), f"{name}: {expression} gave {result!r}"


def test_aliases_are_the_same_function_under_another_name() -> None:
    by_name = {entry.name: entry for entry in ENTRIES}
    aliases = {e.name: e.alias_of for e in ENTRIES if e.alias_of is not None}
    assert aliases == {
        "parse_date": "to_date",
        "date_add": "date_plus",
        "json_parse": "parse_json",
        "from_json": "parse_json",
        "uuid": "uuid4",
        "b64encode": "base64_encode",
        "b64decode": "base64_decode",
        "regex_findall": "regex_find_all",
    }
    for name, target in aliases.items():
        alias, original = by_name[name], by_name[target]
        assert alias.func is original.func and alias.cost is original.cost
        assert (alias.forms, alias.params, alias.group) == (
            original.forms,
            original.params,
            original.group,
        )
        assert alias.description == f"Another name for {target}."


def test_every_name_is_declared_once() -> None:
    names = [(entry.name, entry.forms) for entry in ENTRIES]
    assert len(names) == len(set(names))
