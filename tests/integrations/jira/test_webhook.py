"""``jira.webhook`` through the real app: Jira Cloud deliveries signed with the webhook's
secret (``X-Hub-Signature: sha256=<hex>``), repeats of an ``X-Atlassian-Webhook-Identifier``
dropped, forged or unsigned ones refused, the event (body.webhookEvent) filtered by a
downstream core.filter."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from tests.integrations.conftest import finished_record
from tests.integrations.jira.fake_server import EMAIL, TOKEN
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime

SECRET = "jira-webhook-secret-test"


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery(event: str, key: str) -> bytes:
    """A Jira Cloud issue event as Jira sends it (trimmed)."""
    return json.dumps(
        {
            "timestamp": 1765100000000,
            "webhookEvent": event,
            "issue_event_type_name": "issue_created",
            "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Ada"},
            "issue": {
                "id": "10002",
                "key": key,
                "fields": {"summary": "Crash on save", "status": {"name": "To Do"}},
            },
        }
    ).encode()


async def jira(client: httpx.AsyncClient, **creds: Any) -> int:
    resp = await client.post(
        "/api/integrations",
        json={
            "name": "Jira",
            "type": "jira",
            "credentials": {
                "base_url": "https://acme.atlassian.example",
                "email": EMAIL,
                "api_token": TOKEN,
                **creds,
            },
        },
    )
    assert resp.status_code == 201, resp.text
    if "webhook_secret" in creds:
        assert resp.json()["credentials"]["webhook_secret"] == "********"
    return int(resp.json()["id"])


async def test_jira_webhook_deliveries(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await ensure_engine(runtime)
    iid = await jira(client, webhook_secret=SECRET)
    doc = {
        "name": "on new issues",
        "active": True,
        "nodes": [
            {
                "id": "hook",
                "type": "jira.webhook",
                "integration_id": iid,
                "params": {"path": "/jira/acme/"},
            },
            {
                "id": "created",
                "type": "core.filter",
                "params": {"condition": "{{ json.body.webhookEvent == 'jira:issue_created' }}"},
            },
            {
                "id": "s",
                "type": "core.set",
                "params": {"fields": {"key": "{{ json.body.issue.key }}"}},
            },
        ],
        "connections": [{"from": "hook", "to": "created"}, {"from": "created", "to": "s"}],
    }
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    wid = resp.json()["id"]
    body = delivery("jira:issue_created", "BUG-7")
    headers = {
        "content-type": "application/json",
        "X-Atlassian-Webhook-Identifier": "1765100000000-abc",
        "X-Atlassian-Webhook-Flow": "Primary",
    }
    ok = await client.post(
        "/webhook/jira/acme", content=body, headers={**headers, "X-Hub-Signature": signed(body)}
    )
    assert ok.status_code == 200, ok.text
    again = await client.post(
        "/webhook/jira/acme", content=body, headers={**headers, "X-Hub-Signature": signed(body)}
    )
    assert again.json()["status"] == "duplicate"
    forged = await client.post(
        "/webhook/jira/acme",
        content=body,
        headers={
            **headers,
            "X-Atlassian-Webhook-Identifier": "other",
            "X-Hub-Signature": signed(body, "not-the-secret"),
        },
    )
    assert forged.status_code == 401
    unsigned = await client.post(
        "/webhook/jira/acme",
        content=body,
        headers={**headers, "X-Atlassian-Webhook-Identifier": "unsigned"},
    )
    assert unsigned.status_code == 401
    updated = delivery("jira:issue_updated", "BUG-8")
    other = await client.post(
        "/webhook/jira/acme",
        content=updated,
        headers={
            **headers,
            "X-Atlassian-Webhook-Identifier": "d-2",
            "X-Hub-Signature": signed(updated),
        },
    )
    assert other.status_code == 200, other.text
    if runtime.engine_host:
        await runtime.engine_host.runner.store.flush()
    runs = (await client.get(f"/api/workflows/{wid}/executions")).json()["items"]
    assert len(runs) == 2  # the repeat and the refused ones started nothing
    keys = []
    for run in runs:
        record = await finished_record(client, run["id"])
        steps = {s["node_id"]: s for s in record["steps"]}
        hook = steps["hook"]["output"]["main"][0]
        assert hook["path"] == "jira/acme" and hook["method"] == "POST"
        assert hook["headers"]["x-atlassian-webhook-flow"] == "Primary"
        out = (steps.get("s") or {}).get("output") or {}
        keys += [i["key"] for i in out.get("main", [])]
    assert keys == ["BUG-7"]  # only the created issue passed the filter


async def test_jira_webhook_without_a_secret_starts_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await ensure_engine(runtime)
    iid = await jira(client)
    doc = {
        "name": "no secret",
        "active": True,
        "nodes": [
            {"id": "hook", "type": "jira.webhook", "integration_id": iid, "params": {"path": "j2"}}
        ],
        "connections": [],
    }
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    body = delivery("jira:issue_created", "BUG-1")
    sent = await client.post(
        "/webhook/j2",
        content=body,
        headers={"content-type": "application/json", "X-Hub-Signature": signed(body)},
    )
    assert sent.status_code in (401, 503), sent.text
    runs = (await client.get(f"/api/workflows/{resp.json()['id']}/executions")).json()["items"]
    assert runs == []
