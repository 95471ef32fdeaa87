"""A resume URL called on several servers at once (distributed mode: each server's runner
is remote and records the resumed wait in the store before handing the execution to a
worker): one call takes the wait, the others are refused, on every database backend."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from tests.engine import nodes as t
from tests.engine.nodes import doc
from wirework.dispatch.embedded import EmbeddedDispatcher
from wirework.engine.graph import Graph, compile_graph
from wirework.engine.runner import NotResumable, Runner, Started
from wirework.engine.sql_store import SqlStore
from wirework.services.runtime import Runtime

REG = t.registry()


class Handed(EmbeddedDispatcher):
    """A server's dispatcher whose workers are elsewhere: what it hands over is noted."""

    remote = True

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[str] = []

    def submit(self, execution_id: str, *, node_id: str | None = None, payload: Any = None) -> None:
        self.submitted.append(execution_id)


async def test_a_resume_url_called_on_two_servers_is_taken_once(
    runtime: Runtime, workflow_id: int
) -> None:
    chain = [
        {"id": "start", "type": "t.trigger"},
        {"id": "pause", "type": "t.wait", "params": {"resume": "webhook"}},
        {"id": "after", "type": "t.noop"},
    ]
    edges = [(a["id"], b["id"]) for a, b in itertools.pairwise(chain)]
    g = compile_graph(doc(chain, edges), workflow_id=workflow_id, version=1, reg=REG)

    async def load(wf: int, version: int | None) -> Graph:
        return g

    def runner(dispatcher: EmbeddedDispatcher | None = None) -> Runner:
        store = SqlStore(runtime.engine, runtime.settings.data_dir)
        return Runner(store, load_graph=load, dispatcher=dispatcher)

    owner = runner()
    servers = [Handed(), Handed(), Handed()]
    remotes = [runner(d) for d in servers]
    for r in (owner, *remotes):
        await r.start(resume=False)
    try:
        started = await owner.execute(g)
        assert (await started.wait()).status == "waiting"
        await owner.store.flush(started.id)
        outcomes = await asyncio.gather(
            *(
                r.resume(started.id, node_id="pause", payload={"by": i})
                for i, r in enumerate(remotes)
            ),
            return_exceptions=True,
        )
        won = [i for i, o in enumerate(outcomes) if isinstance(o, Started)]
        assert len(won) == 1, outcomes
        assert all(isinstance(o, NotResumable) for o in outcomes if not isinstance(o, Started))
        assert [len(d.submitted) for d in servers] == [int(i in won) for i in range(3)]
        (pause,) = [s for s in await owner.store.load_steps(started.id) if s.node_id == "pause"]
        assert pause.status == "success"
        assert pause.output == {"main": [{"resume": {"by": won[0]}}]}
        # Called again later: the wait is over.
        again = remotes[0].resume(started.id, node_id="pause", payload={"by": 9})
        try:
            await again
        except NotResumable:
            pass
        else:
            raise AssertionError("a resumed wait was resumed again")
    finally:
        for r in (owner, *remotes):
            await r.stop(grace_s=0)


async def test_the_sweep_sends_an_old_queued_execution_again_less_often(
    runtime: Runtime, workflow_id: int
) -> None:
    """An execution whose message nobody picked up is re-dispatched by the sweep once its
    lease lapsed; the next copy waits a quarter of its age (at most ten leases), not a
    lease, so a deep backlog is not filled with copies."""
    import datetime as dt

    from sqlalchemy import update

    from wirework.db.models import Execution
    from wirework.engine.outcome import utcnow

    g = compile_graph(
        doc([{"id": "start", "type": "t.trigger"}], []), workflow_id=workflow_id, version=1, reg=REG
    )

    async def load(wf: int, version: int | None) -> Graph:
        return g

    server = Handed()
    sweeper = Runner(
        SqlStore(runtime.engine, runtime.settings.data_dir),
        load_graph=load,
        dispatcher=server,
        lease_s=10,
    )
    await sweeper.start(resume=False)
    try:
        started = await sweeper.execute(g)
        await sweeper.store.flush(started.id)
        assert server.submitted == [started.id]
        # Published 20 minutes ago, its message lost: the lease lapsed long since.
        long_ago = utcnow() - dt.timedelta(minutes=20)
        async with runtime.sessionmaker() as session:
            await session.execute(
                update(Execution)
                .where(Execution.id == started.id)
                .values(started_at=long_ago, lease_until=long_ago, worker=None)
            )
            await session.commit()
        await sweeper.resume_unfinished()
        assert server.submitted == [started.id] * 2
        record = await sweeper.store.load_execution(started.id)
        assert record is not None and record.lease_until is not None
        wait_s = (record.lease_until - utcnow()).total_seconds()
        assert 95 <= wait_s <= 100  # ten leases (a quarter of 20 min is more)
        await sweeper.resume_unfinished()  # the next sweep: not yet
        assert server.submitted == [started.id] * 2
    finally:
        await sweeper.stop(grace_s=0)


def test_redispatch_after_grows_with_age() -> None:
    import datetime as dt

    from wirework.engine.runner import redispatch_after

    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ago = [now - dt.timedelta(seconds=s) for s in (0, 60, 200, 10_000)]
    assert [redispatch_after(a, now, 30) for a in ago] == [30, 30, 50, 300]
