"""What expression results are: JSON data, text, and compact JSON of big values.

Conversions used by the sandbox (:mod:`wirework.engine.expressions`), charged to the
evaluation's budget (:func:`current_budget`). JSON of a big value is written piece by piece
so that no single C call encodes much more than :data:`JSON_SLICE`.
"""

from __future__ import annotations

import contextvars
import itertools
import json as jsonlib
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from datetime import date, datetime, time
from typing import Any, Final

from jinja2.runtime import Undefined

from wirework.engine.expr_budget import WALK_COST, Budget

__all__ = [
    "BUDGET",
    "JSON_RUN",
    "JSON_SLICE",
    "DataValue",
    "NotData",
    "current_budget",
    "to_json",
    "to_native",
    "to_text",
]

BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "wirework_expression_budget", default=None
)


def current_budget() -> Budget:
    """The budget of the evaluation running in this context (a fresh one outside)."""
    budget = BUDGET.get()
    return Budget() if budget is None else budget


class NotData(TypeError):
    pass


class DataValue:
    """A value the expression library hands out that is not JSON data itself (a date):
    it becomes text in results and in text (``as_text``), and exposes only what the
    sandbox's attribute policy allows."""

    __slots__ = ()

    def as_text(self) -> str:
        raise NotImplementedError


def to_native(value: Any, deep: bool = True) -> Any:
    """Turn a result into JSON data. With ``deep=False`` dicts and lists are trusted as
    they are (used for plain paths into the scope, which holds JSON already)."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is float or kind is bool:
        return value
    if kind is dict:
        return _native_dict(value) if deep else value
    if kind is list:
        return _native_list(value) if deep else value
    if isinstance(value, Undefined):
        return None
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, DataValue):
        return value.as_text()
    if isinstance(value, Mapping):
        return _native_dict(value)
    if isinstance(value, (list, tuple, KeysView, ValuesView, ItemsView, Iterator)):
        return _native_list(value)
    if callable(value):
        raise NotData(
            f"a {type(value).__name__} is not data (a function or method: call it with ()"
            " or drop it)"
        )
    raise NotData(f"a {type(value).__name__!r} object is not JSON data")


def _native_dict(value: Mapping[Any, Any]) -> dict[str, Any]:
    current_budget().spend(WALK_COST * len(value))
    converted: dict[str, Any] = {}
    changed = type(value) is not dict
    for key, item in value.items():
        new_key = key if type(key) is str else _json_key(key)
        new_item = to_native(item)
        changed = changed or new_key is not key or new_item is not item
        converted[new_key] = new_item
    return converted if changed else value  # type: ignore[return-value]


def _native_list(value: Iterable[Any]) -> list[Any]:
    converted = [to_native(item) for item in value]
    current_budget().spend(WALK_COST * len(converted))
    if type(value) is list and all(a is b for a, b in zip(converted, value, strict=True)):
        return value
    return converted


def _json_key(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return repr(key)
    if isinstance(key, (int, str)):
        return str(key)
    raise NotData(f"an object key must be a string, not {type(key).__name__!r}")


def to_text(value: Any) -> str:
    """How a value reads inside text: '' for None and missing values, true/false,
    compact JSON for lists and objects, ISO 8601 for dates."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None or isinstance(value, Undefined):
        return ""
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, DataValue):
        return value.as_text()
    return to_json(value)


def to_json(value: Any, indent: int | None = None) -> str:
    budget = current_budget()
    budget.operate(5)
    size = budget.size(value)
    budget.check_size(size)
    if indent is None and size > JSON_SLICE:
        parts: list[str] = []
        _json_parts(value, parts, budget)
        text = "".join(parts)
    else:
        budget.charge(JSON_COST * size)
        text = _dumps(value, indent)
    return budget.produced(text)  # type: ignore[no-any-return]


#: Units per character or element json.dumps takes (C; an element costs more).
JSON_COST: Final = 15
#: Values larger than this are encoded part by part, each part one C call …
JSON_SLICE: Final = 1_000_000
#: … of at most this many elements.
JSON_RUN: Final = 2048


def _dumps(value: Any, indent: int | None = None) -> str:
    separators = (",", ":") if indent is None else (",", ": ")
    return jsonlib.dumps(
        value, ensure_ascii=False, separators=separators, indent=indent, default=json_default
    )


def _json_parts(value: Any, parts: list[str], budget: Budget) -> None:
    """Compact JSON of a large value appended to ``parts`` piece by piece (the same text as
    one dumps), so that no single C call encodes much more than JSON_SLICE: a long list
    or object goes in runs of JSON_RUN elements, a run too big element by element."""
    kind = type(value)
    dict_like = kind is dict and all(type(key) is str for key in value)
    if not (kind is list or kind is tuple or dict_like) or budget.size(value) <= JSON_SLICE:
        per_element = 40 * len(value) if isinstance(value, (list, tuple, dict)) else 0
        budget.charge((6 if kind is str else JSON_COST) * budget.size(value) + per_element)
        parts.append(_dumps(value))
        return
    budget.checkpoint()
    opening, closing = ("{", "}") if dict_like else ("[", "]")
    parts.append(opening)
    source: Iterator[Any] = iter(value.items() if dict_like else value)
    first = True
    while run := list(itertools.islice(source, JSON_RUN)):
        if not first:
            parts.append(",")
        first = False
        chunk: Any = dict(run) if dict_like else run
        size = budget.size(chunk)
        if size <= JSON_SLICE:
            budget.charge(JSON_COST * size + 40 * len(run))
            parts.append(_dumps(chunk)[1:-1])
            continue
        for index, element in enumerate(run):
            if index:
                parts.append(",")
            if dict_like:
                parts.append(_dumps(element[0]) + ":")
            _json_parts(element[1] if dict_like else element, parts, budget)
    parts.append(closing)


def json_default(value: Any) -> Any:
    """For json.dumps: what to write for the values that are not JSON types already."""
    return to_native(value, deep=False)  # raises NotData for what cannot be converted
