"""The registry: every example runs and gives its result; the declarations are complete and
consistent with the sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.engine.exprlib.conftest import example_scope
from wirework.engine.expressions import evaluate
from wirework.engine.exprlib import ENTRIES, MEMBERS

EXAMPLES = [
    (entry.name, example.expression, example.result)
    for entry in ENTRIES
    for example in entry.examples
]
MEMBER_EXAMPLES = [
    (member.name, expression, result)
    for member in MEMBERS
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
def test_every_date_member_example_gives_its_result(
    name: str, expression: str, expected: Any
) -> None:
    result = evaluate(expression, example_scope())
    assert _same(result, expected), f"date.{name}: {expression} gave {result!r}"
