"""Spread branches end to end: one execution's fork runs on several workers. PostgreSQL, a
real broker (Redis, RabbitMQ), two real `wirework worker` processes; this process is the
server. Which worker ran a spread branch is read from the workers' JSON logs ("branch ran",
with the worker's id); the effects each branch has are counted by the sink per idempotency
key. Skipped when a service is missing (failed under CI=true)."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.dispatch.cluster import Cluster, cluster
from tests.engine.nodes import doc
from tests.engine.waiting import wait_for
from wirework.engine.states import ExecutionStatus


@pytest.fixture(scope="module", params=["redis", "rabbitmq"])
async def cl(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    async with cluster(request.param, tmp_path_factory.mktemp(request.param)) as c:
        yield c


def effect(node_id: str, ms: int, sink: str, **extra: Any) -> dict[str, Any]:
    """A step with an effect on the sink, keyed ``execution:node:run_index``."""
    return {
        "id": node_id,
        "type": "core.http_request",
        "params": {
            "method": "POST",
            "url": sink + f"/effect?ms={ms}",
            "body": {"key": "{{ execution.id }}:" + node_id + ":0"},
        },
        **extra,
    }


def fork(sink: str, n: int, ms: int, *, spread: str = "always", **extra: Any) -> dict[str, Any]:
    """start → b1…bn (effects) → merge (one input per branch)."""
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "core.manual"}]
    conns: list[tuple[str, ...]] = []
    for i in range(1, n + 1):
        nodes.append(effect(f"b{i}", ms, sink, **extra))
        conns += [("start", f"b{i}"), (f"b{i}", "merge", "main", f"in{i}")]
    nodes.append({"id": "merge", "type": "core.merge", "params": {"mode": "append", "inputs": n}})
    return doc(nodes, conns, spread=spread)


def branches_ran(cl: Cluster, execution_id: str) -> dict[str, str]:
    """node → id of the worker that ran it as a spread branch (from the workers' logs)."""
    found = {}
    for name in [n for n in cl.procs if n.startswith("worker")]:
        for line in cl.log_of(name).splitlines():
            if line.startswith("{") and execution_id in line and "branch ran" in line:
                entry = json.loads(line)
                if entry.get("event") == "branch ran":
                    found[entry["node_id"]] = entry["worker"]
    return found


async def run(cl: Cluster, workflow_id: int, limit_s: float = 90) -> Any:
    assert cl.host is not None
    started = await cl.host.execute(workflow_id)
    return await asyncio.wait_for(started.wait(), limit_s), started


async def test_branches_of_one_execution_run_on_two_workers(cl: Cluster) -> None:
    """12 branches, policy always: the worker running the execution keeps 6 and publishes 6;
    it reserves at most one message per task thread (4, one running the execution itself),
    so at least 3 branches run on the other worker."""
    wf = await cl.workflow(fork(cl.sink.url, 12, 300))
    record, started = await run(cl, wf)
    assert record.status == ExecutionStatus.SUCCESS, record.error
    # The merge got every branch's output.
    assert len(started.run.result()) == 12
    steps = await cl.steps(record.id)
    branch_ids = {f"b{i}" for i in range(1, 13)}
    assert {s.node_id for s in steps if s.status == "success"} == {"start", "merge", *branch_ids}
    assert all(cl.sink.effects[f"{record.id}:{b}:0"] == 1 for b in branch_ids)
    ran = await wait_for(lambda: branches_ran(cl, record.id) or None, "branches logged", 10)
    # The worker running the execution kept some branches; others ran on the other worker.
    assert len(ran) < 12
    assert any(worker != record.worker for worker in ran.values()), (ran, record.worker)


async def test_spread_off_keeps_one_worker(cl: Cluster) -> None:
    wf = await cl.workflow(fork(cl.sink.url, 6, 50, spread="off"))
    record, _ = await run(cl, wf)
    assert record.status == ExecutionStatus.SUCCESS, record.error
    await asyncio.sleep(0.5)
    assert branches_ran(cl, record.id) == {}


@pytest.mark.parametrize("on_error", ["continue", "stop"])
async def test_failing_spread_branch(cl: Cluster, on_error: str) -> None:
    sink = cl.sink.url
    bad = {
        "id": "bad",
        "type": "core.http_request",
        "params": {"method": "POST", "url": sink + "/missing"},
        "on_error": on_error,
    }
    nodes = [
        {"id": "start", "type": "core.manual"},
        effect("b1", 200, sink),
        effect("b2", 200, sink),
        effect("b3", 200, sink),
        bad,
        {"id": "merge", "type": "core.merge", "params": {"mode": "append", "inputs": 4}},
    ]
    conns = [
        ("start", "b1"),
        ("start", "b2"),
        ("start", "b3"),
        ("start", "bad"),
        ("b1", "merge", "main", "in1"),
        ("b2", "merge", "main", "in2"),
        ("b3", "merge", "main", "in3"),
        ("bad", "merge", "main", "in4"),
    ]
    wf = await cl.workflow(doc(nodes, conns, spread="always"))
    record, started = await run(cl, wf)
    steps = {s.node_id: s for s in await cl.steps(record.id)}
    assert steps["bad"].status == "error"
    if on_error == "stop":
        assert record.status == ExecutionStatus.ERROR
        assert "404" in record.error["message"] or record.error["message"]
        assert "merge" not in steps
    else:
        assert record.status == ExecutionStatus.SUCCESS, record.error
        items = started.run.result()
        assert len(items) == 4
        assert sum(1 for item in items if "error" in item) == 1


async def test_worker_killed_mid_branch(cl: Cluster) -> None:
    """The worker running a spread branch is killed: its claim lapses, the worker running
    the execution takes the branch back and runs it; the execution finishes. Effects are
    at-least-once: a branch killed mid-call may have had its effect already."""
    assert cl.host is not None
    wf = await cl.workflow(fork(cl.sink.url, 4, 4000))
    started = await cl.host.execute(wf)

    def claimed() -> dict[str, str] | None:
        return claimed_by(cl, started.id) or None

    taken = await wait_for(claimed, "a branch was claimed", 60)
    (execution,) = await cl.executions(wf)
    others = [n for n, w in taken.items() if w != execution.worker]
    victim = (others or list(taken))[0]
    cl.kill(victim, signal.SIGKILL)
    try:
        (final,) = await cl.finished([started.id], 120)
        assert final.status == "success", final.error
        for i in range(1, 5):
            assert cl.sink.effects[f"{started.id}:b{i}:0"] >= 1
        steps = [s for s in await cl.steps(started.id) if s.status == "success"]
        assert {s.node_id for s in steps} >= {f"b{i}" for i in range(1, 5)} | {"merge"}
    finally:
        cl.start_worker(victim)
        await cl.ready(victim)


def claimed_by(cl: Cluster, execution_id: str) -> dict[str, str]:
    """Worker process name → its worker id, for each that claimed a branch of the execution."""
    found = {}
    for name in [n for n in cl.procs if n.startswith("worker")]:
        for line in cl.log_of(name)[cl.offsets.get(name, 0) :].splitlines():
            if line.startswith("{") and execution_id in line and "branch claimed" in line:
                found[name] = json.loads(line)["worker"]
    return found


async def test_coordinator_killed_while_branch_runs_elsewhere(cl: Cluster) -> None:
    """The worker running the execution dies while a spread branch runs on another worker:
    the sweep hands the execution on, and the worker taking it awaits the live branch (not
    running it again) and re-runs only what the dead worker ran itself."""
    assert cl.host is not None
    wf = await cl.workflow(fork(cl.sink.url, 4, 4000))
    started = await cl.host.execute(wf)

    async def elsewhere() -> tuple[str, str] | None:
        (execution,) = await cl.executions(wf)
        coordinator = next(
            (n for n in cl.procs if n.startswith("worker") and _runs(cl, n, execution.worker)),
            None,
        )
        for name, worker in claimed_by(cl, started.id).items():
            if coordinator is not None and worker != execution.worker:
                return coordinator, name
        return None

    coordinator, _ = await wait_for(elsewhere, "a branch runs on the other worker", 60)
    held = set(branches_claimed(cl, started.id, exclude=coordinator))
    cl.kill(coordinator, signal.SIGKILL)
    try:
        (final,) = await cl.finished([started.id], 120)
        assert final.status == "success", final.error
        for i in range(1, 5):
            assert cl.sink.effects[f"{started.id}:b{i}:0"] >= 1
        for node_id in held:  # awaited, not run again
            assert cl.sink.effects[f"{started.id}:{node_id}:0"] == 1
    finally:
        cl.start_worker(coordinator)
        await cl.ready(coordinator)


async def test_cancel_stops_spread_branches(cl: Cluster) -> None:
    assert cl.host is not None
    wf = await cl.workflow(fork(cl.sink.url, 4, 3000))
    started = await cl.host.execute(wf)
    await wait_for(lambda: claimed_by(cl, started.id) or None, "a branch was claimed", 60)
    await cl.host.cancel(started.id)
    (final,) = await cl.finished([started.id], 60)
    assert final.status == "canceled"

    def stopped() -> bool:
        logs = "".join(cl.log_of(n) for n in cl.procs if n.startswith("worker"))
        return any(started.id in line and "branch stopped" in line for line in logs.splitlines())

    await wait_for(stopped, "the spread branches were stopped", 30)
    await asyncio.sleep(4)  # a branch would have ended by now: nothing overwrote the cancel
    (final,) = await cl.finished([started.id], 10)
    assert final.status == "canceled"


def _runs(cl: Cluster, name: str, worker_id: str | None) -> bool:
    """Whether worker process ``name`` has the id ``worker_id`` (its "worker started" line)."""
    log = cl.log_of(name)[cl.offsets.get(name, 0) :]
    return worker_id is not None and f'"worker": "{worker_id}"' in log


def branches_claimed(cl: Cluster, execution_id: str, *, exclude: str) -> list[str]:
    """Nodes of the execution claimed by workers other than process ``exclude``."""
    nodes = []
    for name in [n for n in cl.procs if n.startswith("worker") and n != exclude]:
        for line in cl.log_of(name)[cl.offsets.get(name, 0) :].splitlines():
            if line.startswith("{") and execution_id in line and "branch claimed" in line:
                nodes.append(json.loads(line)["node_id"])
    return nodes


async def test_concurrency_limit_holds_with_spread_branches(cl: Cluster) -> None:
    """settings.concurrency 1: the spread branches of one execution run on several workers,
    but two executions of the workflow never run at once (a branch is part of its
    execution, which is counted once)."""
    assert cl.host is not None
    document = fork(cl.sink.url, 4, 150)
    document["settings"]["concurrency"] = 1
    wf = await cl.workflow(document)
    ids = [(await cl.host.execute(wf)).id for _ in range(4)]
    rows = await cl.finished(ids, limit_s=120)
    assert all(r.status == "success" for r in rows), [r.error for r in rows]
    spans = []
    for eid in ids:
        steps = [s for s in await cl.steps(eid) if s.node_id.startswith("b")]
        assert len(steps) == 4
        spans.append((min(s.started_at for s in steps), max(s.finished_at for s in steps)))
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start, spans
