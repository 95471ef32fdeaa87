"""Input ports a hand-written document leaves out.

A connection without ``to_input`` means ``main``. Into a node that has no ``main`` input
(``core.merge``: ``in1`` … ``inN``) it takes the node's next free input instead, in the order
of the connections, and a node whose number of inputs is a parameter (``core.merge``'s
``inputs``) grows it as needed, also to cover inputs connections name (``to_input: in3``).
The normalised document then names every input, so it means the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from wirework.schemas.document import Connection, Node, WorkflowDocument
from wirework.sdk.registry import NodeSpec, registry

MAIN = "main"
COUNT_PARAM = "inputs"  # the parameter giving the number of inputs of a growable node
_NUMBERED = re.compile(r"^[A-Za-z_]+(\d+)$")


def _dynamic(spec: NodeSpec) -> Callable[[BaseModel], tuple[str, ...]] | None:
    dynamic = spec.extra.get("dynamic_inputs")
    if callable(dynamic) and COUNT_PARAM in spec.params.model_fields:
        return dynamic  # type: ignore[no-any-return]
    return None


def _names(spec: NodeSpec, count: int) -> tuple[str, ...]:
    dynamic = _dynamic(spec)
    assert dynamic is not None
    try:
        values: dict[str, Any] = {COUNT_PARAM: count}
        return tuple(dynamic(spec.params.model_construct(**values)))
    except (AttributeError, TypeError, ValueError, AssertionError):
        return ()


def _count(spec: NodeSpec, node: Node) -> int | None:
    value = node.params.get(COUNT_PARAM, spec.params.model_fields[COUNT_PARAM].default)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return None  # invalid: the parameter check reports it


def _assign(
    spec: NodeSpec, node: Node, named: list[str], unnamed: int
) -> tuple[list[str], dict[str, Any]]:
    """Ports for ``unnamed`` connections next to those ``named``, and the params to use."""
    params = node.params
    if _dynamic(spec) is None:
        free = [p for p in spec.inputs if p not in named]
        return free[:unnamed], params
    count = _count(spec, node)
    if count is None:
        return [], params
    used = set(named)
    # Enough inputs for the named ones (in1 … in3 needs 3) plus the unnamed ones.
    numbers = [int(m.group(1)) for p in used if (m := _NUMBERED.match(p))]
    needed = max([count, *numbers])
    while True:
        names = _names(spec, needed)
        free = [p for p in names if p not in used]
        if len(free) >= unnamed or not names or needed > count + unnamed + len(used):
            break
        needed += 1
    if needed != count and names:
        params = {**params, COUNT_PARAM: needed}
    return free[:unnamed], params


def assign_inputs(doc: WorkflowDocument) -> WorkflowDocument:
    """The document with the inputs it left out filled in (see the module's doc)."""
    nodes: dict[str, tuple[int, Node, NodeSpec]] = {}
    for i, node in enumerate(doc.nodes):
        spec = registry.node(node.type)
        if spec is not None and spec.group != "trigger" and node.id not in nodes:
            nodes[node.id] = (i, node, spec)
    unnamed: dict[str, list[int]] = {}
    named: dict[str, list[str]] = {}
    for k, conn in enumerate(doc.connections):
        target = nodes.get(conn.to)
        if target is None:
            continue
        _, _, spec = target
        if _dynamic(spec) is None and MAIN in spec.inputs:
            continue
        if conn.to_input == MAIN:
            unnamed.setdefault(conn.to, []).append(k)
        else:
            named.setdefault(conn.to, []).append(conn.to_input)
    growable = {n for n in named if _dynamic(nodes[n][2]) is not None}
    if not unnamed and not growable:
        return doc
    new_nodes = list(doc.nodes)
    connections = list(doc.connections)
    for node_id in dict.fromkeys([*unnamed, *growable]):
        index, node, spec = nodes[node_id]
        waiting = unnamed.get(node_id, [])
        ports, params = _assign(spec, node, named.get(node_id, []), len(waiting))
        for k, port in zip(waiting, ports, strict=False):
            connections[k] = Connection.model_validate(
                {**connections[k].model_dump(by_alias=True), "to_input": port}
            )
        if params is not node.params:
            new_nodes[index] = node.model_copy(update={"params": params})
    return doc.model_copy(update={"nodes": new_nodes, "connections": connections})
