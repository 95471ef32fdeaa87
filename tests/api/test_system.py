"""GET /api/system/workers and /api/system/queue: owners and admins only; the server's own
heartbeat from its start to its stop."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import httpx
import pytest
from sqlalchemy import select

from tests.api.test_users import fast_hashing as fast_hashing  # autouse fixture
from tests.api.test_users import make_user
from wirework.api.app import create_app
from wirework.db.models import Worker
from wirework.services import workers
from wirework.services.runtime import Runtime

REDIS_URL = os.environ.get("WIREWORK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def seed_workers(runtime: Runtime) -> None:
    async with runtime.sessionmaker() as s:
        for worker_id, kind, running in (("w1:1:aa", "worker", 3), ("s1:2:bb", "scheduler", 0)):
            await workers.heartbeat(
                s,
                worker_id=worker_id,
                kind=kind,
                hostname=worker_id.split(":")[0],
                pid=int(worker_id.split(":")[1]),
                concurrency=8 if kind == "worker" else 0,
                running=running,
            )
        row = await s.get(Worker, "s1:2:bb")
        assert row is not None
        row.last_heartbeat_at = row.last_heartbeat_at - dt.timedelta(minutes=2)
        await s.commit()


async def test_workers_lists_alive_and_stale(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await seed_workers(runtime)
    resp = await client.get("/api/system/workers")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["alive"], body["stale"], body["stale_after_s"]) == (1, 1, workers.STALE_AFTER_S)
    assert [(w["id"], w["kind"], w["alive"]) for w in body["workers"]] == [
        ("w1:1:aa", "worker", True),
        ("s1:2:bb", "scheduler", False),
    ]
    w = body["workers"][0]
    assert (w["hostname"], w["pid"], w["concurrency"], w["running"]) == ("w1", 1, 8, 3)
    resp = await client.get("/api/system/workers", params={"stale_after_s": 600})
    assert resp.json()["stale"] == 0
    resp = await client.get("/api/system/workers", params={"stale_after_s": 0})
    assert resp.status_code == 422


async def test_queue_embedded(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await seed_workers(runtime)
    resp = await client.get("/api/system/queue")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "mode": "embedded",
        "executions": {"queued": 0, "running": 0, "waiting": 0},
        "running_steps": 0,
        "reported_running": 3,
        "broker": None,
    }


async def test_queue_distributed_reads_the_broker(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await redis.ping()
    except Exception as exc:
        await redis.aclose()
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} unreachable: {exc}")
    settings = runtime.settings.model_copy(update={"broker_url": REDIS_URL})
    app = create_app(runtime=dataclasses.replace(runtime, settings=settings))
    transport = httpx.ASGITransport(app=app)
    try:
        await redis.delete(workers.QUEUE_NAME)
        await redis.rpush(workers.QUEUE_NAME, "a", "b")
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=client.headers
        ) as distributed:
            resp = await distributed.get("/api/system/queue")
    finally:
        await redis.delete(workers.QUEUE_NAME)
        await redis.aclose()
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["mode"] == "distributed"
    assert body["broker"] == {
        "transport": "redis",
        "queue": "wirework",
        "messages": 2,
        "error": None,
    }


@pytest.mark.parametrize("path", ["/api/system/workers", "/api/system/queue"])
async def test_only_owners_and_admins(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, path: str
) -> None:
    _, admin = await make_user(client, "admin@example.com", "admin")
    _, editor = await make_user(client, "editor@example.com", "editor")
    _, viewer = await make_user(client, "viewer@example.com", "viewer")
    assert (await client.get(path, headers=admin)).status_code == 200
    assert (await client.get(path, headers=editor)).status_code == 403
    assert (await client.get(path, headers=viewer)).status_code == 403
    assert (await client.get(path, headers={"Authorization": ""})).status_code == 401


async def test_the_server_heartbeats_while_it_runs(runtime: Runtime) -> None:
    app = create_app(runtime.settings)
    async with app.router.lifespan_context(app):
        server_runtime: Runtime = app.state.runtime
        host = server_runtime.engine_host
        assert host is not None
        async with runtime.sessionmaker() as s:
            rows = (await s.scalars(select(Worker))).all()
        assert [(r.id, r.kind, r.pid) for r in rows] == [(host.worker_id, "server", os.getpid())]
    async with runtime.sessionmaker() as s:
        assert (await s.scalars(select(Worker))).all() == []
