"""Webhooks through a server in distributed mode: an execution answered at once is handed
to a worker and not followed; a ``core.respond`` node answers the HTTP request when it runs
on the worker (the event bus carries the response, the store a large one), while the rest of
the execution runs on; callers that wait still get the execution's end. Real PostgreSQL,
Redis or RabbitMQ (events over Redis pub/sub, or PostgreSQL LISTEN/NOTIFY with RabbitMQ),
real worker processes. Skipped when a service is missing (failed under CI=true).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.dispatch.cluster import Cluster, cluster
from tests.engine.nodes import doc
from wirework.api.app import create_app


@pytest.fixture(scope="module", params=["redis", "rabbitmq"])
async def cl(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    events = "database" if request.param == "rabbitmq" else ""
    async with cluster(
        request.param, tmp_path_factory.mktemp(request.param), events_url=events
    ) as c:
        yield c


@pytest.fixture
async def client(cl: Cluster) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime=cl.runtime)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c
    finally:
        if cl.runtime.engine_host is not None:
            await cl.runtime.engine_host.stop()
            cl.runtime.engine_host = None


def hook(path: str, respond: str) -> dict[str, Any]:
    return {
        "id": "hook",
        "type": "core.webhook",
        "params": {"path": path, "method": "POST", "respond": respond},
    }


def slow_effect(cl: Cluster, ms: int) -> dict[str, Any]:
    return {
        "id": "slow",
        "type": "core.http_request",
        "params": {
            "method": "POST",
            "url": cl.sink.url + f"/effect?ms={ms}",
            "body": {"key": "{{ execution.id }}:slow:0"},
        },
    }


async def test_an_immediate_webhook_is_handed_over_and_not_followed(
    cl: Cluster, client: httpx.AsyncClient
) -> None:
    await cl.workflow(
        doc(
            [hook("quick", "immediately"), slow_effect(cl, 300)],
            [("hook", "slow")],
        ),
        active=True,
    )
    ids = []
    for _ in range(5):
        resp = await client.post("/webhook/quick", json={})
        assert resp.status_code == 200, resp.text
        ids.append(resp.json()["execution_id"])
    host = cl.runtime.engine_host
    assert host is not None and host.runner.remote
    assert not host.runner._following  # nobody here polls the store for them
    rows = await cl.finished(ids, limit_s=60)
    assert all(r.status == "success" for r in rows), [r.error for r in rows]
    assert all(cl.sink.effects[f"{eid}:slow:0"] == 1 for eid in ids)

    # A run through the API without waiting is not followed either; one waited for is,
    # and answers with the execution's end.
    wf = await cl.workflow(
        doc(
            [
                {"id": "start", "type": "core.manual"},
                {"id": "set", "type": "core.set", "params": {"fields": {"x": 1}}},
            ],
            [("start", "set")],
        )
    )
    quick = await host.execute(wf, elsewhere=True)
    assert quick.task.done() and not host.runner._following
    (row,) = await cl.finished([quick.id], limit_s=60)
    assert row.status == "success"
    waited = await host.execute(wf)
    record = await asyncio.wait_for(waited.wait(), 60)
    assert record.status == "success" and waited.run.result() == [{"x": 1}]


@pytest.mark.parametrize("size", ["small", "large"])
async def test_respond_node_answers_while_the_execution_runs_on(
    cl: Cluster, client: httpx.AsyncClient, size: str
) -> None:
    """webhook → respond → a slow step: the HTTP response arrives before the slow step's
    effect happens; a large body (over the bus's payload limit) comes through the store."""
    path = f"early-{size}"
    text = "x" * (20_000 if size == "large" else 10)
    respond = {
        "id": "respond",
        "type": "core.respond",
        "params": {
            "status": 201,
            "headers": {"X-Early": "yes"},
            "body": {"got": "{{ json.body.t }}", "pad": text},
        },
    }
    wf = await cl.workflow(
        doc(
            [hook(path, "respond_node"), respond, slow_effect(cl, 3000)],
            [("hook", "respond"), ("respond", "slow")],
        ),
        active=True,
    )
    resp = await client.post(f"/webhook/{path}", json={"t": "hi"})
    (execution,) = await cl.executions(wf)
    # Answered by the respond node: the slow step after it has not happened yet.
    assert cl.sink.effects[f"{execution.id}:slow:0"] == 0
    assert execution.status == "running"
    assert resp.status_code == 201, resp.text
    assert resp.headers["x-early"] == "yes"
    assert resp.json() == {"got": "hi", "pad": text}
    (row,) = await cl.finished([execution.id], limit_s=60)
    assert row.status == "success", row.error
    assert cl.sink.effects[f"{execution.id}:slow:0"] == 1
