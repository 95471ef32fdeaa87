"""What a compiled expression reads (:class:`References`), found from its syntax tree
without evaluating it."""

from __future__ import annotations

from collections.abc import (
    Iterable,
)
from typing import Any, Final, NamedTuple

from jinja2 import nodes


def _single_expression(tree: nodes.Template) -> nodes.Expr | None:
    """The expression of a template that is exactly one ``{{ … }}`` (plus whitespace)."""
    if len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output):
        return None
    parts = [
        part
        for part in tree.body[0].nodes
        if not (isinstance(part, nodes.TemplateData) and not part.data.strip())
    ]
    if len(parts) == 1 and not isinstance(parts[0], nodes.TemplateData):
        return parts[0]
    return None


def _as_path(expr: nodes.Expr) -> tuple[str, tuple[tuple[bool, Any], ...]] | None:
    """``json.body['title']`` → ("json", ((True, "body"), (False, "title")))."""
    steps: list[tuple[bool, Any]] = []
    while True:
        if isinstance(expr, nodes.Getattr):
            steps.append((True, expr.attr))
            expr = expr.node
        elif (
            isinstance(expr, nodes.Getitem)
            and isinstance(expr.arg, nodes.Const)
            and type(expr.arg.value) in (str, int)
        ):
            steps.append((False, expr.arg.value))
            expr = expr.node
        elif isinstance(expr, nodes.Name) and expr.ctx == "load":
            return expr.name, tuple(reversed(steps))
        else:
            return None


class References(NamedTuple):
    """What a compiled value reads from its scope, found without evaluating anything.

    ``names``: the top-level names it reads (``json``, ``items``, ``nodes``, …). ``nodes``:
    the display names it reads through ``nodes['Name']`` / ``nodes.Name``, or None when it
    uses ``nodes`` in a way that cannot be known before running (``nodes[json.which]``)."""

    names: frozenset[str]
    nodes: frozenset[str] | None


NO_REFERENCES: Final = References(frozenset(), frozenset())


def _merge_references(parts: Iterable[References]) -> References:
    names: set[str] = set()
    found: set[str] | None = set()
    for part in parts:
        names |= part.names
        if part.nodes is None or found is None:
            found = None
        else:
            found |= part.nodes
    return References(frozenset(names), frozenset(found) if found is not None else None)


def _tree_references(tree: nodes.Node) -> References:
    names: set[str] = set()
    uses = 0  # loads of `nodes`: each must be a constant lookup for the set to be known
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load":
            names.add(name.name)
            uses += name.name == "nodes"
    found: set[str] = set()
    matched = 0
    for lookup in tree.find_all((nodes.Getattr, nodes.Getitem)):
        path = _as_path(lookup) if isinstance(getattr(lookup, "node", None), nodes.Name) else None
        if path is not None and path[0] == "nodes" and isinstance(path[1][0][1], str):
            found.add(path[1][0][1])
            matched += 1
    return References(frozenset(names), frozenset(found) if matched == uses else None)
