"""The expression library: dates, JSON and data, strings and regular expressions, encoding
and hashing, numbers and types — available in every expression, inside the sandbox and
under the work budget.

One registry (:mod:`.registry`) declares every function, filter and variable once, in its
group's module (``dates.py``, ``data.py``, ``strings.py``, ``encoding.py``, ``numbers.py``);
the sandbox installs them from :func:`sandbox_functions` and :func:`sandbox_filters`, the API
lists :func:`catalogue`, and ``scripts/gen-expression-docs.py`` writes ``docs/expressions.md``
from the same entries. Dates are :class:`DateTime` values (:mod:`.datetimes`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from jinja2.utils import pass_context

from wirework.engine.exprlib import builtins, data, dates, encoding, numbers, strings
from wirework.engine.exprlib.datetimes import ATTRIBUTES as DATE_ATTRIBUTES
from wirework.engine.exprlib.datetimes import MEMBERS, DateTime, Member
from wirework.engine.exprlib.registry import (
    GROUP_TITLES,
    Entry,
    Example,
    FunctionError,
    Group,
    Kind,
    LibraryFunction,
)

__all__ = [
    "DATE_ATTRIBUTES",
    "ENTRIES",
    "EXAMPLE_ITEM",
    "EXAMPLE_NOW",
    "GROUP_TITLES",
    "MEMBERS",
    "DateTime",
    "Entry",
    "Example",
    "FunctionError",
    "Group",
    "Kind",
    "LibraryFunction",
    "Member",
    "catalogue",
    "sandbox_filters",
    "sandbox_functions",
]

#: Every entry, in group order (dates, data, strings, encoding, numbers).
ENTRIES: Final[tuple[Entry, ...]] = (
    *dates.register.entries,
    *data.register.entries,
    *builtins.data.entries,
    *strings.register.entries,
    *builtins.strings.entries,
    *encoding.register.entries,
    *numbers.register.entries,
    *builtins.numbers.entries,
)

#: The scope the examples run in (tests, the reference page): ``json`` is this item and
#: ``now`` this instant (UTC, a Friday).
EXAMPLE_ITEM: Final[dict[str, Any]] = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "created": "2024-05-17T10:30:00Z",
    "price": 1234.5,
    "tags": ["math", "poetry"],
    "website": "https://ada.example.org/notes?page=2",
    "orders": [
        {"id": 1, "total": 20, "status": "paid"},
        {"id": 2, "total": 35.5, "status": "open"},
        {"id": 3, "total": 12, "status": "paid"},
    ],
}
EXAMPLE_NOW: Final = datetime(2024, 5, 17, 10, 30, tzinfo=UTC)


def _library(kind: Kind) -> list[Entry]:
    return [e for e in ENTRIES if kind in e.forms and e.callable is not None]


def sandbox_functions() -> dict[str, LibraryFunction]:
    """The global functions the sandbox adds to its own (range, dict, namespace)."""
    return {entry.name: entry.callable for entry in _library(Kind.FUNCTION)}  # type: ignore[misc]


def _as_filter(function: LibraryFunction) -> Callable[..., Any]:
    @pass_context  # never run at compile time
    def run(context: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        return function(value, *args, **kwargs)

    run.__name__ = function.name
    return run


def sandbox_filters() -> dict[str, Callable[..., Any]]:
    """The filters the library adds to Jinja's (each charges its own cost)."""
    return {entry.name: _as_filter(entry.callable) for entry in _library(Kind.FILTER)}  # type: ignore[arg-type]


def catalogue() -> list[dict[str, Any]]:
    """One record per entry and form, for the editor's autocomplete: name, kind, group,
    signature, description, examples."""
    records = []
    for entry in ENTRIES:
        for kind in (Kind.FUNCTION, Kind.FILTER, Kind.VARIABLE):
            if kind not in entry.forms:
                continue
            records.append(
                {
                    "name": entry.name,
                    "kind": kind.value,
                    "group": entry.group.value,
                    "signature": entry.signature(kind),
                    "description": entry.description,
                    "examples": [
                        {"expression": example.expression, "result": example.result}
                        for example in entry.examples_for(kind)
                    ],
                }
            )
    return records
