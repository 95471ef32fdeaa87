"""The names an expression sees: ``json``/``item``, ``items``, ``nodes``, ``trigger``,
``execution``, ``workflow``, ``vars``, ``now`` (:func:`make_scope`, :func:`with_item`)."""

from __future__ import annotations

import functools
from collections.abc import (
    Iterator,
    Mapping,
    Sequence,
)
from datetime import UTC, datetime
from typing import Any, TypeAlias

from wirework.engine import exprlib
from wirework.engine.expr_budget import (
    LazyMapping,
)
from wirework.engine.exprlib import DateTime

# --------------------------------------------------------------------------- scope

#: What an expression sees: name → value (see :func:`make_scope`).
Scope: TypeAlias = Mapping[str, Any]


class NodeOutput(Mapping[str, Any]):
    """An earlier node's output as expressions see it: ``.json`` (its first item, ``{}``
    when it has none) and ``.items`` (all its items)."""

    __slots__ = ("_items",)

    def __init__(self, items: Sequence[Any]) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Any:
        if key == "json":
            return self._items[0] if self._items else {}
        if key == "items":
            return self._items
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(("json", "items"))

    def __len__(self) -> int:
        return 2


class NodesView(LazyMapping):
    """``nodes`` in expressions: display name → :class:`NodeOutput`.

    Wraps any mapping of display name → list of item JSON (or NodeOutput), read lazily:
    only the nodes an expression names are looked up, each time they are named (so a
    view can live as long as the execution while node outputs change).
    """

    __slots__ = ("_source",)

    def __init__(self, source: Mapping[str, Any]) -> None:
        self._source = source

    def __getitem__(self, name: str) -> NodeOutput:
        value = self._source[name]
        return value if isinstance(value, NodeOutput) else NodeOutput(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._source)

    def __len__(self) -> int:
        return len(self._source)


def make_scope(
    json: Any = None,
    *,
    items: Sequence[Any] | None = None,
    nodes: Mapping[str, Any] | None = None,
    trigger: Any = None,
    execution: Mapping[str, Any] | None = None,
    workflow: Mapping[str, Any] | None = None,
    vars: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    timezone: str | None = None,
) -> dict[str, Any]:
    """Build the names an expression sees. Nothing is copied.

    Build one scope per step and derive the per-item scopes from it with
    :func:`with_item`. ``items`` defaults to ``[json]``; ``nodes`` may be any (lazy)
    mapping of display name → items; ``now`` defaults to the current time, shown in
    ``timezone`` (an IANA name; UTC by default); ``today``, the start of its day, is
    derived from it when an expression reads it (:data:`_DERIVED`).
    """
    json = {} if json is None else json
    return {
        "json": json,
        "item": json,
        "items": [json] if items is None else items,
        "nodes": nodes if isinstance(nodes, NodesView) else NodesView(_or_empty(nodes)),
        "trigger": _or_empty(trigger),
        "execution": _or_empty(execution),
        "workflow": _or_empty(workflow),
        "vars": _or_empty(vars),
        "now": DateTime(_clock(now, timezone)),
    }


def _clock(now: datetime | None, timezone: str | None) -> datetime:
    if now is None:
        return datetime.now(_zone(timezone) if timezone else UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(_zone(timezone)) if timezone else now


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> Any:
    try:
        return exprlib.datemath.zone(name)
    except ValueError:
        return UTC  # documents are validated when saved; never fail a step for it


def _or_empty(value: Any) -> Any:
    return {} if value is None else value


def with_item(scope: Scope, json: Any) -> dict[str, Any]:
    """``scope`` with ``json`` and ``item`` set to one item (a cheap shallow copy)."""
    derived = dict(scope)
    derived["json"] = derived["item"] = json
    return derived
