"""Graph semantics, failure handling, waits, cancel and resume — in both engine modes
(tests/engine/engines.py): embedded on every database backend, and distributed (PostgreSQL,
Redis or RabbitMQ, two worker processes, a scheduler). The bodies read what happened from
the store.

Embedded only (inherently in-process):
- ``test_resume_after_crash_reruns_only_the_interrupted_step``: the crash is an exception
  escaping the runner and the take-over a second Runner in this process, with the lease
  expired by hand (distributed: tests/dispatch/test_distributed.py kills a worker).
- ``test_step_record_is_a_plain_dataclass``: a unit test of a record type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import update

from tests.engine import nodes as t
from tests.engine.engines import Engine
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


async def test_linear_items_and_record(engine: Engine) -> None:
    r = await engine.run(
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "a", "type": "t.set", "params": {"fields": {"x": 1}}},
                {"id": "b", "type": "t.set", "params": {"fields": {"y": 2}}},
            ],
            [("start", "a"), ("a", "b")],
        ),
        [{"n": 1}, {"n": 2}],
    )
    assert r.status == "success" and r.raw["finished_at"]
    assert r.result == [{"n": 1, "x": 1, "y": 2}, {"n": 2, "x": 1, "y": 2}]
    assert [s["node_id"] for s in r.steps] == ["start", "a", "b"]
    assert r.steps[1]["output"] == {"main": [{"n": 1, "x": 1}, {"n": 2, "x": 1}]}


async def test_untaken_branch_is_skipped_with_what_only_it_feeds(engine: Engine) -> None:
    r = await engine.run(
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
        [{"ok": True}],
    )
    assert r.status == "success"
    assert r.statuses == {
        "start": "success",
        "if": "success",
        "yes": "success",
        "no": "skipped",
        "after_no": "skipped",
        "join": "success",
    }
    assert t.calls["no"] == 0 and t.calls["after_no"] == 0
    assert r.outputs["join"]["main"] == [{"ok": True, "b": "yes"}]


async def test_merge_waits_for_non_skipped_inputs(engine: Engine) -> None:
    r = await engine.run(
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
        [{"ok": True}],
    )
    assert r.statuses["never"] == "skipped"
    assert r.outputs["merge"]["main"] == [{"ok": True}, {"ok": True, "o": 1}]
    assert t.calls["merge"] == 1


async def test_independent_branches_run_concurrently(engine: Engine) -> None:
    branches = [f"s{i}" for i in range(5)]
    r = await engine.run(
        doc(
            [{"id": "start", "type": "t.trigger"}]
            + [{"id": b, "type": "t.sleep", "params": {"seconds": 0.05}} for b in branches],
            [("start", b) for b in branches],
        )
    )
    assert r.status == "success"
    # every branch started before any finished
    assert [e.split(":")[0] for e in t.events[:5]] == ["start"] * 5


async def test_retry_then_success_records_each_attempt(engine: Engine) -> None:
    r = await engine.run(
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
        )
    )
    assert r.status == "success"
    assert r.attempts("flaky") == [
        ("flaky", 1, "error"),
        ("flaky", 2, "error"),
        ("flaky", 3, "success"),
    ]
    assert r.steps[1]["error"]["message"] == "boom"


async def test_non_retryable_error_is_not_retried(engine: Engine) -> None:
    r = await engine.run(
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
        )
    )
    assert r.status == "error"
    assert r.error == {"message": "bad input", "type": "node_error", "node_id": "bad"}
    assert t.calls["bad"] == 1


@pytest.mark.parametrize("on_error", ["continue", "error_output"])
async def test_on_error_continue_and_error_output(engine: Engine, on_error: str) -> None:
    r = await engine.run(
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "bad", "type": "t.fail", "on_error": on_error},
                {"id": "ok_path", "type": "t.set", "params": {"fields": {"path": "main"}}},
                {"id": "err_path", "type": "t.set", "params": {"fields": {"path": "error"}}},
            ],
            [("start", "bad"), ("bad", "ok_path"), ("bad", "err_path", "error")],
        ),
        [{"n": 1}],
    )
    assert r.status == "success"
    assert r.statuses["bad"] == "error"
    if on_error == "continue":
        assert r.outputs["ok_path"]["main"] == [{"n": 1, "error": "boom", "path": "main"}]
        assert r.statuses["err_path"] == "skipped"
    else:
        assert r.statuses["ok_path"] == "skipped"
        (item,) = r.outputs["err_path"]["main"]
        assert item["path"] == "error" and item["error"]["message"] == "boom"


async def test_node_timeout_and_execution_timeout(engine: Engine) -> None:
    r = await engine.run(
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "slow", "type": "t.sleep", "params": {"seconds": 5}, "timeout_s": 0.05},
            ],
            [("start", "slow")],
        )
    )
    assert r.status == "error"
    assert r.error is not None and "timed out after 0.05 s" in r.error["message"]

    r = await engine.run(
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "slow", "type": "t.sleep", "params": {"seconds": 5}},
            ],
            [("start", "slow")],
            timeout_s=0.05,
        )
    )
    assert r.status == "error" and r.error is not None
    assert r.error["type"] == "timeout"


async def test_cancel_running_execution(engine: Engine) -> None:
    started = await engine.start(
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "hold", "type": "t.gate", "params": {"gate": "g"}},
                {"id": "after", "type": "t.set"},
            ],
            [("start", "hold"), ("hold", "after")],
        )
    )
    await wait_for(lambda: t.calls["hold"] == 1, "the execution is held")
    assert (await engine.cancel(started.id)).status == "canceled"
    await started.wait()
    await engine.halted(started.id)
    t.gates.open("g")
    assert (await engine.record(started.id)).status == "canceled"
    assert t.calls["after"] == 0


async def test_short_wait_inline_long_wait_parks_and_resumes(engine: Engine) -> None:
    nodes: list[dict[str, Any]] = [
        {"id": "start", "type": "t.trigger"},
        {"id": "wait", "type": "t.wait", "params": {"seconds": 0.01}},
        {"id": "after", "type": "t.set", "params": {"fields": {"done": True}}},
    ]
    edges = [("start", "wait"), ("wait", "after")]
    r = await engine.run(doc(nodes, edges), [{"n": 1}])
    assert r.status == "success" and r.result == [{"n": 1, "done": True}]
    t.calls.clear()

    nodes[1]["params"]["seconds"] = 3600
    r = await engine.run(doc(nodes, edges), [{"n": 1}])
    assert r.status == "waiting" and r.wait_until is not None
    assert r.id not in engine.host.runner.running  # no task is held while waiting
    assert t.calls["after"] == 0
    # Time passes: the wait is due; the timers resume the execution.
    await engine.make_due(r.id)
    final = await engine.settled(r.id)
    assert final.status == "success"
    assert final.result == [{"n": 1, "done": True}]
    assert t.calls["after"] == 1


async def test_webhook_wait_resumes_with_payload(engine: Engine) -> None:
    r = await engine.run(
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "approve", "type": "t.wait", "params": {"resume": "webhook"}},
                {"id": "after", "type": "t.noop"},
            ],
            [("start", "approve"), ("approve", "after")],
        ),
        [{"n": 1}],
    )
    assert r.status == "waiting" and r.wait_until is None
    final = await engine.resume(r.id, node_id="approve", payload={"approved": True})
    assert final.status == "success"
    assert final.result == [{"n": 1, "resume": {"approved": True}}]


async def test_retry_from_failed_step(engine: Engine) -> None:
    r = await engine.run(
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "a", "type": "t.set", "params": {"fields": {"a": 1}}},
                {"id": "flaky", "type": "t.fail", "params": {"times": 1}},
            ],
            [("start", "a"), ("a", "flaky")],
        ),
        [{"n": 1}],
    )
    assert r.status == "error"
    final = await engine.retry(r.id)
    assert final.status == "success" and final.retry_of == r.id
    assert t.calls["a"] == 1 and t.calls["flaky"] == 2
    assert final.result == [{"n": 1, "a": 1}]


async def test_concurrency_limit_queues_executions(engine: Engine) -> None:
    wf = await engine.workflow(
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "hold", "type": "t.gate", "params": {"gate": "g"}},
            ],
            [("start", "hold")],
            concurrency=1,
        )
    )
    first = await engine.start(wf)
    await wait_for(lambda: t.calls["hold"] == 1, "the first execution is held")
    second = await engine.start(wf)

    async def queued() -> bool:
        return await engine.stored_status(second.id) == "queued"

    await wait_for(queued, "the second execution is queued")
    assert await engine.stored_status(first.id) == "running"
    assert t.calls["hold"] == 1
    t.gates.open("g")
    assert (await engine.settled(first.id)).status == "success"
    assert (await engine.settled(second.id)).status == "success"
    assert t.calls["hold"] == 2


async def test_save_data_errors_keeps_outputs_of_failed_executions_only(engine: Engine) -> None:
    nodes = [
        {"id": "start", "type": "t.trigger"},
        {"id": "a", "type": "t.set", "params": {"fields": {"a": 1}}},
    ]
    ok = await engine.run(doc(nodes, [("start", "a")], save_data="errors"), [{"n": 1}])
    assert ok.status == "success" and all(s["output"] is None for s in ok.steps)
    nodes.append({"id": "bad", "type": "t.fail", "params": {"retryable": False}})
    failed = await engine.run(
        doc(nodes, [("start", "a"), ("a", "bad")], save_data="errors"), [{"n": 1}]
    )
    assert failed.status == "error"
    assert [s["output"] for s in failed.steps if s["node_id"] == "a"] == [
        {"main": [{"n": 1, "a": 1}]}
    ]


async def test_sub_workflow_runs_as_its_own_execution(engine: Engine) -> None:
    child = await engine.workflow(
        doc(
            [
                {"id": "in", "type": "core.workflow_trigger"},
                {
                    "id": "double",
                    "type": "core.set",
                    "params": {"fields": {"d": "{{ json.n * 2 }}"}},
                },
            ],
            [("in", "double")],
        )
    )
    r = await engine.run(
        doc(
            [
                {"id": "start", "type": "t.trigger"},
                {"id": "call", "type": "core.subworkflow", "params": {"workflow_id": child}},
            ],
            [("start", "call")],
        ),
        [{"n": 21}],
    )
    assert r.status == "success", r.error
    assert r.result == [{"n": 21, "d": 42}]


async def test_loop_runs_its_body_once_per_batch(engine: Engine) -> None:
    r = await engine.run(
        doc(
            [
                {"id": "in", "type": "t.trigger"},
                {"id": "loop", "type": "core.loop", "params": {"batch_size": 2}},
                {
                    "id": "size",
                    "type": "core.set",
                    "params": {"fields": {"batch": "{{ items | length }}"}},
                },
                {"id": "after_body", "type": "t.set"},
                {
                    "id": "done",
                    "type": "core.transform",
                    "params": {"operation": "aggregate", "aggregations": [{"op": "count"}]},
                },
            ],
            [
                ("in", "loop"),
                ("loop", "size", "loop"),
                ("size", "after_body"),
                ("loop", "done", "done"),
            ],
        ),
        [{"n": i} for i in range(5)],
    )
    assert r.status == "success", r.error
    assert r.outputs["done"]["main"] == [{"count": 5}]
    sizes = sorted((s["run_index"], s["output"]["main"]) for s in r.steps if s["node_id"] == "size")
    assert [len(out) for _, out in sizes] == [2, 2, 1]
    assert t.calls["after_body"] == 5


# -- embedded only ----------------------------------------------------------------------------


@pytest.fixture
async def runner(runtime: Runtime, workflow_id: int) -> AsyncIterator[Runner]:
    t.state.clear()
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
    """Run ``g`` in ``runner`` (embedded; test_expression_timeouts uses it too)."""
    started = await runner.execute(g, input_items=items)
    await started.wait()
    await runner.store.flush()
    return started.run


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


def test_step_record_is_a_plain_dataclass() -> None:
    step = StepRecord("e", "n", 0, 1, "success", dt.datetime.now(dt.UTC))
    assert step.output is None and step.items_out == 0


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
