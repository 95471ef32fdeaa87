"""Reading execution records. (Running executions is the engine's job.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Execution, ExecutionStep, Workflow
from wirework.engine.store import read_output
from wirework.errors import InvalidInput, NotFound
from wirework.schemas.executions import ExecutionOut, ExecutionSummary, StepOut

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
    session: AsyncSession, execution_id: str, *, max_items: int | None = DEFAULT_MAX_ITEMS
) -> ExecutionOut:
    """The execution record; each output port and the result show at most ``max_items``
    items (None: all of them)."""
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
    return build_record(row, steps, [load_output(s, max_items) for s in steps], max_items)


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
                run_index=s.run_index,
                status=s.status,
                attempt=s.attempt,
                started_at=s.started_at,
                finished_at=s.finished_at,
                error=s.error,
                output=shown,
                items_out=s.items_out or 0,
                truncated=truncated or (shown is not None and _cut(s.items_out, shown)),
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


def load_output(step: ExecutionStep, max_items: int | None = None) -> dict[str, list[Any]] | None:
    """A step's stored output: inline JSON, or the file it spilled to in the data dir (at
    most ``max_items`` per port kept from a file of appended batches)."""
    return read_output(step.output, step.output_path, max_items)
