"""What workflow documents depend on: installed actions, integrations, other workflows.

- An action node (``jira.create_issue``) needs an installed integration package that runs
  it. A document using one that none runs may be saved (with a warning), but not activated
  or run by hand: :func:`unrunnable_actions`, :func:`refuse_unrunnable`.
- An integration or workflow that a workflow's current version refers to is not deleted:
  :func:`refuse_integration_in_use`, :func:`refuse_workflow_in_use` (409 naming them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Workflow, WorkflowVersion
from wirework.engine.graph import Graph, unrunnable_message
from wirework.errors import Conflict, FieldError, InvalidInput
from wirework.schemas.document import WorkflowDocument
from wirework.sdk.registry import registry

INTEGRATION_KEY = "integration_id"


def _unrunnable(type_: str) -> bool:
    prefix, dot, action = type_.partition(".")
    is_action = bool(dot) and bool(prefix) and prefix != "core" and bool(action)
    return is_action and registry.node(type_) is None


def unrunnable_actions(doc: WorkflowDocument, *, enabled_only: bool = False) -> list[FieldError]:
    """Action nodes of a (normalised) document that no installed integration runs."""
    return [
        FieldError(f"nodes[{i}].type", unrunnable_message(node.type), node.id)
        for i, node in enumerate(doc.nodes)
        if _unrunnable(node.type) and not (enabled_only and node.disabled)
    ]


def refuse_unrunnable(graph: Graph, *, node_id: str | None = None) -> None:
    """422 before a manual or test run of ``graph`` (or of its node ``node_id``) that would
    reach an action no installed integration runs."""
    errors = [
        FieldError(f"nodes[{i}].type", unrunnable_message(node.type), node.id)
        for i, node in enumerate(graph.nodes.values())
        if (node_id is None or node.id == node_id) and not node.disabled and _unrunnable(node.type)
    ]
    if errors:
        raise InvalidInput(errors)


# --------------------------------------------------------------------------- references


async def current_documents(
    session: AsyncSession, *, active_only: bool = False, except_id: int | None = None
) -> list[tuple[int, str, Mapping[str, Any]]]:
    """(id, name, current document) of every workflow (only active ones, without one)."""
    query = (
        select(Workflow.id, Workflow.name, WorkflowVersion.document)
        .join(
            WorkflowVersion,
            and_(
                WorkflowVersion.workflow_id == Workflow.id,
                WorkflowVersion.version == Workflow.version,
            ),
        )
        .order_by(Workflow.id)
    )
    if active_only:
        query = query.where(Workflow.active.is_(True))
    if except_id is not None:
        query = query.where(Workflow.id != except_id)
    rows = await session.execute(query)
    return [(wid, name, doc if isinstance(doc, Mapping) else {}) for wid, name, doc in rows]


def _values_of(value: Any, key: str) -> Iterator[Any]:
    """Every value under ``key`` at any depth (node params nest: ``auth.integration_id``)."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k == key:
                yield v
            else:
                yield from _values_of(v, key)
    elif isinstance(value, list):
        for v in value:
            yield from _values_of(v, key)


def _nodes(document: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    nodes = document.get("nodes")
    return [n for n in nodes if isinstance(n, Mapping)] if isinstance(nodes, list) else []


def uses_integration(document: Mapping[str, Any], integration_id: int) -> bool:
    """An action's ``integration_id``, or one in a node's params (``core.http_request``'s
    ``integration_id``, ``core.webhook``'s ``auth.integration_id``)."""
    for node in _nodes(document):
        found = [node.get(INTEGRATION_KEY), *_values_of(node.get("params"), INTEGRATION_KEY)]
        if any(_same_id(v, integration_id) for v in found):
            return True
    return False


def uses_workflow(document: Mapping[str, Any], workflow_id: int) -> bool:
    """A ``core.subworkflow`` node's ``workflow_id``, or ``settings.error_workflow``."""
    settings = document.get("settings")
    if isinstance(settings, Mapping) and _same_id(settings.get("error_workflow"), workflow_id):
        return True
    return any(
        node.get("type") == "core.subworkflow"
        and isinstance(node.get("params"), Mapping)
        and _same_id(node["params"].get("workflow_id"), workflow_id)
        for node in _nodes(document)
    )


def _same_id(value: Any, wanted: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == wanted


def _named(workflows: list[tuple[int, str]]) -> str:
    return ", ".join(f"{wid} ({name!r})" for wid, name in workflows)


async def workflows_using_integration(
    session: AsyncSession, integration_id: int
) -> list[tuple[int, str]]:
    """(id, name) of the workflows whose current version uses the integration."""
    return [
        (wid, name)
        for wid, name, document in await current_documents(session)
        if uses_integration(document, integration_id)
    ]


async def refuse_integration_in_use(session: AsyncSession, integration_id: int) -> None:
    used_by = await workflows_using_integration(session, integration_id)
    if used_by:
        raise Conflict(
            f"integration {integration_id} is used by workflow(s) {_named(used_by)}: "
            "remove it from them (or delete them) first"
        )


async def refuse_workflow_in_use(session: AsyncSession, workflow_id: int) -> None:
    """409 when other workflows call this one (sub-workflow) or run it on errors."""
    used_by = [
        (wid, name)
        for wid, name, document in await current_documents(session)
        if wid != workflow_id and uses_workflow(document, workflow_id)
    ]
    if used_by:
        raise Conflict(
            f"workflow {workflow_id} is used by workflow(s) {_named(used_by)} (as a "
            "sub-workflow or error workflow): change them first"
        )
