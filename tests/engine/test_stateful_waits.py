"""A node that waits with a state (``Wait(state=…)``, an agent's approval) is run again when
resumed, seeing ``ctx.resumed``: in this process, and in distributed mode (the payload is
written into its waiting step, a worker runs it on), on every database backend."""

from __future__ import annotations

import itertools

from tests.engine import nodes as t
from tests.engine.nodes import doc
from tests.engine.test_remote_resume import Handed
from wirework.dispatch.embedded import EmbeddedDispatcher
from wirework.engine.graph import Graph, compile_graph
from wirework.engine.runner import Runner
from wirework.engine.sql_store import SqlStore
from wirework.services.runtime import Runtime

REG = t.registry()


def graph(workflow_id: int) -> Graph:
    chain = [
        {"id": "start", "type": "t.trigger"},
        {"id": "ask", "type": "t.ask"},
        {"id": "after", "type": "t.noop"},
    ]
    edges = [(a["id"], b["id"]) for a, b in itertools.pairwise(chain)]
    return compile_graph(doc(chain, edges), workflow_id=workflow_id, version=1, reg=REG)


def runner(runtime: Runtime, g: Graph, dispatcher: EmbeddedDispatcher | None = None) -> Runner:
    async def load(wf: int, version: int | None) -> Graph:
        return g

    store = SqlStore(runtime.engine, runtime.settings.data_dir)
    return Runner(store, load_graph=load, dispatcher=dispatcher)


async def test_resumed_here_the_node_runs_again_with_its_state(
    runtime: Runtime, workflow_id: int
) -> None:
    g = graph(workflow_id)
    r = runner(runtime, g)
    await r.start(resume=False)
    try:
        started = await r.execute(g)
        assert (await started.wait()).status == "waiting"
        await r.store.flush(started.id)
        # Only an approval resumes it; a timer poll does not.
        (ask,) = [s for s in await r.store.load_steps(started.id) if s.node_id == "ask"]
        assert ask.output is not None and ask.output["$wait"][0]["state"] == {"asked": "ask"}
        resumed = await r.resume(started.id, node_id="ask", payload={"ok": True})
        record = await resumed.wait()
        assert record.status == "success", record.error
        await r.store.flush(started.id)
        assert resumed.run.result() == [
            {"state": {"asked": "ask"}, "payload": {"ok": True}, "attempt": 1}
        ]
        steps = [s for s in await r.store.load_steps(started.id) if s.node_id == "ask"]
        assert [(s.attempt, s.status) for s in steps] == [(1, "success")]  # replaced
    finally:
        await r.stop(grace_s=0)


async def test_resumed_on_a_server_run_again_by_a_worker(
    runtime: Runtime, workflow_id: int
) -> None:
    g = graph(workflow_id)
    worker = runner(runtime, g)
    server = Handed()
    remote = runner(runtime, g, server)
    for r in (worker, remote):
        await r.start(resume=False)
    try:
        started = await worker.execute(g)
        assert (await started.wait()).status == "waiting"
        await worker.store.flush(started.id)
        await remote.resume(started.id, node_id="ask", payload={"by": "ann"})
        assert server.submitted == [started.id]
        (ask,) = [s for s in await remote.store.load_steps(started.id) if s.node_id == "ask"]
        assert ask.status == "waiting" and ask.output is not None
        assert ask.output["$wait"][0]["payload"] == {"by": "ann"}
        taken = await worker.resume(started.id)  # the worker the message reaches
        record = await taken.wait()
        assert record.status == "success", record.error
        assert taken.run.result()[0]["payload"] == {"by": "ann"}
    finally:
        for r in (worker, remote):
            await r.stop(grace_s=0)
