"""Heartbeats of the cluster's processes and the queue-depth figures, on every backend; the
broker's queue length on a real Redis and a real RabbitMQ."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.services.seeding import add_execution, add_workflow
from wirework.db.models import Execution, ExecutionStep, Worker
from wirework.engine.leases import new_worker_id
from wirework.errors import InvalidInput
from wirework.services import broker_stats, workers
from wirework.services.runtime import Runtime
from wirework.settings import Settings

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REDIS_URL = os.environ.get("WIREWORK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
AMQP_URL = os.environ.get("WIREWORK_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the broker must be available)")
    pytest.skip(reason)


async def beat(session: AsyncSession, worker_id: str, **kw: object) -> None:
    args: dict[str, object] = {
        "kind": "worker",
        "hostname": "node-a",
        "pid": 41,
        "concurrency": 8,
        "running": 2,
        "details": {"prefetch": 4},
    }
    args.update(kw)
    await workers.heartbeat(session, worker_id=worker_id, **args)  # type: ignore[arg-type]
    await session.commit()


async def test_heartbeat_inserts_then_updates_keeping_started_at(session: AsyncSession) -> None:
    worker_id = new_worker_id()
    await beat(session, worker_id)
    first = (await session.scalars(select(Worker))).one()
    assert (first.kind, first.hostname, first.pid, first.concurrency, first.running) == (
        "worker",
        "node-a",
        41,
        8,
        2,
    )
    assert first.details == {"prefetch": 4}
    started, beat_at = first.started_at, first.last_heartbeat_at
    await asyncio.sleep(0.01)
    await beat(session, worker_id, running=5, details=None)
    session.expire_all()
    row = (await session.scalars(select(Worker))).one()
    assert row.running == 5 and row.details is None
    assert row.started_at == started
    assert row.last_heartbeat_at > beat_at


async def test_concurrent_first_beats_of_one_worker_make_one_row(runtime: Runtime) -> None:
    worker_id = new_worker_id()

    async def one(n: int) -> None:
        async with runtime.sessionmaker() as s:
            await beat(s, worker_id, running=n)

    await asyncio.gather(*(one(n) for n in range(5)))
    async with runtime.sessionmaker() as s:
        assert len((await s.scalars(select(Worker))).all()) == 1


async def test_heartbeat_refuses_an_unknown_kind(session: AsyncSession) -> None:
    with pytest.raises(InvalidInput) as caught:
        await beat(session, "h:1:ab", kind="janitor")
    assert caught.value.errors[0].field == "kind"


async def test_list_marks_stale_workers(session: AsyncSession) -> None:
    await beat(session, "a:1:aa", kind="server")
    await beat(session, "b:2:bb", kind="scheduler", concurrency=0, running=0)
    old = await session.get(Worker, "b:2:bb")
    assert old is not None
    old.last_heartbeat_at = old.last_heartbeat_at - dt.timedelta(seconds=120)
    await session.commit()
    listed = await workers.list_workers(session, stale_after_s=30)
    assert (listed.alive, listed.stale) == (1, 1)
    assert [(w.id, w.alive) for w in listed.workers] == [("a:1:aa", True), ("b:2:bb", False)]
    stale = listed.workers[1]
    assert stale.kind == "scheduler" and stale.seconds_since_heartbeat >= 120
    assert stale.version and stale.details == {"prefetch": 4}
    # A generous threshold: both alive.
    assert (await workers.list_workers(session, stale_after_s=600)).stale == 0


async def test_forget_stale_deletes_only_old_rows(session: AsyncSession) -> None:
    await beat(session, "a:1:aa")
    await beat(session, "b:2:bb")
    old = await session.get(Worker, "b:2:bb")
    assert old is not None
    old.last_heartbeat_at = old.last_heartbeat_at - dt.timedelta(days=2)
    await session.commit()
    assert await workers.forget_stale(session, older_than_s=86400) == 1
    await session.commit()
    assert [w.id for w in (await workers.list_workers(session)).workers] == ["a:1:aa"]


async def test_heartbeats_task_beats_and_leaves_on_stop(runtime: Runtime) -> None:
    running = [3]
    beats = workers.Heartbeats(
        runtime.sessionmaker,
        worker_id="srv:7:cc",
        kind="server",
        running=lambda: running[0],
        interval_s=0.05,
    )
    await beats.start()
    try:
        async with runtime.sessionmaker() as s:
            row = await s.get(Worker, "srv:7:cc")
            assert row is not None and row.running == 3 and row.kind == "server"
        running[0] = 7
        for _ in range(100):
            await asyncio.sleep(0.02)
            async with runtime.sessionmaker() as s:
                row = await s.get(Worker, "srv:7:cc")
                if row is not None and row.running == 7:
                    break
        else:
            pytest.fail("the periodic heartbeat did not update the row")
    finally:
        await beats.stop()
    async with runtime.sessionmaker() as s:
        assert await s.get(Worker, "srv:7:cc") is None


async def test_queue_depth_from_the_database(session: AsyncSession, runtime: Runtime) -> None:
    wf = await add_workflow(session, "q")
    now = dt.datetime.now(dt.UTC)
    for status in ("queued", "queued", "running", "waiting", "success", "error"):
        add_execution(session, wf, now - dt.timedelta(seconds=5), status)
    await session.flush()
    running_id = (
        await session.execute(select(Execution.id).where(Execution.status == "running"))
    ).scalar_one()
    session.add(ExecutionStep(execution_id=running_id, node_id="a", status="running"))
    session.add(ExecutionStep(execution_id=running_id, node_id="b", status="success"))
    await session.commit()
    await beat(session, "w:1:aa", running=4)
    await beat(session, "w:2:bb", running=6)
    gone = await session.get(Worker, "w:2:bb")
    assert gone is not None
    gone.last_heartbeat_at = gone.last_heartbeat_at - dt.timedelta(minutes=5)
    await session.commit()

    depth = await workers.queue_depth(session, runtime.settings)
    assert depth.mode == "embedded" and depth.broker is None
    assert depth.executions.model_dump() == {"queued": 2, "running": 1, "waiting": 1}
    assert depth.running_steps == 1
    assert depth.reported_running == 4  # the stale worker's count is not believed


# -- the broker's queue ---------------------------------------------------------------------


async def test_no_broker_is_a_no_op() -> None:
    assert await broker_stats.broker_queue("", workers.QUEUE_NAME) is None


async def test_redis_queue_length_counts_every_priority_list() -> None:
    from redis.asyncio import Redis

    queue = f"ww_test_{secrets.token_hex(4)}"
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        unavailable(f"Redis at {REDIS_URL} unreachable: {exc}")
    keys = [queue, f"{queue}\x06\x163", f"{queue}\x06\x169"]
    try:
        await client.rpush(keys[0], "m1", "m2")
        await client.rpush(keys[1], "m3")
        await client.rpush(keys[2], "m4")
        got = await broker_stats.broker_queue(REDIS_URL, queue)
        assert got is not None
        assert (got.transport, got.queue, got.messages, got.error) == ("redis", queue, 4, None)
    finally:
        await client.delete(*keys)
        await client.aclose()


def _amqp_connection() -> object:
    import amqp

    conn = amqp.Connection(host="127.0.0.1:5672", userid="guest", password="guest")
    try:
        conn.connect()
    except Exception as exc:
        unavailable(f"RabbitMQ at 127.0.0.1:5672 unreachable: {exc}")
    return conn


async def test_rabbitmq_queue_length_by_a_passive_declare() -> None:
    import amqp

    queue = f"ww_test_{secrets.token_hex(4)}"
    conn = _amqp_connection()
    channel = conn.channel()  # type: ignore[attr-defined]
    channel.queue_declare(queue, durable=False, auto_delete=False)
    try:
        for n in range(3):
            channel.basic_publish(amqp.Message(f"m{n}"), exchange="", routing_key=queue)
        for _ in range(50):  # publishes are asynchronous: wait until the broker counts them
            got = await broker_stats.broker_queue(AMQP_URL, queue)
            assert got is not None and got.error is None, got
            if got.messages == 3:
                break
            await asyncio.sleep(0.05)
        assert got.transport == "amqp" and got.messages == 3
        # A queue nobody declared yet holds nothing (and is not created by asking).
        missing = f"ww_test_{secrets.token_hex(4)}"
        empty = await broker_stats.broker_queue(AMQP_URL, missing)
        assert empty is not None and empty.messages == 0 and empty.error is None
    finally:
        channel.queue_delete(queue)
        conn.close()  # type: ignore[attr-defined]


async def test_unreachable_broker_is_reported_without_its_password() -> None:
    got = await broker_stats.broker_queue("redis://:s3cretpw@127.0.0.1:1/0", "q")
    assert got is not None and got.messages is None
    assert got.error and got.error.startswith("redis broker:")
    assert "s3cretpw" not in got.error
    got = await broker_stats.broker_queue("amqp://u:s3cretpw@127.0.0.1:1//", "q")
    assert got is not None and got.messages is None and got.error
    assert "s3cretpw" not in got.error


async def test_queue_depth_in_distributed_mode_reads_the_broker(
    session: AsyncSession, runtime: Runtime
) -> None:
    settings = Settings(data_dir=runtime.settings.data_dir, broker_url="redis://:pw@127.0.0.1:1/0")
    depth = await workers.queue_depth(session, settings)
    assert depth.mode == "distributed"
    assert depth.broker is not None and depth.broker.queue == workers.QUEUE_NAME == "wirework"
    assert depth.broker.messages is None and depth.broker.error
