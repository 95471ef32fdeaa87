"""Reading execution records. (Running executions is the engine's job.)"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Execution, ExecutionData, ExecutionStep, Workflow
from wirework.schemas.executions import ExecutionOut, ExecutionSummary, StepOut
from wirework.services.errors import InvalidInput, NotFound

MAX_LIMIT = 500


def summary(row: Execution) -> ExecutionSummary:
    return ExecutionSummary.model_validate(row, from_attributes=True)


async def list_page(
    session: AsyncSession,
    *,
    workflow_id: int | None = None,
    status: Sequence[str] | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[ExecutionSummary], str | None]:
    """Newest first, keyset-paginated on the time-ordered id (fast with millions of rows)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.one("limit", f"must be between 1 and {MAX_LIMIT}")
    if workflow_id is not None and await session.get(Workflow, workflow_id) is None:
        raise NotFound(f"workflow {workflow_id} not found")
    query = select(Execution).order_by(Execution.id.desc()).limit(limit + 1)
    if workflow_id is not None:
        query = query.where(Execution.workflow_id == workflow_id)
    if status:
        query = query.where(Execution.status.in_(list(status)))
    if cursor is not None:
        if len(cursor) != 32 or any(c not in "0123456789abcdef" for c in cursor):
            raise InvalidInput.one("cursor", "is not a cursor returned by this endpoint")
        query = query.where(Execution.id < cursor)
    rows = list((await session.scalars(query)).all())
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return [summary(r) for r in rows[:limit]], next_cursor


async def get_record(session: AsyncSession, execution_id: str) -> ExecutionOut:
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
    data_rows = (
        await session.scalars(
            select(ExecutionData)
            .where(ExecutionData.execution_id == execution_id)
            .order_by(ExecutionData.id)
        )
    ).all()
    outputs: dict[int, dict[str, list[Any]]] = {}
    result: list[Any] | None = None
    for data in data_rows:
        value = _load(data)
        if data.kind == "output" and data.step_id is not None:
            outputs[data.step_id] = value
        elif data.kind == "result":
            result = value
    return ExecutionOut(
        **summary(row).model_dump(),
        steps=[
            StepOut(
                node_id=s.node_id,
                run_index=s.run_index,
                status=s.status,
                attempt=s.attempt,
                started_at=s.started_at,
                finished_at=s.finished_at,
                error=s.error,
                output=outputs.get(s.id),
            )
            for s in steps
        ],
        result=result,
    )


def _load(data: ExecutionData) -> Any:
    if data.storage == "inline":
        return json.loads(data.data) if data.data is not None else None
    if data.path is not None:  # spilled to a file in the data dir
        with open(data.path, encoding="utf-8") as fh:
            return json.load(fh)
    return None
