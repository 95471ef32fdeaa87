"""Retry backoffs are durable timers: the next attempt is recorded as a waiting step saying
when it is due; a long backoff parks the execution (no task sleeps), a short one sleeps
in-process; a resumed execution runs the attempt when due — in both engine modes
(tests/engine/engines.py: embedded on every database backend, distributed on Redis and
RabbitMQ), where waits over 0.2 s park.

Embedded only: ``test_a_resumed_execution_waits_for_a_pending_retry`` (the process dying
mid-backoff is a task canceled in this process, its record rewritten by hand).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.engine import nodes as t
from tests.engine.engines import Engine, Run
from tests.engine.nodes import doc
from tests.engine.waiting import wait_for
from wirework.engine.executor import Hooks
from wirework.engine.graph import Graph, compile_graph
from wirework.engine.runner import Runner
from wirework.engine.sql_store import SqlStore
from wirework.services.executions import get_record
from wirework.services.runtime import Runtime

REG = t.registry()


def flaky_doc(backoff_s: float, times: int = 1) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [
        {"id": "start", "type": "t.trigger"},
        {
            "id": "flaky",
            "type": "t.fail",
            "params": {"times": times},
            "retry": {"max_attempts": 3, "backoff_s": backoff_s, "jitter": False},
        },
        {"id": "after", "type": "t.set", "params": {"fields": {"done": True}}},
    ]
    edges = [(a["id"], b["id"]) for a, b in itertools.pairwise(nodes)]
    return doc(nodes, edges)


async def test_a_short_backoff_retries_in_process(engine: Engine) -> None:
    r = await engine.run(flaky_doc(0.01), [{"n": 1}])
    assert r.status == "success"
    assert r.attempts() == [
        ("start", 1, "success"),
        ("flaky", 1, "error"),
        ("flaky", 2, "success"),  # the waiting step of attempt 2, finished
        ("after", 1, "success"),
    ]
    assert r.result == [{"n": 1, "done": True}]


async def test_a_long_backoff_parks_the_execution_until_due(engine: Engine) -> None:
    backoff = 0.5
    parked = await engine.run(flaky_doc(backoff), [{"n": 1}])
    assert parked.status == "waiting" and parked.wait_until is not None
    assert parked.id not in engine.host.runner.running  # no task sleeps through the backoff
    assert parked.attempts()[-1] == ("flaky", 2, "waiting")
    (failed,) = [s for s in parked.steps if s["status"] == "error"]

    final: Run = await engine.settled(parked.id)
    assert final.status == "success", final.raw
    assert final.attempts() == [
        ("start", 1, "success"),
        ("flaky", 1, "error"),
        ("flaky", 2, "success"),
        ("after", 1, "success"),
    ]
    retried = next(s for s in final.steps if s["attempt"] == 2)
    gap = dt.datetime.fromisoformat(retried["finished_at"]) - dt.datetime.fromisoformat(
        failed["finished_at"]
    )
    assert gap.total_seconds() >= backoff  # not before the backoff was over
    assert t.calls["flaky"] == 2 and t.calls["after"] == 1
    assert final.result == [{"n": 1, "done": True}]


async def test_a_sub_workflow_retries_in_process(engine: Engine) -> None:
    """A sub-workflow's parent awaits it in-process: its long backoff does not park it."""
    child = await engine.workflow(
        {
            **flaky_doc(0.5),
            "nodes": [
                {"id": "start", "type": "core.workflow_trigger"},
                *flaky_doc(0.5)["nodes"][1:],
            ],
        }
    )
    r = await engine.run(
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "call", "type": "core.subworkflow", "params": {"workflow_id": child}},
            ],
            [("start", "call")],
        ),
        [{"n": 1}],
    )
    assert r.status == "success", r.error
    assert r.result == [{"n": 1, "done": True}]
    assert t.calls["flaky"] == 2


# -- embedded only ----------------------------------------------------------------------------


@pytest.fixture
async def runner(runtime: Runtime) -> AsyncIterator[Runner]:
    t.state.clear()
    graphs: dict[int, Graph] = {}

    async def load(wf: int, version: int | None) -> Graph:
        return graphs[wf]

    # Backoffs over 0.2 s park the execution.
    r = Runner(
        SqlStore(runtime.engine, runtime.settings.data_dir),
        load_graph=load,
        hooks=Hooks(inline_wait_s=0.2),
    )
    r.graphs = graphs  # type: ignore[attr-defined]
    await r.start(resume=False)
    yield r
    await r.stop(grace_s=1)


def flaky_graph(runner: Runner, workflow_id: int, backoff_s: float, times: int = 1) -> Graph:
    g = compile_graph(flaky_doc(backoff_s, times), workflow_id=workflow_id, version=1, reg=REG)
    runner.graphs[workflow_id] = g  # type: ignore[attr-defined]
    return g


async def stored(runtime: Runtime, execution_id: str) -> dict[str, Any]:
    async with runtime.sessionmaker() as session:
        return (await get_record(session, execution_id)).model_dump(mode="json")


def attempts(record: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(s["node_id"], s["attempt"], s["status"]) for s in record["steps"]]


async def test_a_resumed_execution_waits_for_a_pending_retry(
    runner: Runner, runtime: Runtime, workflow_id: int
) -> None:
    """The process died during an in-process backoff: the new one sees the scheduled
    attempt, parks until it is due, then runs it — once."""
    runner.hooks.inline_wait_s = 60  # this backoff sleeps in-process
    g = flaky_graph(runner, workflow_id, 1.0)
    started = await runner.execute(g, input_items=[{"n": 1}])
    # Attempt 1 failed; attempt 2 was recorded as scheduled before the backoff began.
    await wait_for(lambda: t.calls["flaky"] == 1, "attempt 1 failed")
    started.task.cancel()  # stands for the process dying: nothing more is written
    await asyncio.gather(started.task, return_exceptions=True)
    # What the dying process left: attempt 2 scheduled, the execution running.
    # (The cancellation above wrote "canceled"; a killed process writes nothing.)
    await runner.store.flush(started.id)
    store = runner.store
    store.update_execution(started.id, status="running", finished_at=None, error=None)
    await store.flush(started.id)
    record = await stored(runtime, started.id)
    assert attempts(record)[-1] == ("flaky", 2, "waiting")

    resumed = await runner.resume(started.id)
    final = await resumed.wait()
    if final.status == "waiting":  # not yet due when resumed: parked until it is
        record = await wait_for(
            lambda: _finished(runtime, started.id), "the timer resumes the execution"
        )
    else:
        await store.flush(started.id)
        record = await stored(runtime, started.id)
    assert record["status"] == "success", record
    assert t.calls["flaky"] == 2 and t.calls["after"] == 1
    assert attempts(record)[1:3] == [("flaky", 1, "error"), ("flaky", 2, "success")]


async def _finished(runtime: Runtime, execution_id: str) -> dict[str, Any] | None:
    rec = await stored(runtime, execution_id)
    return rec if rec["status"] not in ("waiting", "running") else None
