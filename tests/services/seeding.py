"""Rows the dashboard tests seed directly: workflows and executions at chosen times."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Execution, Workflow, WorkflowVersion

_ids = itertools.count(1)
LIVE = ("queued", "running", "waiting")


def exec_id(started: dt.datetime) -> str:
    """Time-ordered like the engine's ids (the start's milliseconds first)."""
    return f"{int(started.timestamp() * 1000):012x}7{next(_ids):019x}"


async def add_workflow(session: AsyncSession, name: str) -> int:
    wf = Workflow(name=name)
    session.add(wf)
    await session.flush()
    session.add(
        WorkflowVersion(
            workflow_id=wf.id, version=1, document={"name": name, "nodes": [], "connections": []}
        )
    )
    await session.flush()
    return wf.id


def add_execution(
    session: AsyncSession,
    workflow_id: int,
    started: dt.datetime,
    status: str = "success",
    took: dt.timedelta | None = dt.timedelta(seconds=1),
) -> None:
    """One manual execution of version 1; finished ``took`` after it started unless live."""
    session.add(
        Execution(
            id=exec_id(started),
            workflow_id=workflow_id,
            workflow_version=1,
            status=status,
            mode="manual",
            started_at=started,
            finished_at=None if status in LIVE or took is None else started + took,
        )
    )
