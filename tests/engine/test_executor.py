"""Graph semantics, failure handling, waits, cancel and resume — on every database backend."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import update

from tests.engine import nodes as t
from tests.engine.nodes import doc
from tests.engine.waiting import wait_for
from wirework.db.models import Execution
from wirework.engine.executor import ExecutionRun
from wirework.engine.graph import Graph, compile_graph
from wirework.engine.runner import Runner
from wirework.engine.sql_store import SqlStore
from wirework.engine.store import StepRecord
from wirework.services.executions import get_record
from wirework.services.runtime import Runtime

REG = t.registry()


@pytest.fixture(autouse=True)
def _reset() -> None:
    t.calls.clear()
    t.events.clear()
    t.gates.clear()


@pytest.fixture
async def runner(runtime: Runtime, workflow_id: int) -> AsyncIterator[Runner]:
    graphs: dict[int, Graph] = {}
    store = SqlStore(runtime.engine, runtime.settings.data_dir)

    async def load(wf: int, version: int | None) -> Graph:
        return graphs[wf]

    r = Runner(store, load_graph=load)
    r.graphs = graphs  # type: ignore[attr-defined]
    await r.start(resume=False)
    yield r
    await r.stop(grace_s=1)


def graph(runner: Runner, workflow_id: int, document: dict[str, Any]) -> Graph:
    g = compile_graph(document, workflow_id=workflow_id, version=1, reg=REG)
    runner.graphs[workflow_id] = g  # type: ignore[attr-defined]
    return g


async def run(runner: Runner, g: Graph, items: list[dict[str, Any]] | None = None) -> ExecutionRun:
    started = await runner.execute(g, input_items=items)
    await started.wait()
    await runner.store.flush()
    return started.run


def statuses(run_: ExecutionRun) -> dict[str, str]:
    return dict(run_.status)


async def expire_lease(runtime: Runtime, execution_id: str) -> None:
    """Time passes: the execution's lease lies in the past."""
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    async with runtime.engine.begin() as conn:
        await conn.execute(
            update(Execution).where(Execution.id == execution_id).values(lease_until=past)
        )


async def record(runtime: Runtime, execution_id: str) -> dict[str, Any]:
    async with runtime.sessionmaker() as session:
        return (await get_record(session, execution_id)).model_dump(mode="json")


async def test_linear_items_and_record(runner: Runner, runtime: Runtime, workflow_id: int) -> None:
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "a", "type": "t.set", "params": {"fields": {"x": 1}}},
                {"id": "b", "type": "t.set", "params": {"fields": {"y": 2}}},
            ],
            [("start", "a"), ("a", "b")],
        ),
    )
    r = await run(runner, g, [{"n": 1}, {"n": 2}])
    assert r.record.status == "success"
    assert r.result() == [{"n": 1, "x": 1, "y": 2}, {"n": 2, "x": 1, "y": 2}]
    rec = await record(runtime, r.record.id)
    assert rec["status"] == "success" and rec["finished_at"]
    assert [s["node_id"] for s in rec["steps"]] == ["start", "a", "b"]
    assert rec["steps"][1]["output"] == {"main": [{"n": 1, "x": 1}, {"n": 2, "x": 1}]}
    assert rec["result"] == r.result()


async def test_untaken_branch_is_skipped_with_what_only_it_feeds(
    runner: Runner, workflow_id: int
) -> None:
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "if", "type": "t.route", "params": {"key": "ok"}},
                {"id": "yes", "type": "t.set", "params": {"fields": {"b": "yes"}}},
                {"id": "no", "type": "t.set", "params": {"fields": {"b": "no"}}},
                {"id": "after_no", "type": "t.set"},
                {"id": "join", "type": "t.noop"},
            ],
            [
                ("start", "if"),
                ("if", "yes", "true"),
                ("if", "no", "false"),
                ("no", "after_no"),
                ("yes", "join"),
                ("after_no", "join"),
            ],
        ),
    )
    r = await run(runner, g, [{"ok": True}])
    assert r.record.status == "success"
    assert statuses(r) | {} == {
        "start": "success",
        "if": "success",
        "yes": "success",
        "no": "skipped",
        "after_no": "skipped",
        "join": "success",
    }
    assert t.calls["no"] == 0 and t.calls["after_no"] == 0
    assert r.outputs["join"]["main"] == [{"ok": True, "b": "yes"}]


async def test_merge_waits_for_non_skipped_inputs(runner: Runner, workflow_id: int) -> None:
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "if", "type": "t.route", "params": {"key": "ok"}},
                {"id": "slow", "type": "t.sleep", "params": {"seconds": 0.05}},
                {"id": "other", "type": "t.set", "params": {"fields": {"o": 1}}},
                {"id": "never", "type": "t.set"},
                {"id": "merge", "type": "t.merge"},
            ],
            [
                ("start", "if"),
                ("start", "other"),
                ("if", "slow", "true"),
                ("if", "never", "false"),
                ("slow", "merge", "main", "a"),
                ("other", "merge", "main", "b"),
                ("never", "merge", "main", "b"),
            ],
        ),
    )
    r = await run(runner, g, [{"ok": True}])
    assert r.status["never"] == "skipped"
    assert r.outputs["merge"]["main"] == [{"ok": True}, {"ok": True, "o": 1}]
    assert t.calls["merge"] == 1


async def test_independent_branches_run_concurrently(runner: Runner, workflow_id: int) -> None:
    branches = [f"s{i}" for i in range(5)]
    g = graph(
        runner,
        workflow_id,
        doc(
            [{"id": "start", "type": "t.trigger"}]
            + [{"id": b, "type": "t.sleep", "params": {"seconds": 0.05}} for b in branches],
            [("start", b) for b in branches],
        ),
    )
    await run(runner, g)
    # every branch started before any finished
    assert [e.split(":")[0] for e in t.events[:5]] == ["start"] * 5


async def test_retry_then_success_records_each_attempt(
    runner: Runner, runtime: Runtime, workflow_id: int
) -> None:
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {
                    "id": "flaky",
                    "type": "t.fail",
                    "params": {"times": 2},
                    "retry": {"max_attempts": 3, "backoff_s": 0.001},
                },
            ],
            [("start", "flaky")],
        ),
    )
    r = await run(runner, g)
    assert r.record.status == "success"
    rec = await record(runtime, r.record.id)
    attempts = [(s["attempt"], s["status"]) for s in rec["steps"] if s["node_id"] == "flaky"]
    assert attempts == [(1, "error"), (2, "error"), (3, "success")]
    assert rec["steps"][1]["error"]["message"] == "boom"


async def test_non_retryable_error_is_not_retried(runner: Runner, workflow_id: int) -> None:
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {
                    "id": "bad",
                    "type": "t.fail",
                    "params": {"retryable": False, "message": "bad input"},
                    "retry": {"max_attempts": 5, "backoff_s": 0},
                },
            ],
            [("start", "bad")],
        ),
    )
    r = await run(runner, g)
    assert r.record.status == "error"
    assert r.record.error == {"message": "bad input", "type": "node_error", "node_id": "bad"}
    assert t.calls["bad"] == 1


@pytest.mark.parametrize("on_error", ["continue", "error_output"])
async def test_on_error_continue_and_error_output(
    runner: Runner, workflow_id: int, on_error: str
) -> None:
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "bad", "type": "t.fail", "on_error": on_error},
                {"id": "ok_path", "type": "t.set", "params": {"fields": {"path": "main"}}},
                {"id": "err_path", "type": "t.set", "params": {"fields": {"path": "error"}}},
            ],
            [("start", "bad"), ("bad", "ok_path"), ("bad", "err_path", "error")],
        ),
    )
    r = await run(runner, g, [{"n": 1}])
    assert r.record.status == "success"
    assert r.status["bad"] == "error"
    if on_error == "continue":
        assert r.outputs["ok_path"]["main"] == [{"n": 1, "error": "boom", "path": "main"}]
        assert r.status["err_path"] == "skipped"
    else:
        assert r.status["ok_path"] == "skipped"
        (item,) = r.outputs["err_path"]["main"]
        assert item["path"] == "error" and item["error"]["message"] == "boom"


async def test_node_timeout_and_execution_timeout(runner: Runner, workflow_id: int) -> None:
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "slow", "type": "t.sleep", "params": {"seconds": 5}, "timeout_s": 0.05},
            ],
            [("start", "slow")],
        ),
    )
    r = await run(runner, g)
    assert r.record.status == "error"
    assert r.record.error is not None and "timed out after 0.05 s" in r.record.error["message"]

    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "slow", "type": "t.sleep", "params": {"seconds": 5}},
            ],
            [("start", "slow")],
            timeout_s=0.05,
        ),
    )
    r = await run(runner, g)
    assert r.record.status == "error" and r.record.error is not None
    assert r.record.error["type"] == "timeout"


async def test_cancel_running_execution(runner: Runner, runtime: Runtime, workflow_id: int) -> None:
    t.gates["g"] = asyncio.Event()
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "hold", "type": "t.gate", "params": {"gate": "g"}},
            ],
            [("start", "hold")],
        ),
    )
    started = await runner.execute(g)
    await wait_for(lambda: t.calls["hold"] == 1, "the execution is held")
    record_ = await runner.cancel(started.id)
    assert record_.status == "canceled"
    await runner.store.flush()
    assert (await record(runtime, started.id))["status"] == "canceled"


async def test_short_wait_inline_long_wait_parks_and_resumes(
    runner: Runner, runtime: Runtime, workflow_id: int
) -> None:
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "wait", "type": "t.wait", "params": {"seconds": 0.01}},
                {"id": "after", "type": "t.set", "params": {"fields": {"done": True}}},
            ],
            [("start", "wait"), ("wait", "after")],
        ),
    )
    r = await run(runner, g, [{"n": 1}])
    assert r.record.status == "success" and r.result() == [{"n": 1, "done": True}]
    t.calls.clear()

    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "wait", "type": "t.wait", "params": {"seconds": 3600}},
                {"id": "after", "type": "t.set", "params": {"fields": {"done": True}}},
            ],
            [("start", "wait"), ("wait", "after")],
        ),
    )
    r = await run(runner, g, [{"n": 1}])
    assert r.record.status == "waiting" and r.record.wait_until is not None
    assert r.record.id not in runner.running  # no task is held while waiting
    assert (await record(runtime, r.record.id))["status"] == "waiting"
    # Time passes: pretend the wait is due by rewriting the stored step's wait spec.
    steps = await runner.store.load_steps(r.record.id)
    (waiting,) = [s for s in steps if s.status == "waiting"]
    assert waiting.output is not None
    waiting.output["$wait"][0]["until"] = dt.datetime.now(dt.UTC).isoformat()
    runner.store.record_step(waiting)
    await runner.store.flush()
    started = await runner.resume(r.record.id)
    final = await started.wait()
    assert final.status == "success"
    assert started.run.result() == [{"n": 1, "done": True}]
    assert t.calls["after"] == 1


async def test_webhook_wait_resumes_with_payload(runner: Runner, workflow_id: int) -> None:
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "approve", "type": "t.wait", "params": {"resume": "webhook"}},
                {"id": "after", "type": "t.noop"},
            ],
            [("start", "approve"), ("approve", "after")],
        ),
    )
    r = await run(runner, g, [{"n": 1}])
    assert r.record.status == "waiting" and r.record.wait_until is None
    started = await runner.resume(r.record.id, node_id="approve", payload={"approved": True})
    assert (await started.wait()).status == "success"
    assert started.run.result() == [{"n": 1, "resume": {"approved": True}}]


async def test_resume_after_crash_reruns_only_the_interrupted_step(
    runner: Runner, runtime: Runtime, workflow_id: int
) -> None:
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "a", "type": "t.set", "params": {"fields": {"a": 1}}},
                {"id": "boom", "type": "t.crash"},
                {"id": "b", "type": "t.set", "params": {"fields": {"b": 2}}},
            ],
            [("start", "a"), ("a", "boom"), ("boom", "b")],
        ),
    )
    started = await runner.execute(g, input_items=[{"n": 1}])
    with pytest.raises(t.Crash):
        await started.task
    await runner.store.flush()
    assert (await record(runtime, started.id))["status"] == "running"

    # Another process finds the execution unfinished: it leaves it alone while the owner's
    # lease holds, and takes it over once the lease has lapsed (the owner died).
    fresh = Runner(
        SqlStore(runtime.engine, runtime.settings.data_dir), load_graph=runner.load_graph
    )
    assert fresh.worker_id != runner.worker_id
    await fresh.start(resume=False)
    try:
        assert await fresh.resume_unfinished() == []
        await runner.stop(grace_s=0)  # the owner is gone; its lease lapses
        await expire_lease(runtime, started.id)
        resumed = await fresh.resume_unfinished()
        assert [r.id for r in resumed] == [started.id]
        final = await resumed[0].wait()
        await fresh.store.flush()
    finally:
        await fresh.stop()
    rec = await record(runtime, started.id)
    assert final is not None and rec["status"] == "success"
    assert t.calls["a"] == 1 and t.calls["boom"] == 2 and t.calls["b"] == 1
    assert rec["result"] == [{"n": 1, "a": 1, "b": 2}]


async def test_retry_from_failed_step(runner: Runner, runtime: Runtime, workflow_id: int) -> None:
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "a", "type": "t.set", "params": {"fields": {"a": 1}}},
                {"id": "flaky", "type": "t.fail", "params": {"times": 1}},
            ],
            [("start", "a"), ("a", "flaky")],
        ),
    )
    r = await run(runner, g, [{"n": 1}])
    assert r.record.status == "error"
    started = await runner.retry(r.record.id)
    final = await started.wait()
    await runner.store.flush()
    assert final.status == "success" and final.retry_of == r.record.id
    assert t.calls["a"] == 1 and t.calls["flaky"] == 2
    assert started.run.result() == [{"n": 1, "a": 1}]


async def test_concurrency_limit_queues_executions(runner: Runner, workflow_id: int) -> None:
    t.gates["g"] = asyncio.Event()
    g = graph(
        runner,
        workflow_id,
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "hold", "type": "t.gate", "params": {"gate": "g"}},
            ],
            [("start", "hold")],
            concurrency=1,
        ),
    )
    first = await runner.execute(g)
    second = await runner.execute(g)
    await wait_for(lambda: t.calls["hold"] == 1, "the first execution is held")
    assert first.run.record.status == "running"
    assert second.run.record.status == "queued"
    assert t.calls["hold"] == 1
    t.gates["g"].set()
    await first.wait()
    await second.wait()
    assert second.run.record.status == "success" and t.calls["hold"] == 2


def test_step_record_is_a_plain_dataclass() -> None:
    step = StepRecord("e", "n", 0, 1, "success", dt.datetime.now(dt.UTC))
    assert step.output is None and step.items_out == 0


async def test_save_data_errors_keeps_outputs_of_failed_executions_only(
    runner: Runner, runtime: Runtime, workflow_id: int
) -> None:
    nodes = [
        {"id": "start", "type": "t.trigger"},
        {"id": "a", "type": "t.set", "params": {"fields": {"a": 1}}},
    ]
    g = graph(runner, workflow_id, doc(nodes, [("start", "a")], save_data="errors"))
    ok = await run(runner, g, [{"n": 1}])
    rec = await record(runtime, ok.record.id)
    assert rec["status"] == "success" and all(s["output"] is None for s in rec["steps"])
    nodes.append({"id": "bad", "type": "t.fail", "params": {"retryable": False}})
    g = graph(runner, workflow_id, doc(nodes, [("start", "a"), ("a", "bad")], save_data="errors"))
    failed = await run(runner, g, [{"n": 1}])
    rec = await record(runtime, failed.record.id)
    assert rec["status"] == "error"
    assert [s["output"] for s in rec["steps"] if s["node_id"] == "a"] == [
        {"main": [{"n": 1, "a": 1}]}
    ]
