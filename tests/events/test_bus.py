"""The bus contract on every backend: two buses on one channel are two processes' views of it
(and one test runs a real second process). Real Redis and PostgreSQL, nothing mocked."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from tests.events.conftest import PG_URL, REDIS_URL
from wirework.events import LOST, Bus, LocalBus
from wirework.events.shared import SharedBus

Make = Any  # the make_bus fixture: an async factory of started buses


async def until(check: Callable[[], bool], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def drain(queue: asyncio.Queue[dict[str, Any]], n: int, within_s: float = 10.0) -> list[Any]:
    return [await asyncio.wait_for(queue.get(), within_s) for _ in range(n)]


async def test_events_cross_buses_in_order_without_cross_talk(make_bus: Make) -> None:
    viewer, other_viewer, worker = await make_bus(), await make_bus(), await make_bus()
    async with viewer.subscribe("ex-a") as qa, other_viewer.subscribe("ex-b") as qb:
        await until(lambda: worker.listening("ex-a") and worker.listening("ex-b"))
        assert not worker.listening("ex-c")
        for i in range(500):
            worker.publish("step.finished", {"execution_id": "ex-a", "i": i})
            worker.publish("step.finished", {"execution_id": "ex-b", "i": -i})
            worker.publish("step.finished", {"execution_id": "ex-c", "i": i})
        worker.publish("execution.finished", {"execution_id": "ex-a", "status": "success"})
        got_a = await drain(qa, 501)
        got_b = await drain(qb, 500)
        assert [e["i"] for e in got_a[:500]] == list(range(500))
        assert got_a[500] == {
            "event": "execution.finished",
            "execution_id": "ex-a",
            "status": "success",
        }
        assert [e["i"] for e in got_b] == [-i for i in range(500)]
        await asyncio.sleep(0.2)
        assert qa.empty() and qb.empty()  # nothing of ex-c, nothing twice


async def test_a_publisher_hears_its_own_subscribers_once(make_bus: Make) -> None:
    bus, other = await make_bus(), await make_bus()
    async with bus.subscribe("ex") as mine, other.subscribe("ex") as theirs:
        await until(lambda: bus.listening("ex"))
        bus.publish("step.started", {"execution_id": "ex", "node_id": "n"})
        assert (await drain(mine, 1))[0]["node_id"] == "n"
        assert (await drain(theirs, 1))[0]["node_id"] == "n"
        await asyncio.sleep(0.3)
        assert mine.empty()  # not again through the backend


async def test_listening_follows_subscriptions_and_ends_with_them(make_bus: Make) -> None:
    viewer, worker = await make_bus(), await make_bus()
    assert not worker.listening("ex") and not viewer.listening("ex")
    async with viewer.subscribe("ex"):
        assert viewer.listening("ex")
        await until(lambda: worker.listening("ex"))
        async with viewer.subscribe("ex"):  # a second tab on the same process
            pass
        await asyncio.sleep(0.2)
        assert worker.listening("ex")  # the first one still follows
    await until(lambda: not worker.listening("ex"))
    # A bus started later learns the watches that already exist (it asks on connecting).
    async with viewer.subscribe("ex2"):
        late = await make_bus()
        await until(lambda: late.listening("ex2"))


@asynccontextmanager
async def spy(kind: str, channel: str) -> AsyncIterator[list[Any]]:
    """Every message on the backend's channel, as a third party listening to it sees them."""
    seen: list[Any] = []
    if kind == "redis":
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(REDIS_URL)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel)

        async def pump() -> None:
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message:
                    seen.append(message["data"])

        task = asyncio.create_task(pump())
        try:
            yield seen
        finally:
            task.cancel()
            await pubsub.aclose()
            await client.aclose()
    else:
        import asyncpg

        conn = await asyncpg.connect(PG_URL)
        await conn.add_listener(channel, lambda *args: seen.append(args[-1]))
        try:
            yield seen
        finally:
            await conn.close()


async def test_nobody_listening_costs_no_message(make_bus: Make) -> None:
    worker = await make_bus()
    assert isinstance(worker, SharedBus)
    async with spy(make_bus.kind, worker.channel) as seen:
        await asyncio.sleep(0.1)
        started = time.perf_counter()
        for i in range(10_000):
            worker.listening("ex")
            worker.publish("step.started", {"execution_id": "ex", "i": i})
        per_publish = (time.perf_counter() - started) / 10_000
        await asyncio.sleep(0.5)
        events = [m for m in seen if '"e":' in (m if isinstance(m, str) else m.decode())]
        assert events == []  # not one round-trip for an execution nobody follows
        assert per_publish < 20e-6, f"{per_publish * 1e6:.1f} µs per unheard publish"


async def test_a_big_event_goes_out_cut_down(make_bus: Make) -> None:
    viewer, worker = await make_bus(), await make_bus()
    async with viewer.subscribe("ex") as queue:
        await until(lambda: worker.listening("ex"))
        error = {"message": "boom " + "x" * 50_000, "node_id": "n", "details": "y" * 20_000}
        worker.publish(
            "step.finished",
            {"execution_id": "ex", "node_id": "n", "status": "error", "error": error, "t": 1.0},
        )
        worker.publish("step.finished", {"execution_id": "ex", "node_id": "m", "items": 2})
        big, small = await drain(queue, 2)
        assert small["node_id"] == "m" and small["items"] == 2
        assert big["node_id"] == "n" and big["status"] == "error"
        assert big["error"]["message"].startswith("boom xxx")
        if make_bus.kind == "postgresql":  # NOTIFY carries less than 8000 bytes
            assert big["truncated"] is True and len(big["error"]["message"]) <= 500
        else:
            assert big["error"] == error


async def test_many_events_fit_the_payload_limit(make_bus: Make) -> None:
    viewer, worker = await make_bus(), await make_bus()
    async with viewer.subscribe("ex") as queue:
        await until(lambda: worker.listening("ex"))
        for i in range(2_000):
            worker.publish("step.finished", {"execution_id": "ex", "i": i, "pad": "p" * 300})
        assert [e["i"] for e in await drain(queue, 2_000)] == list(range(2_000))


async def _slow_subscriber(viewer: Bus, worker: Bus) -> None:
    viewer.queue_size = 5
    async with viewer.subscribe("ex") as queue:
        await until(lambda: worker.listening("ex"))
        for i in range(20):
            worker.publish("step.finished", {"execution_id": "ex", "i": i})  # never blocks
        await until(lambda: queue.full())
        await asyncio.sleep(0.2)
        assert [e["i"] for e in await drain(queue, 5)] == [0, 1, 2, 3, 4]
        worker.publish("step.finished", {"execution_id": "ex", "i": 20})
        lost, last = await drain(queue, 2)
        assert lost == {"event": LOST, "execution_id": "ex"}
        assert last["i"] == 20


async def test_a_slow_subscriber_loses_events_then_is_told(make_bus: Make) -> None:
    await _slow_subscriber(await make_bus(), await make_bus())


async def test_a_slow_subscriber_in_process() -> None:
    bus = LocalBus()
    await _slow_subscriber(bus, bus)


async def kill_connections(kind: str, bus: SharedBus) -> int:
    """Drop the bus's connections on the server's side (as a restart or a proxy would)."""
    if kind == "redis":
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(REDIS_URL)
        try:
            ids = [c["id"] for c in await client.client_list() if c["name"] == bus.client_name]
            for client_id in ids:
                await client.client_kill_filter(_id=client_id)
            return len(ids)
        finally:
            await client.aclose()
    import asyncpg

    conn = await asyncpg.connect(PG_URL)
    try:
        return len(
            await conn.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = $1",
                bus.client_name,
            )
        )
    finally:
        await conn.close()


async def test_subscriptions_survive_a_dropped_connection(make_bus: Make) -> None:
    viewer, worker = await make_bus(), await make_bus()
    assert isinstance(viewer, SharedBus) and isinstance(worker, SharedBus)
    async with viewer.subscribe("ex") as queue:
        await until(lambda: worker.listening("ex"))
        worker.publish("step.started", {"execution_id": "ex", "i": 0})
        assert (await drain(queue, 1))[0]["i"] == 0

        # The subscriber's side drops: it reconnects, says events may be lost, hears again.
        assert await kill_connections(make_bus.kind, viewer) >= 1
        assert (await drain(queue, 1))[0] == {"event": LOST, "execution_id": "ex"}
        assert viewer.connections == 2
        worker.publish("step.started", {"execution_id": "ex", "i": 1})
        assert (await drain(queue, 1))[0]["i"] == 1

        # The publisher's side drops: its next events still arrive (a new connection).
        assert await kill_connections(make_bus.kind, worker) >= 1
        await until(lambda: worker.connections == 2)
        for i in range(2, 5):
            worker.publish("step.started", {"execution_id": "ex", "i": i})
        assert [e["i"] for e in await drain(queue, 3)] == [2, 3, 4]


CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from wirework.events import open_bus

    async def main(url):
        bus = open_bus(url)
        await bus.start()
        deadline = time.monotonic() + 20
        while not bus.listening("ex-child"):
            assert time.monotonic() < deadline, "nobody subscribed"
            bus.publish("step.started", {"execution_id": "ex-child", "early": True})
            await asyncio.sleep(0.01)
        for i in range(200):
            bus.publish("step.finished", {"execution_id": "ex-child", "i": i, "pid": %d})
        bus.publish("execution.finished", {"execution_id": "ex-child", "status": "success"})
        await bus.close()  # sends what is still queued first

    asyncio.run(main(sys.argv[1]))
    """
)


async def test_events_from_a_real_second_process(make_bus: Make) -> None:
    viewer = await make_bus()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD.replace("%d", "0"),
        make_bus.url,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        stderr=subprocess.PIPE,
    )
    try:
        async with viewer.subscribe("ex-child") as queue:
            got = []
            while not got or got[-1]["event"] != "execution.finished":
                got.append(await asyncio.wait_for(queue.get(), 30))
        assert not any(e.get("early") for e in got)  # "early" only while nobody listened
        assert [e["i"] for e in got[:-1]] == list(range(200))
    finally:
        _, stderr = await asyncio.wait_for(child.communicate(), 30)
        assert child.returncode == 0, stderr.decode()


async def test_the_watches_of_a_vanished_process_expire(make_bus: Make) -> None:
    viewer = await make_bus()
    worker = type(viewer)(make_bus.url, watch_ttl_s=1.0)  # forgets unrefreshed watches in 1 s
    await worker.start()
    try:
        async with viewer.subscribe("ex"):
            await until(lambda: worker.listening("ex"))
            await viewer.close()  # gone without a word (as after kill -9)
            started = time.monotonic()
            await until(lambda: not worker.listening("ex"), within_s=5)
            assert time.monotonic() - started < 2.5
    finally:
        await worker.close()
