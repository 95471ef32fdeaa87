"""No silent drops: a record the database refuses (a trigger raising on one value, a
connection killed mid-batch, an output file that cannot be written) fails that execution and
every flush naming it, never the others, and never later flushes once the database is
healthy — on every database backend."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.engine import nodes as t
from tests.engine.nodes import doc
from tests.engine.poison import poison_fixture  # noqa: F401 - the `poison` fixture
from tests.engine.waiting import wait_for
from wirework.engine.graph import Graph, compile_graph
from wirework.engine.runner import Runner
from wirework.engine.sql_store import SqlStore
from wirework.engine.store import ExecutionRecord, StepRecord, StoreUnavailable
from wirework.services.executions import get_record
from wirework.services.runtime import Runtime

REG = t.registry()


@pytest.fixture(autouse=True)
def _reset() -> None:
    t.calls.clear()


def graph(workflow_id: int, nodes: list[str]) -> Graph:
    chain = [{"id": "start", "type": "t.trigger"}] + [
        {"id": n, "type": "t.set", "params": {"fields": {n: 1}}} for n in nodes
    ]
    edges = [(a["id"], b["id"]) for a, b in itertools.pairwise(chain)]
    return compile_graph(doc(chain, edges), workflow_id=workflow_id, version=1, reg=REG)


async def stored(runtime: Runtime, execution_id: str) -> dict[str, Any]:
    async with runtime.sessionmaker() as session:
        return (await get_record(session, execution_id)).model_dump(mode="json")


@pytest.fixture
async def runner(runtime: Runtime) -> AsyncIterator[Runner]:
    r = Runner(SqlStore(runtime.engine, runtime.settings.data_dir))
    await r.start(resume=False)
    yield r
    await r.stop(grace_s=1)


async def test_a_refused_step_fails_its_execution_only(
    runner: Runner, runtime: Runtime, workflow_id: int, poison: Any
) -> None:
    await poison("execution_steps", "node_id", "poison")
    bad = await runner.execute(graph(workflow_id, ["a", "poison", "b"]))
    good = await runner.execute(graph(workflow_id, ["a", "b"]))  # in the same writer batch
    await asyncio.gather(bad.wait(), good.wait())
    with pytest.raises(StoreUnavailable):
        await runner.store.flush(bad.id)
    with pytest.raises(StoreUnavailable):  # and ever after
        await runner.store.flush(bad.id)
    await runner.store.flush(good.id)
    assert runner.store.failure(bad.id) and runner.store.failure(good.id) is None

    rec = await stored(runtime, bad.id)
    assert rec["status"] == "error" and rec["error"]["type"] == "store"
    assert rec["result"] is None
    assert (await stored(runtime, good.id))["status"] == "success"

    # Later executions and flushes are not poisoned.
    later = await runner.execute(graph(workflow_id, ["c"]))
    await later.wait()
    await runner.store.flush(later.id)
    await runner.store.flush()
    assert (await stored(runtime, later.id))["status"] == "success"


async def test_a_refused_execution_row_fails_its_flush(
    runner: Runner, runtime: Runtime, workflow_id: int, poison: Any
) -> None:
    await poison("executions", "mode", "webhook")
    started = await runner.execute(graph(workflow_id, ["a"]), mode="webhook")
    with pytest.raises(StoreUnavailable):
        await runner.store.flush(started.id)
    await started.wait()  # it was stopped
    async with runtime.engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT COUNT(*) FROM executions WHERE mode = 'webhook'"))
        ).scalar()
    assert rows == 0  # nothing half-written
    assert started.id not in runner.running


async def test_a_failure_while_a_flush_waits_fails_that_flush(
    runtime: Runtime, workflow_id: int, poison: Any
) -> None:
    """A flush naming no execution fails when a record queued before it failed."""
    await poison("execution_steps", "node_id", "poison")
    store = SqlStore(runtime.engine, runtime.settings.data_dir)
    await store.start()
    try:
        now = dt.datetime.now(dt.UTC)
        record = ExecutionRecord("e" * 32, workflow_id, 1, "running", "manual", now)
        store.create_execution(record)
        store.record_step(StepRecord(record.id, "poison", 0, 1, "success", now, now))
        with pytest.raises(StoreUnavailable):
            await store.flush()
        await store.flush()  # the next one passes
        store.update_execution(record.id, status="success")  # stays failed
        with pytest.raises(StoreUnavailable):
            await store.flush(record.id)
    finally:
        await store.close()
    rec = await stored(runtime, record.id)
    assert rec["status"] == "error" and rec["error"]["type"] == "store"


async def test_an_unwritable_output_file_fails_the_execution(
    runtime: Runtime, workflow_id: int, tmp_path: Path
) -> None:
    """Large outputs are appended to files in the data dir: if that fails, the execution
    fails (its step rows would point at nothing)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "executions").write_text("a file where the folder should be")
    r = Runner(SqlStore(runtime.engine, data_dir))
    await r.start(resume=False)
    try:
        items = [{"n": i} for i in range(2500)]  # streams in batches, appended to files
        started = await r.execute(graph(workflow_id, ["a", "b"]), input_items=items)
        await started.wait()
        with pytest.raises(StoreUnavailable):
            await r.store.flush(started.id)
        await wait_for(lambda: started.task.done(), "the execution stops")
    finally:
        await r.stop(grace_s=1)
    rec = await stored(runtime, started.id)
    assert rec["status"] == "error" and rec["error"]["type"] == "store"


async def test_a_connection_killed_mid_batch_loses_nothing(
    runner: Runner, runtime: Runtime, workflow_id: int
) -> None:
    """PostgreSQL: the writer's connection is terminated while a batch is in the database;
    the batch is written again on a new connection and everything arrives."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    setup = [
        "CREATE TABLE ww_hold (x int)",
        "INSERT INTO ww_hold VALUES (1)",
        "CREATE FUNCTION ww_hold() RETURNS trigger AS $$ BEGIN "
        "IF NEW.node_id = 'slow' AND EXISTS (SELECT 1 FROM ww_hold) THEN "
        "PERFORM pg_sleep(60); END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER ww_hold BEFORE INSERT ON execution_steps FOR EACH ROW "
        "EXECUTE FUNCTION ww_hold()",
    ]
    async with runtime.engine.begin() as conn:
        for stmt in setup:
            await conn.execute(text(stmt))
    try:
        started = await runner.execute(graph(workflow_id, ["a", "slow", "b"]))
        await started.wait()
        flushed = asyncio.ensure_future(runner.store.flush(started.id))

        async def sleeping_backend() -> int | None:
            async with runtime.engine.connect() as conn:
                return (
                    await conn.execute(
                        text(
                            "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
                            "AND datname = current_database()"
                        )
                    )
                ).scalar()

        pid = await wait_for(sleeping_backend, "the writer's batch is held in the database")
        async with runtime.engine.begin() as conn:
            await conn.execute(text("DELETE FROM ww_hold"))
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await asyncio.wait_for(flushed, timeout=30)  # no StoreUnavailable: nothing was lost
        rec = await stored(runtime, started.id)
        assert rec["status"] == "success"
        assert [s["node_id"] for s in rec["steps"]] == ["start", "a", "slow", "b"]
    finally:
        async with runtime.engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER IF EXISTS ww_hold ON execution_steps"))
            await conn.execute(text("DROP FUNCTION IF EXISTS ww_hold()"))
            await conn.execute(text("DROP TABLE IF EXISTS ww_hold"))
