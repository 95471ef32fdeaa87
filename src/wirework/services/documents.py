"""Validating workflow documents: structure (pure) and references (database).

:func:`check_document` needs no database: node ids and names, connections and their ports,
cycles, triggers' inputs, and the parameters of every registered node type.
:func:`validate_document` adds what needs the database: the seed's ``type: integration`` form
is normalised to ``<integration type>.<action>``, integration actions, integrations and the
workflows a document refers to are checked. Both report *every* problem, each as a
:class:`FieldError` naming its field (``connections[2].to``, ``nodes[1].params.url``) and node.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Integration, IntegrationType, Workflow
from wirework.engine.expressions import check_syntax
from wirework.errors import FieldError, InvalidInput
from wirework.nodes.base import ParamProblems, is_expression
from wirework.schemas.document import (
    Node,
    WorkflowDocument,
    errors_from_pydantic,
    validate_document_data,
)
from wirework.schemas.integration_types import ParameterSpec
from wirework.schemas.params import check_values
from wirework.sdk.registry import NodeSpec, registry
from wirework.services.document_ports import assign_inputs

INTEGRATION_FORM = "integration"
MAIN: tuple[str, ...] = ("main",)

SyntaxChecker = Callable[[str, str], Any]


def _load_syntax_checker() -> SyntaxChecker:
    """The expression evaluator's syntax check."""
    return check_syntax


@dataclass(frozen=True)
class Ports:
    """A node's ports as far as they are known (None = unknown, so not checked)."""

    inputs: tuple[str, ...] | None = MAIN
    outputs: tuple[str, ...] | None = MAIN
    trigger: bool = False
    type: str = ""


def _suggest(word: str, choices: Iterable[str]) -> str:
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=3, cutoff=0.75)
    tail = word.rpartition(".")[2]
    same_tail = [c for c in options if c.rpartition(".")[2] == tail and c != word]
    close = list(dict.fromkeys([*same_tail, *close]))[:3]
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"


def _join(path: str, part: Any) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    return f"{path}.{part}" if path else str(part)


# --------------------------------------------------------------------------- node params


def _literal_params(spec: NodeSpec) -> set[str]:
    return set(spec.extra.get("literal_params", ()))


def no_expression_fields(model: type[BaseModel]) -> set[str]:
    """Top-level params whose JSON Schema says ``x-expressions: false``."""
    out: set[str] = set()
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get("x-expressions") is False:
            out.add(name)
    return out


def check_node_params(
    spec: NodeSpec, params: Mapping[str, Any], *, prefix: str, node_id: str | None = None
) -> tuple[BaseModel | None, list[FieldError]]:
    """Validate a node's params against its spec's model.

    Values holding an expression are exempt from type checks (they are only known at run
    time), except in the spec's literal params. Returns the model (None if invalid) and the
    problems, each naming ``<prefix>.<field>``."""
    literal = _literal_params(spec)
    raw = no_expression_fields(spec.params)
    errors: list[FieldError] = []
    for name in sorted(literal):
        if is_expression(params.get(name)):
            errors.append(
                FieldError(
                    _join(prefix, name),
                    "must be a literal value, not an expression (it is needed before a run)",
                    node_id,
                )
            )
    try:
        model = spec.params.model_validate(dict(params))
    except ValidationError as exc:
        reported = {e.field for e in errors}
        for err in exc.errors():
            loc = list(err.get("loc", ()))
            top = loc[0] if loc else None
            if is_expression(err.get("input")) and top not in raw:
                if top not in literal:
                    continue  # evaluated at run time; the engine checks the result
                field = prefix
                for part in loc:
                    field = _join(field, part)
                if field not in reported:
                    reported.add(field)
                    errors.append(
                        FieldError(
                            field,
                            "must be a literal value, not an expression (it is needed "
                            "before a run)",
                            node_id,
                        )
                    )
                continue
            problem = err.get("ctx", {}).get("error")
            if isinstance(problem, ParamProblems):
                base = prefix
                for part in loc:
                    base = _join(base, part)
                for name, message in problem.problems:
                    errors.append(FieldError(_join(base, name), message, node_id))
                continue
            for fe in errors_from_pydantic([err], prefix=prefix, model=spec.params):
                errors.append(FieldError(fe.field, fe.message, node_id))
        return None, _dedupe(errors)
    return (None if errors else model), errors


def _dedupe(errors: list[FieldError]) -> list[FieldError]:
    seen: set[tuple[str, str]] = set()
    out: list[FieldError] = []
    for e in errors:
        if (e.field, e.message) not in seen:
            seen.add((e.field, e.message))
            out.append(e)
    return out


def _expression_strings(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        if "{{" in value or "{%" in value:
            yield path, value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _expression_strings(inner, _join(path, str(key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _expression_strings(inner, _join(path, index))


def check_expressions(
    params: Mapping[str, Any],
    *,
    prefix: str,
    node_id: str | None,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
    checker: SyntaxChecker | None = None,
) -> list[FieldError]:
    """Syntax errors of the expressions in ``params`` (if the evaluator offers a check)."""
    checker = checker if checker is not None else _load_syntax_checker()
    if checker is None:
        return []
    errors: list[FieldError] = []
    for name, value in params.items():
        if name in skip:
            continue
        for path, text in _expression_strings(value, _join(prefix, name)):
            try:
                result = checker(text, path)
            except Exception as exc:
                errors.append(FieldError(path, f"expression: {exc}", node_id))
                continue
            # check_syntax gives [(path, message)]; other shapes are accepted too.
            for problem in result if isinstance(result, list) else [result]:
                if problem is None or problem is True:
                    continue
                if isinstance(problem, tuple) and len(problem) == 2:
                    errors.append(FieldError(str(problem[0] or path), str(problem[1]), node_id))
                elif isinstance(problem, FieldError):
                    errors.append(FieldError(problem.field or path, problem.message, node_id))
                elif isinstance(problem, str) and problem:
                    errors.append(FieldError(path, problem, node_id))
    return errors


def input_names(spec: NodeSpec, params: BaseModel | None) -> tuple[str, ...] | None:
    """A spec's input ports, given its validated params (None: not known)."""
    dynamic = spec.extra.get("dynamic_inputs")
    if callable(dynamic):
        if params is None:
            return None
        names: tuple[str, ...] = tuple(dynamic(params))
        return names
    return spec.inputs


def _partial_params(spec: NodeSpec, params: Mapping[str, Any]) -> BaseModel | None:
    """When the params as a whole are invalid, the literal params alone (those naming ports)
    may still be valid: then the ports can be checked anyway."""
    validated: dict[str, Any] = {}
    try:
        for name in _literal_params(spec):
            info = spec.params.model_fields.get(name)
            if info is None or name not in params:
                continue
            annotated: Any = Annotated[info.annotation, info]
            adapter: TypeAdapter[Any] = TypeAdapter(annotated)
            validated[name] = adapter.validate_python(params[name])
        return spec.params.model_construct(**validated)
    except (ValidationError, TypeError, ValueError):
        return None


def _port_names(
    fn: Callable[[BaseModel], tuple[str, ...]] | None, params: BaseModel | None
) -> tuple[str, ...] | None:
    if fn is None or params is None:
        return None
    try:
        return tuple(fn(params))
    except (AttributeError, TypeError, ValueError, AssertionError):
        return None


def spec_ports(
    spec: NodeSpec, params: BaseModel | None, node: Node, *, partial: BaseModel | None = None
) -> Ports:
    trigger = spec.group == "trigger"
    outputs = spec.output_names(params)
    inputs = () if trigger else input_names(spec, params)
    if params is None and partial is not None:
        if outputs is None:
            outputs = _port_names(spec.dynamic_outputs, partial)
        if inputs is None:
            dynamic = spec.extra.get("dynamic_inputs")
            inputs = _port_names(dynamic if callable(dynamic) else None, partial)
    if outputs is not None and node.on_error == "error_output" and "error" not in outputs:
        outputs = (*outputs, "error")
    return Ports(
        inputs=inputs,
        outputs=outputs,
        trigger=trigger,
        type=spec.type,
    )


def action_ports(node: Node) -> Ports:
    outputs = ("main", "error") if node.on_error == "error_output" else MAIN
    return Ports(inputs=MAIN, outputs=outputs, type=node.type)


def _check_core_node(
    spec: NodeSpec, node: Node, index: int, checker: SyntaxChecker | None
) -> tuple[Ports, list[FieldError]]:
    prefix = f"nodes[{index}]"
    errors: list[FieldError] = []
    if (
        node.integration_id is not None
        and spec.group != "action"
        and not spec.extra.get("needs_integration")
    ):
        hint = (
            " (core.http_request takes params.integration_id)"
            if spec.type.startswith("core.")
            else ""
        )
        errors.append(
            FieldError(
                f"{prefix}.integration_id",
                f"is only for integration actions, not {spec.type}{hint}",
                node.id,
            )
        )
    model, problems = check_node_params(
        spec, node.params, prefix=f"{prefix}.params", node_id=node.id
    )
    errors += problems
    errors += check_expressions(
        node.params,
        prefix=f"{prefix}.params",
        node_id=node.id,
        skip=no_expression_fields(spec.params),
        checker=checker,
    )
    partial = _partial_params(spec, node.params) if model is None else None
    return spec_ports(spec, model, node, partial=partial), errors


def _seed_form_errors(node: Node, index: int) -> list[FieldError]:
    prefix = f"nodes[{index}]"
    errors: list[FieldError] = []
    if node.type == INTEGRATION_FORM:
        if node.integration_id is None:
            errors.append(
                FieldError(
                    f"{prefix}.integration_id", "is required with type: integration", node.id
                )
            )
        if not node.task:
            errors.append(
                FieldError(f"{prefix}.task", "is required with type: integration", node.id)
            )
    elif node.task is not None:
        errors.append(
            FieldError(
                f"{prefix}.task",
                "is only used with type: integration (the action is part of the type, "
                "e.g. jira.create_issue)",
                node.id,
            )
        )
    return errors


def looks_like_action(type_: str) -> bool:
    prefix, dot, action = type_.partition(".")
    return bool(dot) and prefix != "core" and bool(prefix) and bool(action) and "." not in action


# --------------------------------------------------------------------------- structure


def check_structure(doc: WorkflowDocument, ports: Sequence[Ports | None]) -> list[FieldError]:
    """Graph-level problems: ids, names, connections and their ports, cycles, pinned data.

    ``ports[i]`` describes ``doc.nodes[i]`` (None: unknown node type; its ports are not
    checked)."""
    errors: list[FieldError] = []
    if not doc.nodes:
        errors.append(FieldError("nodes", "a workflow needs at least one node"))
    index_of: dict[str, int] = {}
    names: dict[str, int] = {}
    for i, node in enumerate(doc.nodes):
        if node.id in index_of:
            errors.append(
                FieldError(
                    f"nodes[{i}].id",
                    f"duplicate node id {node.id!r} (also nodes[{index_of[node.id]}])",
                    node.id,
                )
            )
        else:
            index_of[node.id] = i
        if node.name in names:
            errors.append(
                FieldError(
                    f"nodes[{i}].name",
                    f"duplicate node name {node.name!r} (also nodes[{names[node.name]}]); "
                    "names must be unique (expressions use them)",
                    node.id,
                )
            )
        else:
            names[node.name] = i

    def describe(i: int) -> str:
        node = doc.nodes[i]
        return f"node {node.id!r} ({node.type})"

    edges: dict[int, list[tuple[int, int]]] = {}
    seen: dict[tuple[str, str, str, str], int] = {}
    for k, conn in enumerate(doc.connections):
        where = f"connections[{k}]"
        src = index_of.get(conn.from_)
        dst = index_of.get(conn.to)
        if src is None:
            errors.append(
                FieldError(
                    f"{where}.from",
                    f"unknown node {conn.from_!r}{_suggest(conn.from_, index_of)}",
                )
            )
        if dst is None:
            errors.append(
                FieldError(f"{where}.to", f"unknown node {conn.to!r}{_suggest(conn.to, index_of)}")
            )
        key = (conn.from_, conn.from_output, conn.to, conn.to_input)
        if key in seen:
            errors.append(FieldError(where, f"duplicates connections[{seen[key]}]", conn.from_))
            continue
        seen[key] = k
        if src is not None:
            port = ports[src]
            outs = port.outputs if port is not None else None
            if outs is not None and conn.from_output not in outs:
                if not outs:
                    message = f"{describe(src)} has no outputs"
                elif conn.from_output == "error":
                    message = (
                        f"{describe(src)} has no output 'error' "
                        "(set its on_error: error_output to get one)"
                    )
                else:
                    message = (
                        f"{describe(src)} has no output {conn.from_output!r} "
                        f"(outputs: {', '.join(outs)})"
                    )
                errors.append(FieldError(f"{where}.from_output", message, conn.from_))
        if dst is not None:
            port = ports[dst]
            if port is not None and port.trigger:
                errors.append(
                    FieldError(
                        f"{where}.to",
                        f"{describe(dst)} is a trigger; triggers have no inputs",
                        conn.to,
                    )
                )
            elif port is not None and port.inputs is not None and conn.to_input not in port.inputs:
                message = f"{describe(dst)} has no input {conn.to_input!r}"
                message += f" (inputs: {', '.join(port.inputs)})" if port.inputs else " (no inputs)"
                errors.append(FieldError(f"{where}.to_input", message, conn.to))
        if src is not None and dst is not None:
            edges.setdefault(src, []).append((dst, k))
    errors += _cycle_errors(doc, edges)
    for pinned in doc.pinned_data or {}:
        if pinned not in index_of:
            errors.append(
                FieldError(
                    f"pinned_data.{pinned}",
                    f"unknown node {pinned!r}{_suggest(pinned, index_of)}",
                )
            )
    errors += _sticky_note_errors(doc)
    return errors


def _sticky_note_errors(doc: WorkflowDocument) -> list[FieldError]:
    """Sticky notes' ids are unique among the notes (they may equal a node's id)."""
    errors: list[FieldError] = []
    first: dict[str, int] = {}
    for i, note in enumerate(doc.sticky_notes):
        if note.id in first:
            errors.append(
                FieldError(
                    f"sticky_notes[{i}].id",
                    f"duplicate note id {note.id!r} (also sticky_notes[{first[note.id]}])",
                )
            )
        else:
            first[note.id] = i
    return errors


def _cycle_errors(
    doc: WorkflowDocument, edges: Mapping[int, list[tuple[int, int]]]
) -> list[FieldError]:
    """One error per strongly connected component that holds a cycle, naming its nodes."""
    n = len(doc.nodes)
    index = 0
    indices: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    components: list[list[int]] = []
    for root in range(n):
        if root in indices:
            continue
        # Iterative Tarjan: (node, position in its edge list)
        work: list[tuple[int, int]] = [(root, 0)]
        while work:
            v, pos = work.pop()
            if pos == 0:
                indices[v] = low[v] = index
                index += 1
                stack.append(v)
                on_stack.add(v)
            succ = edges.get(v, [])
            if pos < len(succ):
                work.append((v, pos + 1))
                w = succ[pos][0]
                if w not in indices:
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], indices[w])
                continue
            if low[v] == indices[v]:
                component: list[int] = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    errors: list[FieldError] = []
    for component in components:
        members = set(component)
        start = min(component)
        if len(component) == 1 and not any(w == start for w, _ in edges.get(start, [])):
            continue
        path, closing = _find_cycle(start, members, edges)
        names = " → ".join(repr(doc.nodes[i].id) for i in [*path, start])
        errors.append(
            FieldError(
                f"connections[{closing}]",
                f"connections form a cycle: {names}; workflows must be acyclic",
                doc.nodes[start].id,
            )
        )
    errors.sort(key=lambda e: e.field)
    return errors


def _find_cycle(
    start: int, members: set[int], edges: Mapping[int, list[tuple[int, int]]]
) -> tuple[list[int], int]:
    """A path start → … → start inside one component, and the connection closing it."""
    parent: dict[int, tuple[int, int]] = {}
    queue = [start]
    visited = {start}
    while queue:
        v = queue.pop(0)
        for w, k in edges.get(v, []):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(parent[path[-1]][0])
                return list(reversed(path)), k
            if w in members and w not in visited:
                visited.add(w)
                parent[w] = (v, k)
                queue.append(w)
    raise AssertionError("a strongly connected component without a cycle")  # pragma: no cover


def _webhook_duplicates(doc: WorkflowDocument) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: dict[tuple[str, str], int] = {}
    for i, node in enumerate(doc.nodes):
        if node.disabled:
            continue
        if node.type == "core.webhook":
            method = node.params.get("method", "POST")
        else:
            spec = registry.node(node.type) if looks_like_action(node.type) else None
            if spec is None or "webhook" not in spec.extra:
                continue
            method = "POST"
        path = node.params.get("path")
        if not isinstance(path, str) or not isinstance(method, str):
            continue
        key = (path.strip("/"), method.upper())
        if key in seen:
            errors.append(
                FieldError(
                    f"nodes[{i}].params.path",
                    f"another webhook (nodes[{seen[key]}]) already listens to {method} /{key[0]}",
                    node.id,
                )
            )
        else:
            seen[key] = i
    return errors


# --------------------------------------------------------------------------- pure check


def check_document(doc: WorkflowDocument) -> list[FieldError]:
    """Every problem found without a database. Integration actions (``<type>.<action>`` and
    the seed's ``type: integration`` form) are not resolved here; their ports are ``main``."""
    checker = _load_syntax_checker()
    doc = assign_inputs(doc)
    errors: list[FieldError] = []
    ports: list[Ports | None] = []
    for i, node in enumerate(doc.nodes):
        errors += _seed_form_errors(node, i)
        spec = registry.node(node.type)
        if spec is not None:
            port, problems = _check_core_node(spec, node, i, checker)
            errors += problems
            ports.append(port)
        elif node.type == INTEGRATION_FORM or looks_like_action(node.type):
            errors += check_expressions(
                node.params, prefix=f"nodes[{i}].params", node_id=node.id, checker=checker
            )
            ports.append(action_ports(node))
        else:
            errors.append(_unknown_type(node, i, [s.type for s in registry.nodes()]))
            ports.append(None)
    errors += check_structure(doc, ports)
    errors += _webhook_duplicates(doc)
    return errors


def _unknown_type(node: Node, index: int, known: Iterable[str]) -> FieldError:
    return FieldError(
        f"nodes[{index}].type",
        f"unknown node type {node.type!r}{_suggest(node.type, known)}",
        node.id,
    )


# --------------------------------------------------------------------------- with the DB


class _Lookups:
    """Cached reads for one validation."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.types: dict[str, IntegrationType | None] = {}
        self.integrations: dict[int, Integration | None] = {}
        self.all_actions: list[str] | None = None

    async def type_named(self, name: str) -> IntegrationType | None:
        if name not in self.types:
            self.types[name] = await self.session.scalar(
                select(IntegrationType).where(IntegrationType.name == name)
            )
        return self.types[name]

    async def integration(self, integration_id: int) -> Integration | None:
        if integration_id not in self.integrations:
            self.integrations[integration_id] = await self.session.get(Integration, integration_id)
        return self.integrations[integration_id]

    async def known_types(self) -> list[str]:
        if self.all_actions is None:
            rows = (
                await self.session.execute(select(IntegrationType.name, IntegrationType.actions))
            ).all()
            self.all_actions = [
                f"{name}.{a.get('name')}" for name, actions in rows for a in (actions or [])
            ]
        return [s.type for s in registry.nodes()] + self.all_actions


async def _check_integration(
    lookups: _Lookups, node: Node, index: int, type_name: str, required: bool
) -> list[FieldError]:
    field = f"nodes[{index}].integration_id"
    if node.integration_id is None:
        if required:
            return [
                FieldError(
                    field,
                    f"is required: {type_name} actions need an integration (credentials)",
                    node.id,
                )
            ]
        return []
    row = await lookups.integration(node.integration_id)
    if row is None:
        return [FieldError(field, f"integration {node.integration_id} not found", node.id)]
    if row.type.name != type_name:
        return [
            FieldError(
                field,
                f"integration {node.integration_id} ({row.name!r}) is of type "
                f"{row.type.name!r}, not {type_name!r}",
                node.id,
            )
        ]
    return []


async def _resolve_node(
    lookups: _Lookups, node: Node, index: int, checker: SyntaxChecker | None
) -> tuple[Node, Ports | None, list[FieldError]]:
    """Normalise the seed's form and check one node; returns the node, its ports, problems."""
    prefix = f"nodes[{index}]"
    errors = _seed_form_errors(node, index)
    type_field = f"{prefix}.type"
    if node.type == INTEGRATION_FORM:
        if node.integration_id is None or not node.task:
            return node, action_ports(node), errors
        row = await lookups.integration(node.integration_id)
        if row is None:
            errors.append(
                FieldError(
                    f"{prefix}.integration_id",
                    f"integration {node.integration_id} not found",
                    node.id,
                )
            )
            return node, action_ports(node), errors
        node = node.model_copy(update={"type": f"{row.type.name}.{node.task}", "task": None})
        type_field = f"{prefix}.task"

    spec = registry.node(node.type)
    if spec is not None:
        ports, problems = _check_core_node(spec, node, index, checker)
        errors += problems
        if spec.group == "action" or spec.extra.get("needs_integration"):
            errors += await _check_integration(
                lookups,
                node,
                index,
                node.type.partition(".")[0],
                required=bool(spec.extra.get("needs_integration")),
            )
        auth = node.params.get("auth")
        referenced = {
            "core.http_request": ("integration_id", node.params.get("integration_id")),
            "core.webhook": (
                "auth.integration_id",
                auth.get("integration_id") if isinstance(auth, dict) else None,
            ),
        }.get(spec.type)
        if referenced is not None:
            param, value = referenced
            if isinstance(value, int) and await lookups.integration(value) is None:
                errors.append(
                    FieldError(
                        f"{prefix}.params.{param}", f"integration {value} not found", node.id
                    )
                )
        return node, ports, errors

    if not looks_like_action(node.type):
        errors.append(_unknown_type(node, index, await lookups.known_types()))
        return node, None, errors
    type_name, _, action_name = node.type.partition(".")
    itype = await lookups.type_named(type_name)
    if itype is None:
        errors.append(_unknown_type(node, index, await lookups.known_types()))
        return node, None, errors
    actions = {str(a.get("name")): a for a in itype.actions or []}
    action = actions.get(action_name)
    if action is None:
        listed = ", ".join(actions) or "none"
        errors.append(
            FieldError(
                type_field,
                f"integration type {type_name!r} has no action {action_name!r}"
                f"{_suggest(action_name, actions)} (actions: {listed})",
                node.id,
            )
        )
    else:
        specs = [ParameterSpec.model_validate(p) for p in action.get("parameters") or []]
        _, problems = check_values(
            specs, node.params, prefix=f"{prefix}.params", allow_expressions=True
        )
        errors += [FieldError(e.field, e.message, node.id) for e in problems]
    errors += check_expressions(
        node.params, prefix=f"{prefix}.params", node_id=node.id, checker=checker
    )
    needs_credentials = any(p.get("required") for p in itype.parameters or [])
    errors += await _check_integration(lookups, node, index, type_name, needs_credentials)
    return node, action_ports(node), errors


async def _workflow_reference_errors(
    session: AsyncSession, doc: WorkflowDocument, workflow_id: int | None
) -> list[FieldError]:
    wanted: list[tuple[str, int, str | None]] = []
    if doc.settings.error_workflow is not None:
        if doc.settings.error_workflow == workflow_id:
            return [
                FieldError("settings.error_workflow", "a workflow cannot be its own error workflow")
            ]
        wanted.append(("settings.error_workflow", doc.settings.error_workflow, None))
    for i, node in enumerate(doc.nodes):
        target = node.params.get("workflow_id")
        if (
            node.type == "core.subworkflow"
            and isinstance(target, int)
            and not isinstance(target, bool)
        ):
            wanted.append((f"nodes[{i}].params.workflow_id", target, node.id))
    if not wanted:
        return []
    ids = {w for _, w, _ in wanted}
    found = set((await session.scalars(select(Workflow.id).where(Workflow.id.in_(ids)))).all())
    if workflow_id is not None:
        found.add(workflow_id)  # a sub-workflow may call itself (with a stop condition)
    return [
        FieldError(field, f"workflow {target} not found", node_id)
        for field, target, node_id in wanted
        if target not in found
    ]


async def validate_document(
    session: AsyncSession,
    doc: WorkflowDocument | Mapping[str, Any],
    *,
    workflow_id: int | None = None,
) -> WorkflowDocument:
    """Check everything and return the normalised document; InvalidInput lists every problem.

    ``doc`` is the model or parsed data (a dict from JSON/YAML). ``workflow_id`` is the
    workflow being saved, if it exists (it may call itself as a sub-workflow, but cannot be
    its own error workflow). ``document_to_dict`` of the result is the canonical form."""
    from wirework.services.integration_types import refresh_custom

    await refresh_custom(session)  # custom types created or changed by another process
    if not isinstance(doc, WorkflowDocument):
        doc = validate_document_data(doc)
    doc = assign_inputs(doc)
    checker = _load_syntax_checker()
    lookups = _Lookups(session)
    errors: list[FieldError] = []
    nodes: list[Node] = []
    ports: list[Ports | None] = []
    for i, node in enumerate(doc.nodes):
        resolved, port, problems = await _resolve_node(lookups, node, i, checker)
        nodes.append(resolved)
        ports.append(port)
        errors += problems
    normalised = doc.model_copy(update={"nodes": nodes})
    errors += check_structure(normalised, ports)
    errors += _webhook_duplicates(normalised)
    errors += await _workflow_reference_errors(session, normalised, workflow_id)
    if errors:
        raise InvalidInput(errors)
    return normalised


async def validate_node(session: AsyncSession, node: Node) -> Node:
    """Check one node on its own as a document's node is checked (params, expressions,
    integration) and return it normalised; problems name ``node.<field>``."""
    resolved, _, errors = await _resolve_node(_Lookups(session), node, 0, _load_syntax_checker())
    if errors:
        raise InvalidInput(
            [
                FieldError("node" + e.field.removeprefix("nodes[0]"), e.message, e.node_id)
                for e in errors
            ]
        )
    return resolved


def trigger_nodes(doc: WorkflowDocument) -> list[tuple[int, Node, NodeSpec]]:
    """The enabled trigger nodes of a document."""
    out: list[tuple[int, Node, NodeSpec]] = []
    for i, node in enumerate(doc.nodes):
        spec = registry.node(node.type)
        if spec is not None and spec.group == "trigger" and not node.disabled:
            out.append((i, node, spec))
    return out
