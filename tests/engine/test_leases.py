"""Executions belong to the process running them for a lease it renews: another runner on
the same database takes one over only when it is parked or its lease lapsed, and of several
trying exactly one wins — on every database backend."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, update

from tests.engine import nodes as t
from tests.engine.nodes import doc
from tests.engine.waiting import wait_for
from wirework.db.models import Execution
from wirework.engine.graph import Graph, compile_graph
from wirework.engine.runner import NotResumable, Runner, Started
from wirework.engine.sql_store import SqlStore
from wirework.services.runtime import Runtime

REG = t.registry()


@pytest.fixture(autouse=True)
def _reset() -> None:
    t.calls.clear()
    t.gates.clear()


@pytest.fixture
async def runners(runtime: Runtime) -> AsyncIterator[Callable[..., Any]]:
    """``await make(lease_s=…)``: a started runner of its own (another process, as far as
    the database can tell); all are stopped at the end."""
    made: list[Runner] = []
    graphs: dict[int, Graph] = {}

    async def load(wf: int, version: int | None) -> Graph:
        return graphs[wf]

    async def make(lease_s: float = 30.0) -> Runner:
        r = Runner(
            SqlStore(runtime.engine, runtime.settings.data_dir), load_graph=load, lease_s=lease_s
        )
        r.graphs = graphs  # type: ignore[attr-defined]
        await r.start(resume=False)
        made.append(r)
        return r

    yield make
    for r in made:
        await r.stop(grace_s=0)


def graph(runner: Runner, workflow_id: int, nodes: list[dict[str, Any]]) -> Graph:
    chain = [{"id": "start", "type": "t.trigger"}, *nodes]
    edges = [(a["id"], b["id"]) for a, b in itertools.pairwise(chain)]
    g = compile_graph(doc(chain, edges), workflow_id=workflow_id, version=1, reg=REG)
    runner.graphs[workflow_id] = g  # type: ignore[attr-defined]
    return g


async def row(runtime: Runtime, execution_id: str) -> Execution:
    async with runtime.sessionmaker() as session:
        found = await session.scalar(select(Execution).where(Execution.id == execution_id))
        assert found is not None
        return found


async def expire_lease(runtime: Runtime, execution_id: str) -> None:
    """Time passes: the execution's lease lies in the past."""
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    async with runtime.engine.begin() as conn:
        await conn.execute(
            update(Execution).where(Execution.id == execution_id).values(lease_until=past)
        )


async def test_a_live_owner_keeps_its_executions(
    runners: Any, runtime: Runtime, workflow_id: int
) -> None:
    owner, other = await runners(), await runners()
    g = graph(owner, workflow_id, [{"id": "hold", "type": "t.gate", "params": {"gate": "g"}}])
    started = await owner.execute(g)
    await owner.store.flush(started.id)
    stored = await row(runtime, started.id)
    assert stored.worker == owner.worker_id and stored.lease_until is not None
    assert await other.resume_unfinished() == []
    with pytest.raises(NotResumable):
        await other.resume(started.id)
    t.gates.open("g")
    assert (await started.wait()).status == "success"
    assert t.calls["hold"] == 1


async def test_a_stopping_runner_hands_its_executions_over(
    runners: Any, runtime: Runtime, workflow_id: int
) -> None:
    """A runner that stops (a server shut down or restarted) leaves its unfinished
    executions unfinished, with leases ended, not canceled: another runner takes them over."""
    owner = await runners()
    g = graph(owner, workflow_id, [{"id": "hold", "type": "t.gate", "params": {"gate": "g"}}])
    started = await owner.execute(g)
    await wait_for(lambda: t.calls["hold"] == 1, "the execution is held")
    await owner.stop(grace_s=0)
    stored = await row(runtime, started.id)
    assert stored.status == "running" and stored.worker == owner.worker_id
    other = await runners()
    t.gates.open("g")
    (resumed,) = await other.resume_unfinished()  # no lease to wait for
    assert (await resumed.wait()).status == "success"
    await other.store.flush(resumed.id)
    assert (await row(runtime, started.id)).worker == other.worker_id
    assert t.calls["hold"] == 2


async def test_a_lapsed_lease_is_taken_over_by_one_runner_only(
    runners: Any, runtime: Runtime, workflow_id: int
) -> None:
    owner = await runners()
    g = graph(
        owner, workflow_id, [{"id": "boom", "type": "t.crash"}, {"id": "b", "type": "t.noop"}]
    )
    started = await owner.execute(g)
    with pytest.raises(t.Crash):
        await started.task  # the process "dies" in the middle of the execution
    await owner.store.flush()
    await owner.stop(grace_s=0)
    await expire_lease(runtime, started.id)

    first, second = await runners(), await runners()
    won = await asyncio.gather(first.resume_unfinished(), second.resume_unfinished())
    resumed: list[Started] = [s for found in won for s in found]
    assert [s.id for s in resumed] == [started.id]  # exactly one of them took it
    assert (await resumed[0].wait()).status == "success"
    await resumed[0].run.store.flush(started.id)
    assert t.calls["boom"] == 2  # the interrupted step again, once
    winner = first if won[0] else second
    assert (await row(runtime, started.id)).worker == winner.worker_id


async def test_a_parked_execution_is_resumed_by_one_runner_only(
    runners: Any, runtime: Runtime, workflow_id: int
) -> None:
    owner = await runners()
    g = graph(
        owner,
        workflow_id,
        [
            {"id": "pause", "type": "t.wait", "params": {"resume": "webhook"}},
            {"id": "after", "type": "t.noop"},
        ],
    )
    started = await owner.execute(g)
    assert (await started.wait()).status == "waiting"
    await owner.store.flush(started.id)
    first, second = await runners(), await runners()
    outcomes = await asyncio.gather(
        first.resume(started.id, node_id="pause", payload={"ok": 1}),
        second.resume(started.id, node_id="pause", payload={"ok": 2}),
        owner.resume(started.id, node_id="pause", payload={"ok": 3}),
        owner.resume(started.id, node_id="pause", payload={"ok": 4}),  # e.g. timer and URL
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, Started)]
    assert len(won) == 1, outcomes
    assert all(isinstance(o, NotResumable) for o in outcomes if o is not won[0])
    assert (await won[0].wait()).status == "success"
    assert t.calls["after"] == 0  # t.noop has no counter; the result tells
    assert len(won[0].run.result()) == 1


def _writer_engine(runner: Runner, runtime: Runtime) -> Engine:
    store = runner.store
    assert isinstance(store, SqlStore)
    return store._sync_engine or runtime.engine.sync_engine


async def test_leases_are_renewed_in_one_statement_for_all_executions(
    runners: Any, runtime: Runtime, workflow_id: int
) -> None:
    owner = await runners(lease_s=0.6)
    g = graph(owner, workflow_id, [{"id": "hold", "type": "t.gate", "params": {"gate": "g"}}])
    started = [await owner.execute(g) for _ in range(5)]
    await owner.store.flush()
    before = {s.id: (await row(runtime, s.id)).lease_until for s in started}
    renewals: list[Any] = []

    def count(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("UPDATE EXECUTIONS SET LEASE_UNTIL"):
            renewals.append(params)

    engine = _writer_engine(owner, runtime)
    event.listen(engine, "before_cursor_execute", count)
    try:
        await wait_for(lambda: len(renewals) >= 2, "two renewal ticks")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # One statement with one row of parameters per tick, whatever the number of executions.
    assert all(not isinstance(p, list) or len(p) == 1 for p in renewals)

    async def all_renewed() -> bool:
        for s in started:
            lease = (await row(runtime, s.id)).lease_until
            if lease is None or lease <= before[s.id]:  # type: ignore[operator]
                return False
        return True

    await wait_for(all_renewed, "every execution's lease is extended")
    t.gates.open("g")
    for s in started:
        await s.wait()


async def test_owner_and_lease_cost_no_extra_statement(
    runners: Any, runtime: Runtime, workflow_id: int
) -> None:
    """Owner and lease are written with the execution's insert, never by statements of
    their own on the hot path."""
    owner = await runners()
    g = graph(owner, workflow_id, [{"id": "a", "type": "t.set"}, {"id": "b", "type": "t.set"}])
    statements: list[str] = []

    def count(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        statements.append(" ".join(statement.split()).lower())

    engine = _writer_engine(owner, runtime)
    event.listen(engine, "before_cursor_execute", count)
    try:
        started = [await owner.execute(g) for _ in range(3)]
        for s in started:
            await s.wait()
        await owner.store.flush(*(s.id for s in started))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    inserts = [s for s in statements if s.startswith("insert into executions ")]
    assert inserts and all("lease_until" in s and "worker" in s for s in inserts)
    assert not [s for s in statements if s.startswith("update") and "lease_until" in s]
    for s in started:
        stored = await row(runtime, s.id)
        assert stored.status == "success" and stored.worker == owner.worker_id


def test_dead_local_workers_are_recognised() -> None:
    import os
    import socket
    import subprocess
    import sys

    from wirework.engine.leases import dead_local_worker, new_worker_id

    me = new_worker_id()
    host = socket.gethostname()[:60]
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert dead_local_worker(f"{host}:{gone.pid}:abcd1234", me)  # its process is gone
    assert dead_local_worker(f"{host}:{os.getpid()}:00000000", me)  # our pid, a predecessor
    assert not dead_local_worker(me, me)
    assert not dead_local_worker(f"{host}:{os.getppid()}:abcd1234", me)  # alive
    assert not dead_local_worker(f"elsewhere-{host}:{gone.pid}:abcd1234", me)  # another host
    assert not dead_local_worker("embedded", me) and not dead_local_worker(None, me)
