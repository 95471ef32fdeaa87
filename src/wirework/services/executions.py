"""Reading execution records. (Running executions is the engine's job.)"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Execution, ExecutionStep, Workflow
from wirework.engine.store import load_stored_output
from wirework.errors import InvalidInput, NotFound
from wirework.schemas.executions import ExecutionOut, ExecutionSummary, StepOut
from wirework.storage import Storage

log = logging.getLogger(__name__)

MAX_LIMIT = 500
#: Items per output port (and of the result) an execution record shows unless asked for more:
#: a record of a million-item execution must not cost a million items of memory to serve.
DEFAULT_MAX_ITEMS = 1000
MAX_ITEMS = 100_000


def summary(row: Any) -> ExecutionSummary:
    """An execution row, or the engine's ExecutionRecord (same attribute names)."""
    return ExecutionSummary.model_validate(row, from_attributes=True)


async def list_page(
    session: AsyncSession,
    *,
    workflow_id: int | None = None,
    status: Sequence[str] | None = None,
    limit: int = 50,
    cursor: str | None = None,
    started_after: dt.datetime | None = None,
    started_before: dt.datetime | None = None,
) -> tuple[list[ExecutionSummary], str | None]:
    """Newest first, keyset-paginated on the time-ordered id (fast with millions of rows).
    ``started_after`` (inclusive) and ``started_before`` (exclusive) bound ``started_at``;
    a time without a zone is UTC."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.one("limit", f"must be between 1 and {MAX_LIMIT}")
    after = _utc(started_after) if started_after is not None else None
    before = _utc(started_before) if started_before is not None else None
    if after is not None and before is not None and before <= after:
        raise InvalidInput.one("started_before", "must be later than started_after")
    if workflow_id is not None and await session.get(Workflow, workflow_id) is None:
        raise NotFound(f"workflow {workflow_id} not found")
    query = select(Execution).order_by(Execution.id.desc()).limit(limit + 1)
    if workflow_id is not None:
        query = query.where(Execution.workflow_id == workflow_id)
    if status:
        query = query.where(Execution.status.in_(list(status)))
    if after is not None:
        query = query.where(Execution.started_at >= after)
    if before is not None:
        query = query.where(Execution.started_at < before)
    if cursor is not None:
        if len(cursor) != 32 or any(c not in "0123456789abcdef" for c in cursor):
            raise InvalidInput.one("cursor", "is not a cursor returned by this endpoint")
        query = query.where(Execution.id < cursor)
    rows = list((await session.scalars(query)).all())
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return [summary(r) for r in rows[:limit]], next_cursor


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


async def get_record(
    session: AsyncSession,
    execution_id: str,
    *,
    max_items: int | None = DEFAULT_MAX_ITEMS,
    storage: Storage | None = None,
) -> ExecutionOut:
    """The execution record; each output port and the result show at most ``max_items``
    items (None: all of them). Large outputs are read from ``storage`` (the runtime's:
    ``WIREWORK_STORAGE_URL``); without one, they show as null."""
    if max_items is not None and not 0 <= max_items <= MAX_ITEMS:
        raise InvalidInput.one("max_items", f"must be between 0 and {MAX_ITEMS:,}")
    row = await session.get(Execution, execution_id)
    if row is None:
        raise NotFound(f"execution {execution_id!r} not found")
    steps = (
        await session.scalars(
            select(ExecutionStep)
            .where(ExecutionStep.execution_id == execution_id)
            .order_by(ExecutionStep.id)
        )
    ).all()
    outputs = [await load_output(s, max_items, storage) for s in steps]
    return build_record(row, steps, outputs, max_items)


def build_record(
    row: Any,
    steps: Sequence[Any],
    outputs: Sequence[dict[str, list[Any]] | None],
    max_items: int | None = None,
) -> ExecutionOut:
    """The execution record of DESIGN.md §2 from an execution and its steps (ORM rows or the
    engine's records: the same attribute names), with each step's loaded output, ports cut
    to ``max_items`` items."""
    result: list[Any] | None = None
    if row.result_node is not None and row.status == "success":  # a failed one has none
        for step, output in zip(reversed(steps), reversed(outputs), strict=True):
            if step.node_id == row.result_node and step.status == "success":
                result = (output or {}).get("main", [])
                break
    step_outs = []
    for s, output in zip(steps, outputs, strict=True):
        shown: dict[str, list[Any]] | None = None
        truncated = False
        if output is not None:
            shown = {}
            for port, port_items in output.items():
                if port.startswith("$"):
                    continue
                if max_items is not None and len(port_items) > max_items:
                    port_items, truncated = port_items[:max_items], True
                shown[port] = port_items
        step_outs.append(
            StepOut(
                node_id=s.node_id,
                parent_node_id=s.node_id.split("/", 1)[0] if "/" in s.node_id else None,
                run_index=s.run_index,
                status=s.status,
                attempt=s.attempt,
                started_at=s.started_at,
                finished_at=s.finished_at,
                error=s.error,
                output=shown,
                items_out=s.items_out or 0,
                truncated=truncated or (shown is not None and _cut(s.items_out, shown)),
                usage=getattr(s, "usage", None),
            )
        )
    result_truncated = max_items is not None and result is not None and len(result) > max_items
    return ExecutionOut(
        **summary(row).model_dump(),
        steps=step_outs,
        result=result[:max_items] if result is not None and max_items is not None else result,
        result_truncated=result_truncated,
    )


def _cut(items_out: int | None, shown: dict[str, list[Any]]) -> bool:
    """Whether the stored output was read only in part (more items than shown)."""
    return bool(items_out) and sum(len(v) for v in shown.values()) < (items_out or 0)


async def load_output(
    step: ExecutionStep, max_items: int | None = None, storage: Storage | None = None
) -> dict[str, list[Any]] | None:
    """A step's stored output: inline JSON, or the blob it went to in the storage (at most
    ``max_items`` per port kept from a blob of appended batches)."""
    return await load_stored_output(storage, step.output, step.output_path, max_items)


async def with_stored_outputs(
    session: AsyncSession,
    *,
    workflow_id: int | None = None,
    execution_ids: Sequence[str] | None = None,
) -> list[str]:
    """The executions (of a workflow, or among ``execution_ids``) that have a step output in
    the storage: whose blobs to delete with them (:func:`delete_stored_outputs`)."""
    query = select(ExecutionStep.execution_id).where(ExecutionStep.output_path.is_not(None))
    if workflow_id is not None:
        query = query.where(
            ExecutionStep.execution_id.in_(
                select(Execution.id).where(Execution.workflow_id == workflow_id)
            )
        )
    if execution_ids is not None:
        query = query.where(ExecutionStep.execution_id.in_(list(execution_ids)))
    return list((await session.scalars(query.distinct())).all())


async def delete_stored_outputs(storage: Storage | None, execution_ids: Sequence[str]) -> None:
    """Remove deleted executions' blobs from the storage. A failure is logged, not raised:
    the rows are gone already; what is left is unreachable data to clean by hand."""
    if storage is None or not execution_ids:
        return
    try:
        await storage.delete_executions(execution_ids)
    except Exception as exc:
        log.warning(
            "could not delete the stored outputs of %d deleted execution(s) from %s: %s",
            len(execution_ids),
            storage.describe(),
            exc,
        )
