"""Compiling a validated workflow document into the graph the executor walks.

Compilation happens once per (workflow, version) and is cached: node specs are resolved,
parameter expressions compiled, edges indexed both ways. Nothing here touches a database.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from wirework.engine import expressions
from wirework.sdk.node import Item, NodeContext, NodeError
from wirework.sdk.registry import NodeSpec, Registry, registry


class GraphError(ValueError):
    """The document cannot be compiled (it should have been validated first)."""


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    source_port: str
    target: str
    target_port: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 1
    backoff_s: float = 1.0
    max_backoff_s: float = 300.0
    jitter: bool = True

    def delay(self, attempt: int, rand: float) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``rand`` in [0, 1))."""
        base: float = min(self.max_backoff_s, self.backoff_s * (2 ** (attempt - 1)))
        return base * (0.5 + rand / 2) if self.jitter else base


@dataclass(frozen=True, slots=True)
class ParamCheck:
    name: str
    source: str
    adapter: TypeAdapter[Any]

    def check(self, value: Any) -> Any:
        """The value as the param's type accepts it (``"5"`` for a number is 5); raises
        ValueError naming the param, its expression and what it gave."""
        try:
            return self.adapter.validate_python(value, strict=False)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"] if exc.errors() else str(exc)
            shown = repr(value)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            raise ValueError(
                f"params.{self.name}: expression {self.source} gave {shown}: {reason}"
            ) from None


@functools.lru_cache(maxsize=1024)
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any] | None:
    """A validator for one field of a params model, or None when any value will do."""
    info = model.model_fields[name]
    extra = info.json_schema_extra
    if info.annotation in (Any, object) or (isinstance(extra, dict) and extra.get("x-truthy")):
        return None
    annotated: Any = Annotated[info.annotation, info]
    return TypeAdapter(annotated)


def _param_checks(spec: NodeSpec, params: Mapping[str, Any]) -> tuple[ParamCheck, ...]:
    checks = []
    for name, value in params.items():
        if (
            isinstance(value, str)
            and name in spec.params.model_fields
            and expressions.has_expression(value)
        ):
            adapter = _adapter(spec.params, name)
            if adapter is not None:
                checks.append(ParamCheck(name, value, adapter))
    return tuple(checks)


@dataclass(slots=True)
class GraphNode:
    id: str
    name: str
    type: str
    spec: NodeSpec
    raw_params: dict[str, Any]
    params: expressions.Compiled
    params_constant: bool
    # Parameters never evaluated as expressions (e.g. core.code's code), added back as is.
    literal_params: dict[str, Any] = field(default_factory=dict)
    integration_id: int | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_s: float | None = None
    on_error: str = "stop"
    disabled: bool = False
    incoming: list[Edge] = field(default_factory=list)
    outgoing: list[Edge] = field(default_factory=list)
    # Whether large inputs may stream through it in batches (see executor.CHUNK_ITEMS): its
    # items are independent, it has one input, no retries, timeout or on_error, and its
    # params read neither ``items`` nor other nodes (which may be mid-stream).
    streamable: bool = False
    # Display names its params read through nodes[...]; None when not knowable in advance.
    node_refs: frozenset[str] | None = frozenset()
    # Params given by one whole expression, checked against their declared type when
    # evaluated: (name, expression, validator).
    param_checks: tuple[ParamCheck, ...] = ()

    @property
    def is_trigger(self) -> bool:
        return self.spec.group == "trigger"

    @property
    def sources(self) -> set[str]:
        return {e.source for e in self.incoming}


@dataclass(slots=True)
class Graph:
    workflow_id: int | None
    version: int
    name: str
    settings: dict[str, Any]
    nodes: dict[str, GraphNode]
    order: list[str]  # topological
    by_name: dict[str, str]
    pinned: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # core.loop node → the nodes reachable from its `loop` output (its body).
    loop_bodies: dict[str, frozenset[str]] = field(default_factory=dict)
    # Nodes whose large outputs may be dropped from memory once consumed: no expression
    # reads them by name (none, when one picks a node at run time), they are not the result
    # node, and the graph has no loop (loop bodies re-read their inputs).
    releasable: frozenset[str] = frozenset()
    # Node → how many distinct nodes its outputs feed.
    consumers: dict[str, int] = field(default_factory=dict)

    @property
    def triggers(self) -> list[str]:
        return [n for n in self.order if self.nodes[n].is_trigger]

    def node_by_name(self, name: str) -> GraphNode | None:
        node_id = self.by_name.get(name)
        return self.nodes.get(node_id) if node_id is not None else None


def _retry(value: Mapping[str, Any] | None) -> RetryPolicy:
    if not value:
        return RetryPolicy()
    return RetryPolicy(
        max_attempts=int(value.get("max_attempts", 1) or 1),
        backoff_s=float(value.get("backoff_s", 1.0) or 0.0),
        max_backoff_s=float(value.get("max_backoff_s", 300.0) or 300.0),
        jitter=bool(value.get("jitter", True)),
    )


def compile_graph(
    document: Mapping[str, Any],
    *,
    workflow_id: int | None = None,
    version: int = 0,
    reg: Registry = registry,
) -> Graph:
    nodes: dict[str, GraphNode] = {}
    by_name: dict[str, str] = {}
    for raw in document.get("nodes", []):
        node_id = str(raw["id"])
        type_ = str(raw["type"])
        spec = reg.node(type_)
        if spec is None:
            if type_.startswith("core.") or "." not in type_:
                raise GraphError(f"node {node_id!r}: unknown node type {type_!r}")
            spec = _unimplemented_action(type_)
        params = dict(raw.get("params") or {})
        literal = {k: params.pop(k) for k in _literal_fields(spec) if k in params}
        timeout = raw.get("timeout_s")
        compiled = expressions.compile_value(params, path="params")
        node = GraphNode(
            id=node_id,
            name=str(raw.get("name") or node_id),
            type=type_,
            spec=spec,
            raw_params={**params, **literal},
            params=compiled,
            params_constant=not expressions.has_expression(params),
            node_refs=compiled.references.nodes,
            param_checks=_param_checks(spec, params),
            literal_params=literal,
            integration_id=raw.get("integration_id"),
            retry=_retry(raw.get("retry")),
            timeout_s=float(timeout) if timeout is not None else None,
            on_error=str(raw.get("on_error") or "stop"),
            disabled=bool(raw.get("disabled", False)),
        )
        if node_id in nodes:
            raise GraphError(f"duplicate node id {node_id!r}")
        nodes[node_id] = node
        by_name[node.name] = node_id
    for raw in document.get("connections", []):
        source = str(raw.get("from", raw.get("from_")))
        target = str(raw["to"])
        if source not in nodes or target not in nodes:
            raise GraphError(f"connection {source!r} → {target!r} names an unknown node")
        edge = Edge(
            source,
            str(raw.get("from_output") or "main"),
            target,
            str(raw.get("to_input") or "main"),
        )
        nodes[source].outgoing.append(edge)
        nodes[target].incoming.append(edge)
    loop_bodies = {
        node_id: _reachable(nodes, [e.target for e in node.outgoing if e.source_port == "loop"])
        for node_id, node in nodes.items()
        if node.type == "core.loop"
    }
    settings = dict(document.get("settings") or {})
    in_loops = frozenset().union(*loop_bodies.values())
    referenced: set[str] | None = set()
    for node in nodes.values():
        node.streamable = (
            node.spec.streams
            and node.spec.inputs == ("main",)
            and node.retry.max_attempts == 1
            and node.timeout_s is None
            and node.on_error == "stop"
            and not node.disabled
            and node.type != "core.loop"
            and node.id not in in_loops
            and "items" not in node.params.references.names
            and node.node_refs is not None
        )
        if node.node_refs is None or referenced is None:
            referenced = None
        else:
            referenced.update(by_name[name] for name in node.node_refs if name in by_name)
    releasable: frozenset[str] = frozenset()
    if referenced is not None and not loop_bodies:
        releasable = frozenset(nodes) - referenced - {settings.get("result_node")}
    return Graph(
        loop_bodies=loop_bodies,
        releasable=releasable,
        consumers={n: len({e.target for e in node.outgoing}) for n, node in nodes.items()},
        workflow_id=workflow_id,
        version=version,
        name=str(document.get("name", "")),
        settings=settings,
        nodes=nodes,
        order=_toposort(nodes),
        by_name=by_name,
        pinned={str(k): list(v) for k, v in (document.get("pinned_data") or {}).items()},
    )


def _reachable(nodes: Mapping[str, GraphNode], starts: list[str]) -> frozenset[str]:
    seen: set[str] = set()
    stack = list(starts)
    while stack:
        node_id = stack.pop()
        if node_id not in seen:
            seen.add(node_id)
            stack.extend(e.target for e in nodes[node_id].outgoing)
    return frozenset(seen)


def _literal_fields(spec: NodeSpec) -> list[str]:
    """Params whose JSON Schema says ``"x-expressions": false``."""
    out = []
    for name, info in spec.params.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get("x-expressions") is False:
            out.append(name)
    return out


class _AnyParams(BaseModel):
    model_config = ConfigDict(extra="allow")


def unrunnable_message(type_: str) -> str:
    """Why a node of an action type no installed package runs cannot run."""
    return (
        f"no installed integration runs {type_!r}: install the integration package that "
        "provides it, or use core.http_request"
    )


def _unimplemented_action(type_: str) -> NodeSpec:
    """A declared integration action (``jira.create_issue``) that no installed package runs:
    its steps fail with a clear message instead of the whole document being refused."""

    async def run_item(ctx: NodeContext, item: Item, params: dict[str, Any]) -> Item:
        raise NodeError(unrunnable_message(type_), retryable=False)

    return NodeSpec(type_, type_, "integration action", "action", _AnyParams, run_item=run_item)


def _toposort(nodes: Mapping[str, GraphNode]) -> list[str]:
    """Kahn's algorithm, stable in document order."""
    indegree = {node_id: len(node.sources) for node_id, node in nodes.items()}
    ready = [node_id for node_id in nodes if indegree[node_id] == 0]
    order: list[str] = []
    while ready:
        node_id = ready.pop(0)
        order.append(node_id)
        for target in dict.fromkeys(e.target for e in nodes[node_id].outgoing):
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    if len(order) != len(nodes):
        stuck = sorted(set(nodes) - set(order))
        raise GraphError(f"the graph has a cycle through {', '.join(stuck)}")
    return order


class GraphCache:
    """LRU of compiled graphs keyed by (workflow id, version)."""

    def __init__(self, size: int = 256, reg: Registry = registry) -> None:
        self._size = size
        self._reg = reg  # the node types documents are compiled against
        self._graphs: OrderedDict[tuple[int, int], Graph] = OrderedDict()

    def get(
        self, workflow_id: int, version: int, document: Mapping[str, Any] | None = None
    ) -> Graph | None:
        key = (workflow_id, version)
        graph = self._graphs.get(key)
        if graph is not None:
            self._graphs.move_to_end(key)
            return graph
        if document is None:
            return None
        graph = compile_graph(document, workflow_id=workflow_id, version=version, reg=self._reg)
        self._graphs[key] = graph
        if len(self._graphs) > self._size:
            self._graphs.popitem(last=False)
        return graph
