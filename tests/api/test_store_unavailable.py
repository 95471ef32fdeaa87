"""A record the database refuses reaches the caller as 503 ``store_unavailable`` (never a
202 or a webhook answer for an execution that was not written, never a traceback), and the
execution is marked failed where it still can be — on every database backend."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_runs import MANUAL, create, hook_doc
from tests.engine.poison import poison_fixture  # noqa: F401 - the `poison` fixture


def assert_store_unavailable(resp: httpx.Response) -> None:
    assert resp.status_code == 503, resp.text
    body = resp.json()
    assert body["code"] == "store_unavailable" and body["errors"] == []
    assert "Traceback" not in resp.text and "poisoned" not in resp.text
    assert resp.headers["retry-after"]


async def test_execute_answers_503_when_the_execution_cannot_be_recorded(
    client: httpx.AsyncClient, poison: Any
) -> None:
    refused = await create(client, MANUAL)
    fine = await create(client, {**MANUAL, "name": "fine"})
    await poison("executions", "workflow_id", refused)
    assert_store_unavailable(await client.post(f"/api/workflows/{refused}/execute", json={}))
    assert_store_unavailable(
        await client.post(f"/api/workflows/{refused}/execute?wait=true", json={})
    )
    # Followed: a JSON 503 too, never a stream that starts and then fails.
    assert_store_unavailable(
        await client.post(f"/api/workflows/{refused}/execute?follow=true", json={})
    )
    listed = (await client.get(f"/api/workflows/{refused}/executions")).json()["items"]
    assert listed == []  # nothing half-written
    resp = await client.post(f"/api/workflows/{fine}/execute?wait=true", json={"input": {"n": 1}})
    assert resp.status_code == 200 and resp.json()["status"] == "success"
    assert (await client.post(f"/api/workflows/{fine}/execute", json={})).status_code == 202


async def test_execute_answers_503_when_a_step_cannot_be_recorded(
    client: httpx.AsyncClient, poison: Any
) -> None:
    doc = {
        **MANUAL,
        "nodes": [*MANUAL["nodes"], {"id": "poison", "type": "core.noop"}],  # type: ignore[list-item]
        "connections": [*MANUAL["connections"], {"from": "greet", "to": "poison"}],  # type: ignore[list-item]
    }
    wf = await create(client, doc)
    await poison("execution_steps", "node_id", "poison")
    resp = await client.post(f"/api/workflows/{wf}/execute?wait=true", json={"input": {"n": 1}})
    assert_store_unavailable(resp)
    (listed,) = (await client.get(f"/api/workflows/{wf}/executions")).json()["items"]
    record = (await client.get(f"/api/executions/{listed['id']}")).json()
    assert record["status"] == "error" and record["error"]["type"] == "store"
    assert record["result"] is None


async def test_webhooks_answer_503_in_every_response_mode(
    client: httpx.AsyncClient, poison: Any
) -> None:
    respond = {"id": "poison", "type": "core.respond", "params": {"body": {"ok": True}}}
    now = await create(client, hook_doc("now", "immediately"))
    await create(client, hook_doc("last", "last_node", [{"id": "poison", "type": "core.noop"}]))
    await create(client, hook_doc("answer", "respond_node", [respond]))
    await create(client, hook_doc("fine", "last_node"))
    await poison("executions", "workflow_id", now)
    await poison("execution_steps", "node_id", "poison")
    for path in ("now", "last", "answer"):
        assert_store_unavailable(await client.post(f"/webhook/{path}", json={"title": "t"}))
    resp = await client.post("/webhook/fine", json={"title": "t"})
    assert resp.status_code == 200 and resp.json() == {"title": "t"}


async def test_a_refused_delivery_can_be_repeated(client: httpx.AsyncClient, poison: Any) -> None:
    """A delivery answered 503 is not remembered as delivered: its repeat runs."""
    doc = hook_doc("idem", "immediately")
    doc["nodes"][0]["params"]["idempotency_header"] = "X-Delivery"
    wf = await create(client, doc)
    cure = await poison("executions", "workflow_id", wf)
    headers = {"X-Delivery": "delivery-1"}
    assert_store_unavailable(await client.post("/webhook/idem", json={"t": 1}, headers=headers))
    await cure()
    resp = await client.post("/webhook/idem", json={"t": 1}, headers=headers)
    assert resp.status_code == 200 and resp.json()["status"] == "started", resp.text
    again = await client.post("/webhook/idem", json={"t": 1}, headers=headers)
    assert again.json() == {"execution_id": resp.json()["execution_id"], "status": "duplicate"}
