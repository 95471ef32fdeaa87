"""The triggers of migration 0008 on every backend: they exist at head, and they count
changes to executions of hours that have ended — and only those (writes to executions of
the current hour touch no shared row)."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from wirework.db.models import Execution, ExecutionHourVersion, Workflow
from wirework.services.runtime import Runtime

TRIGGERS = {
    "executions_hour_versions_insert",
    "executions_hour_versions_update",
    "executions_hour_versions_delete",
}
_ids = itertools.count(1)


async def trigger_names(engine: AsyncEngine) -> set[str]:
    queries = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        " AND tbl_name = 'executions'",
        "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        " AND tgrelid = 'executions'::regclass",
    }
    query = queries.get(
        engine.dialect.name,
        "SELECT trigger_name FROM information_schema.triggers"
        " WHERE event_object_table = 'executions' AND trigger_schema = DATABASE()",
    )
    async with engine.connect() as conn:
        return {row[0] for row in await conn.execute(text(query))}


async def test_triggers_exist_at_head(session_runtime: Runtime) -> None:
    # A migration that recreates `executions` (SQLite batch mode) must recreate them.
    assert await trigger_names(session_runtime.engine) >= TRIGGERS


def hour_of(when: dt.datetime) -> int:
    return int(when.timestamp()) // 3600 * 3600


async def versions(engine: AsyncEngine) -> dict[int, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(ExecutionHourVersion.hour, ExecutionHourVersion.version))
        return {hour: version for hour, version in rows.all()}


async def add_execution(engine: AsyncEngine, workflow_id: int, started: dt.datetime) -> str:
    execution_id = f"{next(_ids):032x}"
    async with engine.begin() as conn:
        await conn.execute(
            insert(Execution).values(
                id=execution_id,
                workflow_id=workflow_id,
                workflow_version=1,
                status="running",
                mode="manual",
                started_at=started,
            )
        )
    return execution_id


async def add_workflow(engine: AsyncEngine) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(insert(Workflow).values(name="w", version=1))
        return int(result.inserted_primary_key[0])  # type: ignore[index]


async def test_changes_to_ended_hours_are_counted(runtime: Runtime) -> None:
    engine = runtime.engine
    now = dt.datetime.now(dt.UTC)
    old = now.replace(minute=30) - dt.timedelta(hours=2)
    wid = await add_workflow(engine)
    fresh = await add_execution(engine, wid, now)
    stale = await add_execution(engine, wid, old)
    assert await versions(engine) == {hour_of(old): 1}  # inserted late into an ended hour

    async def change(execution_id: str, **values: object) -> None:
        async with engine.begin() as conn:
            await conn.execute(update(Execution).where(Execution.id == execution_id).values(values))

    await change(stale, lease_until=now, worker="w1")  # not what the dashboard counts
    await change(fresh, status="success", finished_at=now)  # the current hour: no row
    await change(stale, status="running")  # no actual change
    assert await versions(engine) == {hour_of(old): 1}

    await change(stale, status="success", finished_at=now)
    after_status = (await versions(engine))[hour_of(old)]
    assert after_status > 1
    moved = old - dt.timedelta(hours=5)
    await change(stale, started_at=moved)  # both hours change
    counted = await versions(engine)
    assert counted[hour_of(old)] > after_status and counted[hour_of(moved)] >= 1

    async with engine.begin() as conn:
        await conn.execute(delete(Execution).where(Execution.id == stale))
    assert (await versions(engine))[hour_of(moved)] > counted[hour_of(moved)]


async def test_executions_deleted_with_their_workflow_are_not_counted(runtime: Runtime) -> None:
    """Their roll-ups go with the workflow (ON DELETE CASCADE), so there is nothing to
    invalidate (and MariaDB fires no trigger for a cascade anyway)."""
    engine = runtime.engine
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    wid = await add_workflow(engine)
    await add_execution(engine, wid, old)
    before = await versions(engine)
    async with engine.begin() as conn:
        await conn.execute(delete(Workflow).where(Workflow.id == wid))
        left = await conn.scalar(select(Execution.id).where(Execution.workflow_id == wid))
    assert left is None
    assert await versions(engine) == before
