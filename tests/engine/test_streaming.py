"""Large inputs stream through streamable nodes in batches, with the results they would have
had all at once; consumed outputs are released from memory and stored in appended batches.
On every database backend, and with every storage of large outputs (file, db, s3: the
``storage`` fixture of tests/storage/backends.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from tests.engine.nodes import doc
from tests.storage.backends import moto_endpoint, storage
from wirework.engine.executor import CHUNK_ITEMS, ExecutionRun
from wirework.engine.graph import Graph, compile_graph
from wirework.engine.runner import Runner
from wirework.engine.sql_store import SqlStore
from wirework.engine.store import MemoryStore, Store
from wirework.sdk.node import Item, NodeContext, NodeError, Outputs
from wirework.sdk.registry import NodeSpec, Registry, registry
from wirework.services.executions import get_record
from wirework.services.runtime import Runtime
from wirework.storage import Storage, blob_key

__all__ = ["moto_endpoint", "storage"]  # fixtures

N = 3 * CHUNK_ITEMS + 17  # several batches and a partial one
batches: dict[str, list[int]] = {}


class _Any(BaseModel):
    model_config = ConfigDict(extra="allow")


async def _probe(ctx: NodeContext) -> Outputs:
    """Streamable: records the size of every batch it is given."""
    batches.setdefault(ctx.node_id, []).append(len(ctx.items))
    fail_at = ctx.params(None).get("fail_at")
    for item in ctx.items:
        if fail_at is not None and item.get("n") == fail_at:
            raise NodeError(f"item {fail_at} is bad", retryable=False)
    return {"main": list(ctx.items)}


async def _whole(ctx: NodeContext) -> Outputs:
    """Not streamable: sees all its items at once."""
    batches.setdefault(ctx.node_id, []).append(len(ctx.items))
    return {"main": list(ctx.items)}


def _registry() -> Registry:
    reg = Registry()
    reg._loaded = True
    for spec in registry.nodes():
        reg.register_node(spec)
    reg.register_node(NodeSpec("t.probe", "Probe", "", "data", _Any, run=_probe, streaming=True))
    reg.register_node(NodeSpec("t.whole", "Whole", "", "data", _Any, run=_whole))
    return reg


REG = _registry()


@pytest.fixture(autouse=True)
def _reset() -> None:
    batches.clear()


@pytest.fixture
async def runner(runtime: Runtime, storage: Storage) -> AsyncIterator[Runner]:
    r = Runner(SqlStore(runtime.engine, runtime.settings.data_dir, storage=storage))
    await r.start(resume=False)
    yield r
    await r.stop(grace_s=1)


def items(n: int = N) -> list[Item]:
    return [{"n": i, "team": f"t{i % 3}"} for i in range(n)]


def compile_(workflow_id: int, document: dict[str, Any]) -> Graph:
    return compile_graph(document, workflow_id=workflow_id, version=1, reg=REG)


async def run(runner: Runner, g: Graph, data: list[Item]) -> ExecutionRun:
    started = await runner.execute(g, input_items=data)
    await started.wait()
    await runner.store.flush()
    return started.run


async def record(
    runtime: Runtime,
    execution_id: str,
    max_items: int | None = None,
    storage: Storage | None = None,
) -> dict[str, Any]:
    async with runtime.sessionmaker() as session:
        record = await get_record(session, execution_id, max_items=max_items, storage=storage)
        return record.model_dump(mode="json")


PIPELINE = doc(
    [
        {"id": "start", "type": "core.manual"},
        {"id": "set", "type": "core.set", "params": {"fields": {"group": "{{ json.team }}"}}},
        {"id": "probe", "type": "t.probe"},
        {"id": "filter", "type": "core.filter", "params": {"condition": "{{ json.n % 2 == 0 }}"}},
        {
            "id": "agg",
            "type": "core.transform",
            "params": {
                "operation": "aggregate",
                "group_by": ["group"],
                "aggregations": [{"op": "sum", "field": "n"}, {"op": "count"}],
            },
        },
    ],
    [("start", "set"), ("set", "probe"), ("probe", "filter"), ("filter", "agg")],
)


def expected_aggregate(n: int = N) -> list[Item]:
    groups: dict[str, list[int]] = {}
    for i in range(n):
        if i % 2 == 0:
            groups.setdefault(f"t{i % 3}", []).append(i)
    return [{"group": g, "sum_n": sum(v), "count": len(v)} for g, v in groups.items()]


async def test_large_input_streams_in_batches_with_the_same_results(
    runner: Runner, runtime: Runtime, workflow_id: int, storage: Storage
) -> None:
    data = items()
    run_ = await run(runner, compile_(workflow_id, PIPELINE), data)
    assert run_.record.status == "success", run_.record.error
    # the probe in the middle of the region saw batches, never the whole list
    assert batches["probe"] == [CHUNK_ITEMS] * 3 + [17]
    assert sorted(run_.result(), key=lambda r: r["group"]) == sorted(
        expected_aggregate(), key=lambda r: r["group"]
    )
    # the run took its input and let go of it batch by batch
    assert data == []
    # consumed outputs were released from memory (filter's once agg had taken it)
    assert run_.outputs["set"] == {} and run_.outputs["probe"] == {}
    assert run_.outputs["filter"] == {}
    assert len(run_.outputs["agg"]["main"]) == 3
    # ...but every step's output is stored in full, in appended batches
    rec = await record(runtime, run_.record.id, storage=storage)
    steps = {s["node_id"]: s for s in rec["steps"]}
    assert [s["status"] for s in rec["steps"]] == ["success"] * 5
    assert steps["start"]["output"]["main"] == items()
    assert steps["set"]["output"]["main"] == [{**i, "group": i["team"]} for i in items()]
    assert len(steps["filter"]["output"]["main"]) == (N + 1) // 2
    assert rec["result"] == run_.result()
    chunks = [c async for c in storage.read(blob_key(run_.record.id, "set", 0, 1))]
    assert len(chunks) == 4  # one chunk per batch: never one growing blob
    # the API's record shows the first items of each port, and says it does
    shown = await record(runtime, run_.record.id, max_items=10, storage=storage)
    steps = {s["node_id"]: s for s in shown["steps"]}
    assert steps["set"]["output"]["main"] == [{**i, "group": i["team"]} for i in items(10)]
    assert steps["set"]["truncated"] is True and steps["set"]["items_out"] == N
    assert steps["agg"]["truncated"] is False and shown["result_truncated"] is False


async def test_small_inputs_do_not_stream(runner: Runner, workflow_id: int) -> None:
    run_ = await run(runner, compile_(workflow_id, PIPELINE), items(CHUNK_ITEMS))
    assert run_.record.status == "success"
    assert batches["probe"] == [CHUNK_ITEMS]
    assert len(run_.outputs["set"]["main"]) == CHUNK_ITEMS  # nothing released


async def test_a_node_reading_items_or_mid_stream_nodes_sees_the_whole_list(
    runner: Runner, workflow_id: int
) -> None:
    document = doc(
        [
            {"id": "start", "type": "core.manual"},
            {"id": "a", "type": "t.probe"},
            {"id": "b", "type": "t.probe", "params": {"x": "{{ items | length }}"}},
            {"id": "c", "type": "t.probe", "params": {"x": "{{ nodes['b'].json.n }}"}},
            {"id": "d", "type": "t.probe"},
        ],
        [("start", "a"), ("a", "b"), ("b", "c"), ("c", "d")],
    )
    run_ = await run(runner, compile_(workflow_id, document), items())
    assert run_.record.status == "success"
    assert batches["a"] == [CHUNK_ITEMS] * 3 + [17]
    assert batches["b"] == [N]  # reads `items`: whole list
    # c reads b by name: b is done by then, so c streams (and so does d, in c's region)
    assert batches["c"] == [CHUNK_ITEMS] * 3 + [17]
    assert batches["d"] == [CHUNK_ITEMS] * 3 + [17]
    assert run_.outputs["b"]["main"][0] == {"n": 0, "team": "t0"}  # read by name: kept


async def test_branches_and_boundaries_keep_item_order(
    runner: Runner, runtime: Runtime, workflow_id: int, storage: Storage
) -> None:
    document = doc(
        [
            {"id": "start", "type": "core.manual"},
            {"id": "if", "type": "core.if", "params": {"condition": "{{ json.n % 3 == 0 }}"}},
            {"id": "yes", "type": "core.set", "params": {"fields": {"tag": "yes"}}},
            {"id": "no", "type": "t.whole"},
            {"id": "merge", "type": "core.merge", "params": {"mode": "append"}},
        ],
        [
            ("start", "if"),
            ("if", "yes", "true"),
            ("if", "no", "false"),
            ("yes", "merge", "main", "in1"),
            ("no", "merge", "main", "in2"),
        ],
    )
    run_ = await run(runner, compile_(workflow_id, document), items())
    assert run_.record.status == "success", run_.record.error
    assert batches["no"] == [N - (N + 2) // 3]  # outside the region: all at once
    result = run_.result()
    yes = [{**i, "tag": "yes"} for i in items() if i["n"] % 3 == 0]
    no = [i for i in items() if i["n"] % 3 != 0]
    assert result == yes + no
    rec = await record(runtime, run_.record.id, storage=storage)
    steps = {s["node_id"]: s for s in rec["steps"]}
    assert steps["if"]["output"] == {
        "true": [i for i in items() if i["n"] % 3 == 0],
        "false": no,
    }


async def test_failure_mid_stream_fails_the_node_and_cancels_the_region(
    runner: Runner, runtime: Runtime, workflow_id: int, storage: Storage
) -> None:
    document = doc(
        [
            {"id": "start", "type": "core.manual"},
            {"id": "a", "type": "t.probe"},
            {"id": "b", "type": "t.probe", "params": {"fail_at": CHUNK_ITEMS + 5}},
            {"id": "c", "type": "t.probe"},
        ],
        [("start", "a"), ("a", "b"), ("b", "c")],
    )
    run_ = await run(runner, compile_(workflow_id, document), items())
    assert run_.record.status == "error"
    assert run_.record.error is not None
    assert run_.record.error["node_id"] == "b"
    assert f"item {CHUNK_ITEMS + 5} is bad" in run_.record.error["message"]
    rec = await record(runtime, run_.record.id, storage=storage)
    steps = {s["node_id"]: s for s in rec["steps"]}
    assert steps["b"]["status"] == "error"
    assert steps["a"]["status"] == "canceled"  # it had only passed some batches on
    assert steps["c"]["status"] == "canceled"
    assert steps["a"]["error"]["type"] == "canceled"
    assert batches["a"] == [CHUNK_ITEMS, CHUNK_ITEMS]  # stopped at the failing batch


async def test_result_released_mid_stream_is_read_back(runner: Runner, workflow_id: int) -> None:
    document = doc(
        [
            {"id": "start", "type": "core.manual"},
            {"id": "set", "type": "core.set", "params": {"fields": {"x": 1}}},
            {"id": "none", "type": "core.filter", "params": {"condition": "{{ json.n < 0 }}"}},
        ],
        [("start", "set"), ("set", "none")],
    )
    run_ = await run(runner, compile_(workflow_id, document), items())
    assert run_.record.status == "success"
    assert run_.record.result_node == "set"  # the last node that emitted anything
    assert run_.result() == [{**i, "x": 1} for i in items()]


def local_blobs(runtime: Runtime, execution_id: str) -> bool:
    return (runtime.settings.data_dir / "executions" / execution_id).exists()


async def test_outputs_go_to_the_storage_only(
    runner: Runner, runtime: Runtime, workflow_id: int, storage: Storage
) -> None:
    """Large outputs live in the configured storage: with db or s3 nothing is written to
    the local disk (what distributed mode needs), and the store reads them back from it."""
    run_ = await run(runner, compile_(workflow_id, PIPELINE), items())
    assert run_.record.status == "success"
    if storage.scheme != "file":
        assert not local_blobs(runtime, run_.record.id)
    async with runtime.sessionmaker() as session:
        from sqlalchemy import select

        from wirework.db.models import ExecutionStep

        paths = dict(
            (
                await session.execute(
                    select(ExecutionStep.node_id, ExecutionStep.output_path).where(
                        ExecutionStep.execution_id == run_.record.id
                    )
                )
            ).all()
        )
    assert paths["set"] == blob_key(run_.record.id, "set", 0, 1)  # a key, not a local path
    assert paths["agg"] is None  # small: inline in its row
    steps = {s.node_id: s for s in await runner.store.load_steps(run_.record.id)}
    assert steps["probe"].output == {"main": [{**i, "group": i["team"]} for i in items()]}


async def test_a_large_output_of_few_items_goes_to_the_storage(
    runner: Runner, runtime: Runtime, workflow_id: int, storage: Storage
) -> None:
    """An output under CHUNK_ITEMS items but too large for its row (> spill_bytes) is one
    chunk in the storage."""
    big = [{"n": i, "text": "x" * 2000} for i in range(200)]  # ~400 KB, 200 items
    document = doc(
        [{"id": "start", "type": "core.manual"}, {"id": "a", "type": "t.whole"}],
        [("start", "a")],
    )
    run_ = await run(runner, compile_(workflow_id, document), big)
    assert run_.record.status == "success"
    key = blob_key(run_.record.id, "a", 0, 1)
    assert len([c async for c in storage.read(key)]) == 1
    rec = await record(runtime, run_.record.id, storage=storage)
    assert {s["node_id"]: s["output"] for s in rec["steps"]}["a"] == {"main": big}
    if storage.scheme != "file":
        assert not local_blobs(runtime, run_.record.id)


async def test_save_data_none_deletes_the_blobs(
    runner: Runner, workflow_id: int, storage: Storage
) -> None:
    document = {**PIPELINE, "settings": {"save_data": "none"}}
    run_ = await run(runner, compile_(workflow_id, document), items())
    assert run_.record.status == "success"
    assert run_.result() == expected_aggregate() or len(run_.result()) == 3
    for node in ("start", "set", "probe", "filter"):
        assert [c async for c in storage.read(blob_key(run_.record.id, node, 0, 1))] == []


async def test_deleting_the_workflow_deletes_its_executions_blobs(
    runner: Runner, runtime: Runtime, workflow_id: int, storage: Storage
) -> None:
    from wirework.services import workflows
    from wirework.services.executions import delete_stored_outputs

    first = await run(runner, compile_(workflow_id, PIPELINE), items())
    second = await run(runner, compile_(workflow_id, PIPELINE), items())
    keys = [blob_key(r.record.id, "set", 0, 1) for r in (first, second)]
    for key in keys:
        assert [c async for c in storage.read(key)] != []
    async with runtime.sessionmaker() as session:
        stored = await workflows.delete(session, workflow_id)
        await session.commit()
    assert sorted(stored) == sorted(r.record.id for r in (first, second))
    await delete_stored_outputs(storage, stored)
    for key in keys:
        assert [c async for c in storage.read(key)] == []


@pytest.mark.parametrize("store_kind", ["memory"])
async def test_memory_store_gets_the_same_records(store_kind: str) -> None:
    store: Store = MemoryStore()
    r = Runner(store)
    await r.start(resume=False)
    try:
        run_ = await run(r, compile_(1, PIPELINE), items())
    finally:
        await r.stop(grace_s=1)
    assert run_.record.status == "success"
    steps = {s.node_id: s for s in await store.load_steps(run_.record.id)}
    assert steps["set"].output is not None
    assert len(steps["set"].output["main"]) == N
    assert steps["start"].output == {"main": items()}


async def test_a_finished_execution_is_freed_without_the_cyclic_gc() -> None:
    """No reference cycle per execution: under load, cycles cost long GC pauses."""
    import gc
    import weakref

    from tests.engine.waiting import wait_for

    r = Runner(MemoryStore())
    await r.start(resume=False)
    document = doc(
        [
            {"id": "start", "type": "core.manual"},
            {
                "id": "set",
                "type": "core.set",
                "params": {"fields": {"b": "{{ nodes.start.json.n }}"}},
            },
        ],
        [("start", "set")],
    )
    try:
        started = await r.execute(compile_(1, document), input_items=[{"n": 1}])
        await started.wait()
        assert started.run.outputs["set"]["main"] == [{"n": 1, "b": 1}]
        ref = weakref.ref(started.run)
        gc.disable()
        try:
            del started
            await wait_for(lambda: ref() is None, "the finished run is freed", limit_s=5)
        finally:
            gc.enable()
    finally:
        await r.stop(grace_s=1)


async def test_an_execution_started_and_ended_in_one_batch_is_one_row(
    runtime: Runtime, workflow_id: int
) -> None:
    """The writer folds an execution's updates into its insert when both are queued together;
    the row reads back with every update applied, in order."""
    import copy
    import datetime as dt

    from sqlalchemy import select

    from wirework.db.models import Execution
    from wirework.engine.store import ExecutionRecord

    store = SqlStore(runtime.engine, runtime.settings.data_dir)
    now = dt.datetime.now(dt.UTC)
    record = ExecutionRecord(
        id="f" * 32, workflow_id=workflow_id, workflow_version=1, status="running", mode="cli",
        started_at=now,
    )  # fmt: skip
    store.create_execution(record)
    store.update_execution(record.id, status="waiting", wait_until=now)
    store.update_execution(record.id, status="success", finished_at=now, wait_until=None)
    from wirework.engine.sql_store import _plan

    queued = [store._queue.get_nowait() for _ in range(3)]
    plan, _ = _plan([copy.copy(op) for op in queued])
    assert len(plan) == 1  # one INSERT, the updates folded into it
    for op in queued:
        store._queue.put_nowait(op)
    await store.start()  # the writer sees all three in one batch
    await store.flush()
    await store.close()
    async with runtime.sessionmaker() as session:
        row = (
            await session.execute(select(Execution).where(Execution.id == record.id))
        ).scalar_one()
    assert row.status == "success" and row.wait_until is None
    assert row.finished_at is not None
