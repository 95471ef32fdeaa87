"""GitHub's triggers through the real app, on every database: webhook deliveries (signature
with the integration's webhook_secret, X-GitHub-Delivery repeats dropped, X-GitHub-Event
filter, ping ignored) and polling issues from a durable cursor."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import httpx
from sqlalchemy import select, update

from tests.integrations.conftest import finished_record
from tests.integrations.github.fake_server import TOKEN, FakeGitHub
from tests.integrations.workflows import add_integration, executions, trigger_workflow
from wirework.db.models import Execution, TriggerCursor
from wirework.services import polling
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime
from wirework.triggers.schedule import entries_of

SECRET = "whsec-github-test"


async def github(client: httpx.AsyncClient, **creds: Any) -> int:
    return await add_integration(client, "github", {"token": TOKEN, **creds}, name="GitHub")


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def test_webhook_deliveries(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await ensure_engine(runtime)
    iid = await github(client, webhook_secret=SECRET)
    wid = await trigger_workflow(
        client,
        iid,
        "github.webhook",
        {"path": "gh/acme", "events": ["issues"]},
        {"action": "{{ json.body.action }}", "ev": "{{ json.event }}"},
        name="on issues",
        node_id="gh",
    )
    body = json.dumps({"action": "opened", "issue": {"number": 1}}).encode()
    headers = {
        "content-type": "application/json",
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    }
    ok = await client.post(
        "/webhook/gh/acme", content=body, headers={**headers, "X-Hub-Signature-256": signed(body)}
    )
    assert ok.status_code == 200, ok.text
    again = await client.post(
        "/webhook/gh/acme", content=body, headers={**headers, "X-Hub-Signature-256": signed(body)}
    )
    assert again.json()["status"] == "duplicate"
    forged = await client.post(
        "/webhook/gh/acme",
        content=body,
        headers={**headers, "X-GitHub-Delivery": "other", "X-Hub-Signature-256": signed(body, "x")},
    )
    assert forged.status_code == 401
    push = await client.post(
        "/webhook/gh/acme",
        content=body,
        headers={
            **headers,
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "d-2",
            "X-Hub-Signature-256": signed(body),
        },
    )
    assert push.status_code == 200 and push.json()["status"] == "ignored"
    await runtime.engine_host.runner.store.flush() if runtime.engine_host else None
    runs = await executions(client, wid)
    assert len(runs) == 1
    record = await finished_record(client, runs[0]["id"])
    steps = {s["node_id"]: s for s in record["steps"]}
    assert steps["s"]["output"]["main"][0] == {
        "body": {"action": "opened", "issue": {"number": 1}},
        "headers": steps["s"]["output"]["main"][0]["headers"],
        "query": {},
        "method": "POST",
        "path": "gh/acme",
        "event": "issues",
        "action": "opened",
        "ev": "issues",
    }


async def test_webhook_paths_clash_with_core_webhooks(client: httpx.AsyncClient) -> None:
    iid = await github(client, webhook_secret=SECRET)
    doc = {
        "name": "two",
        "nodes": [
            {"id": "a", "type": "github.webhook", "integration_id": iid, "params": {"path": "p"}},
            {"id": "b", "type": "core.webhook", "params": {"path": "p"}},
        ],
        "connections": [],
    }
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 422
    assert "nodes[1].params.path" in {e["field"] for e in resp.json()["errors"]}


async def test_polling_from_a_durable_cursor(
    client: httpx.AsyncClient, runtime: Runtime, github_server: FakeGitHub
) -> None:
    host = await ensure_engine(runtime)
    await host.scheduler.stop()  # the test polls by hand
    github_server.add_repo("acme", "app")
    old = github_server.add_issue(
        "acme", "app", "old", dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    )
    iid = await github(client, base_url=github_server.url)
    doc = {
        "name": "poll",
        "active": True,
        "nodes": [
            {
                "id": "p",
                "type": "github.issue_updated",
                "integration_id": iid,
                "params": {"owner": "acme", "repo": "app", "interval_s": 60},
            }
        ],
        "connections": [],
    }
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    wid = resp.json()["id"]
    [entry] = entries_of(wid, resp.json())
    assert entry.kind == "poll" and entry.interval_s == 60
    # First poll: the baseline, nothing started (the old issue is not new).
    assert await polling.fire_poll(host, entry) is None
    # Two issues change; the next poll starts one run with both, oldest first.
    first = github_server.add_issue("acme", "app", "new one")
    second = github_server.add_issue("acme", "app", "new two")
    started = await polling.fire_poll(host, entry)
    assert started is not None
    record = await host.runner.store.load_execution(started)
    assert record is not None and record.mode == "poll"
    await host.runner.wait(started) if hasattr(host.runner, "wait") else None
    # Polling again finds nothing new: the same issues are never started twice.
    assert await polling.fire_poll(host, entry) is None
    # A process that stopped after storing the cursor but before starting the run: the
    # next poll starts exactly that run, once.
    github_server.issues["acme/app"][0]["updated_at"] = (
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(TriggerCursor)
            .where(TriggerCursor.workflow_id == wid)
            .values(pending_execution_id="pendingrun0001", pending_items=json.dumps([old]))
        )
        await session.commit()
    assert await polling.fire_poll(host, entry) == "pendingrun0001"
    assert await polling.fire_poll(host, entry) is not None  # the touched old issue
    assert await polling.fire_poll(host, entry) is None
    async with runtime.sessionmaker() as session:
        ids = (
            await session.scalars(select(Execution.id).where(Execution.workflow_id == wid))
        ).all()
    assert len(ids) == 3 and "pendingrun0001" in ids
    runs = await executions(client, wid)
    items = []
    for run in sorted(runs, key=lambda r: r["started_at"]):
        full = await finished_record(client, run["id"])
        items.append([i["title"] for i in full["steps"][0]["output"]["main"]])
    assert ["new one", "new two"] in items and ["old"] in items
    assert first["id"] != second["id"]
