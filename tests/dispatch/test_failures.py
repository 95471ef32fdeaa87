"""Distributed mode under failure (issue 10 §3): the broker goes away and comes back, the
database drops the cluster's connections (executions, the servers following them, the
schedulers' lock), two server replicas hand executions to the workers side by side. Real
processes (``wirework worker`` / ``scheduler``), real PostgreSQL and Redis; effects are
counted per idempotency key by the test's sink.

The broker outage runs on a private ``redis-server`` started here (never the machine's
shared one). Skipped when a service is missing (failed under CI=true).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_ADMIN
from tests.dispatch.cluster import BROKERS, LEASE_S, Cluster, cluster, reachable, unavailable
from tests.engine.nodes import doc
from tests.engine.waiting import wait_for
from wirework.db.models import Execution

FINAL = ("success", "error", "canceled")


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


def chain(*ids: str) -> list[tuple[str, ...]]:
    return [(a, b) for a, b in itertools.pairwise(ids)]


async def assert_ran_once_at_a_time(cl: Cluster, execution_ids: list[str]) -> None:
    """Each node's run has one record per attempt, and the steps of a (linear) execution
    never overlap: no two workers ran the execution at once."""
    for eid in execution_ids:
        steps = await cl.steps(eid)
        runs = Counter((s.node_id, s.run_index, s.attempt) for s in steps)
        assert max(runs.values()) == 1, (eid, runs)
        spans = sorted((s.started_at, s.finished_at or s.started_at) for s in steps)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, (eid, spans)


# -- 1. broker outage -------------------------------------------------------------------------


class PrivateRedis:
    """A ``redis-server`` of the test's own (no persistence) on a free port."""

    def __init__(self, logs: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = logs / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                ["redis-server", *args, "no"], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 20
        while not reachable("127.0.0.1", self.port):
            assert self.proc.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed (the broker outage test runs its own)")
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        if redis.proc is not None and redis.proc.poll() is None:
            redis.kill()


async def test_broker_outage_loses_nothing_and_runs_nothing_twice(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    """The broker is killed (its queued messages lost: no persistence) for ~20 s mid-run and
    started again on the same port: running executions finish, lost messages are swept,
    executions started during the outage run once it is back; no effect happens twice and
    no step goes past its retry maximum."""
    outage_s = 20.0
    async with cluster(
        "redis", tmp_path, broker_url=private_redis.url, events_url="database"
    ) as cl:
        assert cl.host is not None
        sink = cl.sink.url
        retry = {"retry": {"max_attempts": 2, "backoff_s": 0.2, "jitter": False}}
        flaky = {
            "id": "flaky",
            "type": "core.http_request",
            "params": {"method": "POST", "url": sink + "/flaky/{{ execution.id }}"},
            **retry,
        }
        nodes = [
            {"id": "start", "type": "core.manual"},
            effect("s1", 400, sink, **retry),
            flaky,
            effect("s2", 400, sink, **retry),
            effect("s3", 400, sink, **retry),
        ]
        wf = await cl.workflow(doc(nodes, chain("start", "s1", "flaky", "s2", "s3")))
        ids = [(await cl.host.execute(wf)).id for _ in range(30)]
        await wait_for(lambda: len(cl.sink.effects) >= 8, "work is under way", 60)

        private_redis.kill()
        down_at = time.monotonic()
        unfinished = [r for r in await cl.executions(wf) if r.status not in FINAL]
        assert unfinished, "all finished before the outage"
        # The server keeps accepting executions (publishing is retried off the event loop).
        for _ in range(5):
            t0 = time.monotonic()
            ids.append((await cl.host.execute(wf)).id)
            assert time.monotonic() - t0 < 5, "starting an execution waited for the broker"
        await asyncio.sleep(max(0.0, outage_s - (time.monotonic() - down_at)))
        private_redis.start()

        rows = await cl.finished(ids, limit_s=LEASE_S * 3 + 60)
        back_s = time.monotonic() - down_at - outage_s
        print(f"{len(ids)} executions finished {back_s:.1f} s after the broker returned")
        assert all(r.status == "success" for r in rows), [(r.id, r.error) for r in rows]
        for eid in ids:
            for node in ("s1", "s2", "s3"):
                assert cl.sink.effects[f"{eid}:{node}:0"] == 1, (eid, node)
            assert cl.sink.flaky[eid] == 2, eid  # failed once, retried once
        repeated = {k: n for k, n in cl.sink.effects.items() if n > 1}
        assert not repeated, repeated
        steps = [s for eid in ids for s in await cl.steps(eid)]
        assert max(s.attempt for s in steps) <= 2
        assert {s.attempt for s in steps if s.node_id == "flaky"} == {1, 2}
        await assert_ran_once_at_a_time(cl, ids)


class CuttableProxy:
    """A loopback TCP proxy in front of the machine's RabbitMQ that the test can cut: every
    connection through it is dropped and new ones are refused (nothing listens on its port)
    until it is restored on the same port. Runs on an event loop of its own thread."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self.writers -= {writer, up_writer}

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(
            self._client, "127.0.0.1", self.port, reuse_address=True
        )

    async def _cut(self) -> None:
        assert self.server is not None
        self.server.close()  # refused from now on
        for writer in list(self.writers):
            transport = writer.transport
            if isinstance(transport, asyncio.Transport):
                transport.abort()  # dropped, not closed cleanly
        await self.server.wait_closed()
        self.server = None

    def start(self) -> None:
        self.thread.start()
        self._call(self._listen())

    def cut(self) -> None:
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._listen())

    async def _shutdown(self) -> None:
        if self.server is not None:
            await self._cut()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        self._call(self._shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def rabbitmq_proxy() -> Iterator[CuttableProxy]:
    host, port, _ = BROKERS["rabbitmq"]
    if not reachable(host, port):
        unavailable(f"rabbitmq at {host}:{port} unreachable")
    proxy = CuttableProxy((host, port))
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.close()


async def test_rabbitmq_outage_loses_nothing_and_runs_nothing_twice(
    rabbitmq_proxy: CuttableProxy, tmp_path: Path
) -> None:
    """RabbitMQ becomes unreachable for ~20 s mid-run (a proxy in front of it drops every
    connection, the server's and the workers', and refuses new ones), then reachable again:
    running executions finish, executions started during the outage run once it is back,
    no effect happens twice and no step goes past its retry maximum."""
    outage_s = 20.0
    _, _, url = BROKERS["rabbitmq"]
    proxied = url.replace(":5672/", f":{rabbitmq_proxy.port}/")
    assert proxied != url
    async with cluster("rabbitmq", tmp_path, broker_url=proxied, events_url="database") as cl:
        assert cl.host is not None
        sink = cl.sink.url
        retry = {"retry": {"max_attempts": 2, "backoff_s": 0.2, "jitter": False}}
        flaky = {
            "id": "flaky",
            "type": "core.http_request",
            "params": {"method": "POST", "url": sink + "/flaky/{{ execution.id }}"},
            **retry,
        }
        nodes = [
            {"id": "start", "type": "core.manual"},
            effect("s1", 400, sink, **retry),
            flaky,
            effect("s2", 400, sink, **retry),
            effect("s3", 400, sink, **retry),
        ]
        wf = await cl.workflow(doc(nodes, chain("start", "s1", "flaky", "s2", "s3")))
        ids = [(await cl.host.execute(wf)).id for _ in range(30)]
        await wait_for(lambda: len(cl.sink.effects) >= 8, "work is under way", 60)

        rabbitmq_proxy.cut()
        down_at = time.monotonic()
        unfinished = [r for r in await cl.executions(wf) if r.status not in FINAL]
        assert unfinished, "all finished before the outage"
        for _ in range(5):  # accepted meanwhile (publishing is retried off the event loop)
            ids.append((await cl.host.execute(wf)).id)
        await asyncio.sleep(max(0.0, outage_s - (time.monotonic() - down_at)))
        rabbitmq_proxy.restore()

        # Celery reconnects 2, 4, 6 … s apart (at most 30 s): the workers may come back up
        # to ~30 s after the broker; a loaded machine adds to it.
        rows = await cl.finished(ids, limit_s=LEASE_S * 3 + 150)
        back_s = time.monotonic() - down_at - outage_s
        print(f"{len(ids)} executions finished {back_s:.1f} s after RabbitMQ returned")
        assert all(r.status == "success" for r in rows), [(r.id, r.error) for r in rows]
        for eid in ids:
            for node in ("s1", "s2", "s3"):
                assert cl.sink.effects[f"{eid}:{node}:0"] == 1, (eid, node)
            assert cl.sink.flaky[eid] == 2, eid  # failed once, retried once
        repeated = {k: n for k, n in cl.sink.effects.items() if n > 1}
        assert not repeated, repeated
        steps = [s for eid in ids for s in await cl.steps(eid)]
        assert max(s.attempt for s in steps) <= 2
        assert {s.attempt for s in steps if s.node_id == "flaky"} == {1, 2}
        await assert_ran_once_at_a_time(cl, ids)


# -- 2. database blips ------------------------------------------------------------------------


async def terminate_connections(database: str) -> int:
    """Drop every connection to the cluster's own database (its workers', scheduler's and
    this server's; the database is the test's alone), as a failover or a restarted proxy
    would; returns how many."""
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN)
    conn = await asyncpg.connect(
        host=admin.host,
        port=admin.port,
        user=admin.username,
        database=admin.database,
        password=admin.password,
        timeout=5,
    )
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        return len(rows)
    finally:
        await conn.close()


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
async def test_database_connections_dropped_leave_nothing_stuck(
    broker: str, tmp_path: Path
) -> None:
    """The cluster's PostgreSQL connections are terminated three times mid-run: every
    execution reaches a final state within a bound; one that failed names the store."""
    async with cluster(broker, tmp_path) as cl:
        assert cl.host is not None
        sink = cl.sink.url
        nodes = [{"id": "start", "type": "core.manual"}] + [
            effect(f"s{i}", 600, sink) for i in range(1, 5)
        ]
        wf = await cl.workflow(doc(nodes, chain("start", "s1", "s2", "s3", "s4")))
        handles = [await cl.host.execute(wf) for _ in range(32)]
        ids = [h.id for h in handles]
        await wait_for(lambda: len(cl.sink.effects) >= 8, "work is under way", 60)
        dropped = []
        for _ in range(3):
            dropped.append(await terminate_connections(cl.db_name))
            await asyncio.sleep(1.5)
        assert sum(dropped) > 0
        statuses = [r.status for r in await cl.executions(wf)]
        assert any(s not in FINAL for s in statuses), "all finished before the last blip"
        t0 = time.monotonic()
        rows = await cl.finished(ids, limit_s=LEASE_S * 3 + 60)
        print(f"dropped {dropped} connections; all final {time.monotonic() - t0:.1f} s later")
        # The server following them (a webhook answering with the result does) is told too.
        followed = await asyncio.wait_for(asyncio.gather(*(h.wait() for h in handles)), 30)
        assert {r.id: r.status for r in followed} == {r.id: r.status for r in rows}
        failed = [r for r in rows if r.status != "success"]
        assert all(
            r.status == "error" and (r.error or {}).get("type") == "store" for r in failed
        ), [(r.id, r.status, r.error) for r in failed]
        for r in rows:
            if r.status == "success":
                for i in range(1, 5):
                    assert cl.sink.effects[f"{r.id}:s{i}:0"] >= 1, (r.id, i)
        # Nothing is left owned, and no step of a finished execution is left running.
        assert all(r.worker is None or r.status in FINAL for r in rows)
        for r in rows:
            unfinished = [s.node_id for s in await cl.steps(r.id) if s.status == "running"]
            assert not unfinished, (r.id, r.status, unfinished)
        repeated = {k: n for k, n in cl.sink.effects.items() if n > 1}
        print(f"{len(failed)} failed (store), {len(repeated)} effects repeated")


# -- 3. two server replicas -------------------------------------------------------------------


@contextlib.asynccontextmanager
async def server_replicas(cl: Cluster) -> AsyncIterator[list[Any]]:
    """Two API servers (each its own runtime and engine host) on the cluster's database and
    broker, as two replicas behind a load balancer; yields an HTTP client for each."""
    import httpx

    from wirework.api.app import create_app
    from wirework.services.runtime import open_runtime

    second = await open_runtime(cl.settings, migrate_db=False)
    runtimes = [cl.runtime, second]
    try:
        async with contextlib.AsyncExitStack() as stack:
            clients = []
            for runtime in runtimes:
                transport = httpx.ASGITransport(
                    app=create_app(runtime=runtime), raise_app_exceptions=False
                )
                client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
                clients.append(await stack.enter_async_context(client))
            yield clients
    finally:
        for runtime in runtimes:
            if runtime.engine_host is not None:
                await runtime.engine_host.stop()
                runtime.engine_host = None
        await second.close()


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
async def test_two_server_replicas_never_run_an_execution_twice(
    broker: str, tmp_path: Path
) -> None:
    """Webhooks hit two servers at once; the executions park on a timed wait (the
    scheduler hands them back) and on a resume URL that both servers are called on at the
    same moment: every effect happens once, one worker runs an execution at a time, and a
    resume is taken once."""
    async with cluster(broker, tmp_path) as cl, server_replicas(cl) as clients:
        sink = cl.sink.url
        hook = {
            "id": "hook",
            "type": "core.webhook",
            "params": {"path": "twice", "method": "POST", "respond": "immediately"},
        }
        nodes = [
            hook,
            effect("s1", 100, sink),
            {"id": "pause", "type": "core.wait", "params": {"seconds": 6}},
            effect("s2", 100, sink),
            {"id": "resume", "type": "core.wait", "params": {"resume": "webhook"}},
            effect("s3", 100, sink),
        ]
        wf = await cl.workflow(
            doc(nodes, chain("hook", "s1", "pause", "s2", "resume", "s3")), active=True
        )
        count = 20

        async def call(n: int) -> str:
            resp = await clients[n % 2].post("/webhook/twice", json={"n": n})
            assert resp.status_code == 200, resp.text
            return str(resp.json()["execution_id"])

        ids = list(await asyncio.gather(*(call(n) for n in range(count))))
        assert len(set(ids)) == count

        async def all_parked_on_the_url() -> bool:
            rows = await cl.executions(wf)
            if len(rows) < count:
                return False
            steps = [s for r in rows for s in await cl.steps(r.id) if s.node_id == "s2"]
            return len(steps) == count and all(r.status == "waiting" for r in rows)

        await wait_for(all_parked_on_the_url, "the executions parked on their resume URLs", 60)
        host = cl.runtime.engine_host
        assert host is not None and host.runner.remote

        async def resume(eid: str, client: Any) -> int:
            url = host.resume_url(eid).replace(cl.settings.base_url, "http://testserver")
            resp = await client.post(url, json={"by": clients.index(client)})
            return int(resp.status_code)

        answers = await asyncio.gather(*(resume(eid, c) for eid in ids for c in clients))
        print("resume answers:", sorted(Counter(answers).items()))
        rows: list[Execution] = await cl.finished(ids, limit_s=LEASE_S * 3 + 60)
        assert all(r.status == "success" for r in rows), [(r.id, r.error) for r in rows]
        # Each resume URL, called on both servers at once, is taken once; the other is told.
        # (409: it was taken; 404: a worker runs the execution already, it waits no more)
        for i in range(count):
            assert sorted(answers[2 * i : 2 * i + 2]) in ([200, 404], [200, 409]), answers

        for eid in ids:
            for node in ("s1", "s2", "s3"):
                assert cl.sink.effects[f"{eid}:{node}:0"] == 1, (eid, node, cl.sink.effects)
            steps = await cl.steps(eid)
            (resumed,) = [s for s in steps if s.node_id == "resume"]  # one resume taken
            assert json.loads(resumed.output or "{}")["main"][0]["resume"]["body"]["by"] in (0, 1)
        await assert_ran_once_at_a_time(cl, ids)

        # ... and the workers' logs: each execution ended on one worker, once.
        ended: Counter[str] = Counter()
        for name in ("worker1", "worker2"):
            for line in cl.log_of(name).splitlines():
                if line.startswith("{") and '"execution ran"' in line:
                    entry = json.loads(line)
                    if entry.get("status") in FINAL:
                        ended[entry["execution_id"]] += 1
        assert all(ended[eid] == 1 for eid in ids), ended


async def test_after_a_database_blip_one_scheduler_leads(tmp_path: Path) -> None:
    """Two schedulers; the database drops their connections (the leader's lock goes with
    its connection): afterwards both are still running and exactly one leads."""
    async with cluster("redis", tmp_path, workers=1) as cl:
        cl.start("scheduler2", "scheduler")

        def leading(name: str) -> int:
            text = cl.log_of(name)[cl.offsets[name] :]
            return text.count('"scheduler leads"') - text.count('"scheduler stepped down"')

        await wait_for(lambda: leading("scheduler1") == 1, "scheduler1 leads", 60)
        await asyncio.sleep(3)  # scheduler2 is up, waiting for the lock
        assert leading("scheduler2") == 0
        assert await terminate_connections(cl.db_name) > 0
        await asyncio.sleep(6)
        alive = {n: cl.procs[n].poll() is None for n in ("scheduler1", "scheduler2")}
        assert alive == {"scheduler1": True, "scheduler2": True}, alive
        assert leading("scheduler1") + leading("scheduler2") == 1, (
            leading("scheduler1"),
            leading("scheduler2"),
        )
