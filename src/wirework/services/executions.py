"""Reading execution records. (Running executions is the engine's job.)"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Execution, ExecutionStep, Workflow
from wirework.engine.store import read_output_file
from wirework.schemas.executions import ExecutionOut, ExecutionSummary, StepOut
from wirework.services.errors import InvalidInput, NotFound

MAX_LIMIT = 500


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
    return build_record(row, steps, [load_output(s) for s in steps])


def build_record(
    row: Any, steps: Sequence[Any], outputs: Sequence[dict[str, list[Any]] | None]
) -> ExecutionOut:
    """The execution record of DESIGN.md §2 from an execution and its steps (ORM rows or the
    engine's records: the same attribute names), with each step's loaded output."""
    result: list[Any] | None = None
    if row.result_node is not None:
        for step, output in zip(reversed(steps), reversed(outputs), strict=True):
            if step.node_id == row.result_node and step.status == "success":
                result = (output or {}).get("main", [])
                break
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
                output={k: v for k, v in output.items() if not k.startswith("$")}
                if output is not None
                else None,
            )
            for s, output in zip(steps, outputs, strict=True)
        ],
        result=result,
    )


def load_output(step: ExecutionStep) -> dict[str, list[Any]] | None:
    """A step's stored output: inline JSON, or the file it spilled to in the data dir."""
    if step.output is not None:
        value = json.loads(step.output)
    elif step.output_path is not None:
        value = read_output_file(step.output_path)
    else:
        return None
    return value if isinstance(value, dict) else None
