"""Polling triggers (``jira.issue_updated``, ``github.issue_updated``): each poll asks the
service for what changed since the trigger's stored cursor and starts one execution with
the new items.

Exactly once, across restarts and several schedulers: the scheduler claims each poll time
like a schedule's fire time (one process polls); a poll that finds items writes the new
cursor together with the id of the execution it will start (``pending``) in one conditional
UPDATE, starts the execution with that id, waits for the record to be written, then clears
``pending``. A poll that finds ``pending`` set (the process stopped in between) starts that
execution unless it exists, and polls again next time. A failed poll changes nothing, so the
next one asks again from the same cursor.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from wirework.db.base import new_id
from wirework.db.models import TriggerCursor
from wirework.engine.graph import Graph, GraphNode
from wirework.sdk.integration import PollContext, validate_params
from wirework.sdk.node import NodeError
from wirework.sdk.registry import registry
from wirework.triggers.schedule import ScheduleEntry
from wirework.vault.masking import credential_secrets
from wirework.vault.redaction import Redactor

if TYPE_CHECKING:
    from wirework.services.engine import EngineHost

log = logging.getLogger(__name__)
MODE = "poll"


def params_hash(node: GraphNode) -> str:
    """A poll's identity: a change of its params or integration starts from a new cursor."""
    text = json.dumps([node.raw_params, node.integration_id], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def _state(host: EngineHost, entry: ScheduleEntry, digest: str) -> TriggerCursor:
    async with host.runtime.sessionmaker() as session:
        row = await session.get(TriggerCursor, (entry.workflow_id, entry.node_id))
        if row is None:
            row = TriggerCursor(
                workflow_id=entry.workflow_id, node_id=entry.node_id, params_hash=digest
            )
            session.add(row)
        elif row.params_hash != digest:
            row.params_hash = digest
            row.cursor = None
            row.pending_execution_id = None
            row.pending_items = None
        await session.commit()
        await session.refresh(row)
        session.expunge(row)
        return row


async def _start(
    host: EngineHost, graph: Graph, node_id: str, execution_id: str, items: Any
) -> None:
    """Start the pending execution (unless it exists), wait for its record, clear pending."""
    if await host.runner.store.load_execution(execution_id) is None:
        await host.runner.execute(
            graph,
            mode=MODE,
            start_node=node_id,
            input_items=items,
            execution_id=execution_id,
            elsewhere=True,  # nobody waits for it
        )
        await host.runner.store.flush(execution_id)
    async with host.runtime.sessionmaker() as session:
        await session.execute(
            update(TriggerCursor)
            .where(
                TriggerCursor.workflow_id == graph.workflow_id,
                TriggerCursor.node_id == node_id,
                TriggerCursor.pending_execution_id == execution_id,
            )
            .values(pending_execution_id=None, pending_items=None)
        )
        await session.commit()


async def fire_poll(host: EngineHost, entry: ScheduleEntry) -> str | None:
    """Poll once; returns the id of the execution started, if any."""
    graph = await host.load_graph(entry.workflow_id, None)
    node = graph.nodes.get(entry.node_id)
    trigger = node.spec.extra.get("poll") if node is not None else None
    definition = registry.definition(entry.node_type.partition(".")[0])
    if node is None or trigger is None or definition is None:
        return None
    digest = params_hash(node)
    state = await _state(host, entry, digest)
    if state.pending_execution_id is not None:
        items = json.loads(state.pending_items or "[]")
        await _start(host, graph, node.id, state.pending_execution_id, items)
        return state.pending_execution_id
    if node.integration_id is None:
        log.warning("poll %s/%s: the trigger has no integration", entry.workflow_id, node.id)
        return None
    params = validate_params(trigger.params, node.raw_params)
    values = await host.credentials(node.integration_id)
    issued: list[str] = []
    try:
        connection = await definition.connect(values, node.integration_id, saver=host.save_tokens)
        issued = connection.tokens.issued if connection.tokens is not None else []
        context = PollContext(connection, entry.workflow_id, node.id)
        result = await trigger.fn(context, params, state.cursor)
    except NodeError as exc:  # what the service said may echo a credential: never logged
        secrets, others = credential_secrets(values)
        exc.message = Redactor([*secrets, *issued], others).text(exc.message)
        raise
    execution_id = new_id() if result.items else None
    async with host.runtime.sessionmaker() as session:
        written = await session.execute(
            update(TriggerCursor)
            .where(
                TriggerCursor.workflow_id == entry.workflow_id,
                TriggerCursor.node_id == node.id,
                TriggerCursor.params_hash == digest,
                TriggerCursor.pending_execution_id.is_(None),
            )
            .values(
                cursor=result.cursor,
                pending_execution_id=execution_id,
                pending_items=json.dumps(result.items, default=str) if result.items else None,
            )
        )
        await session.commit()
    if execution_id is None or not written.rowcount:  # type: ignore[attr-defined]
        return None
    await _start(host, graph, node.id, execution_id, result.items)
    return execution_id


async def poll_safely(host: EngineHost, entry: ScheduleEntry) -> None:
    """:func:`fire_poll`, its failures logged (without secrets: NodeError messages name
    the service's answer, never the credentials)."""
    try:
        await fire_poll(host, entry)
    except NodeError as exc:
        log.warning("poll %s/%s failed: %s", entry.workflow_id, entry.node_id, exc.message)


async def cursor_of(host: EngineHost, workflow_id: int, node_id: str) -> Any:
    async with host.runtime.sessionmaker() as session:
        return await session.scalar(
            select(TriggerCursor.cursor).where(
                TriggerCursor.workflow_id == workflow_id, TriggerCursor.node_id == node_id
            )
        )
