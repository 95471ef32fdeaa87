"""The events API across processes: two app instances (each with its own engine host, as two
server replicas or a server and a worker) on one PostgreSQL; an execution runs on B's engine,
and a client streaming GET /api/executions/{id}/events from A sees its steps live."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD, _create_pg, _drop_pg
from tests.events.conftest import REDIS_URL, _check
from wirework.api.app import create_app
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime, open_runtime
from wirework.settings import Settings

SLOW = {
    "name": "slow",
    "nodes": [
        {"id": "start", "type": "core.manual"},
        {"id": "pause", "type": "core.wait", "params": {"seconds": 1}},
        {"id": "after", "type": "core.set", "params": {"fields": {"done": "yes"}}},
    ],
    "connections": [{"from": "start", "to": "pause"}, {"from": "pause", "to": "after"}],
}


@pytest.fixture(params=["postgresql", "redis"])
async def two_apps(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, list[Runtime]]]:
    await _check("postgresql")
    name = f"ww_test_ev_{secrets.token_hex(4)}"
    database_url = await _create_pg(name)
    if request.param == "redis":
        await _check("redis")
        events_url = f"{REDIS_URL}?channel=test:{name}"
    else:
        events_url = database_url
    key, signing = Fernet.generate_key().decode(), "test-" + secrets.token_hex(24)
    runtimes: list[Runtime] = []
    clients: list[httpx.AsyncClient] = []
    try:
        for replica in ("a", "b"):
            settings = Settings(
                data_dir=tmp_path / replica,
                database_url=database_url,
                encryption_key=key,
                secret_key=signing,
                events_url=events_url,
            )
            runtimes.append(await open_runtime(settings))
            transport = httpx.ASGITransport(app=create_app(runtime=runtimes[-1]))
            clients.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        resp = await clients[0].post(
            "/api/setup", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD, "name": "O"}
        )
        assert resp.status_code == 201, resp.text
        for client in clients:
            client.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        # Both engines up before any execution exists: two hosts in one process would
        # otherwise take each other for a replaced process (engine/leases.py).
        for runtime in runtimes:
            await ensure_engine(runtime)
        yield clients[0], clients[1], runtimes
    finally:
        for client in clients:
            await client.aclose()
        for runtime in runtimes:
            await runtime.close()
        await _drop_pg(name)


def parse_sse(text: str) -> list[tuple[str, Any]]:
    out = []
    for block in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if "event" in lines:
            out.append((lines["event"], json.loads(lines["data"])))
    return out


async def test_a_client_of_one_replica_sees_steps_run_by_another(
    two_apps: tuple[httpx.AsyncClient, httpx.AsyncClient, list[Runtime]],
) -> None:
    client_a, client_b, runtimes = two_apps
    resp = await client_a.post("/api/workflows", json={**SLOW, "active": True})
    assert resp.status_code == 201, resp.text
    workflow_id = resp.json()["id"]

    # Started through B: it runs on B's engine (A's runner never holds it).
    resp = await client_b.post(f"/api/workflows/{workflow_id}/execute", json={})
    assert resp.status_code == 202, resp.text
    execution_id = resp.json()["id"]

    resp = await asyncio.wait_for(client_a.get(f"/api/executions/{execution_id}/events"), 30)
    assert resp.status_code == 200
    events = parse_sse(resp.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "snapshot" and events[0][1]["status"] == "running"
    assert ("step.finished", "after") in [(k, d.get("node_id")) for k, d in events]
    assert kinds[-2:] == ["execution.finished", "end"]
    assert events[-1][1]["status"] == "success"
    host_a, host_b = runtimes[0].engine_host, runtimes[1].engine_host
    assert host_a is not None and host_b is not None
    assert execution_id not in host_a.runner.running  # it really ran on B
