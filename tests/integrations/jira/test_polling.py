"""jira.issue_updated through the app, on every database: a JQL poll from a durable cursor
(relative JQL, ties at a timestamp, nothing twice); a failed poll keeps the cursor and logs
the service's answer without the credentials it echoed."""

from __future__ import annotations

import datetime as dt
import logging

import httpx
import pytest

from tests.integrations.fakes import Answer
from tests.integrations.jira.fake_server import EMAIL, TOKEN, FakeJira
from wirework.services import polling
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime
from wirework.triggers.schedule import entries_of


async def test_jql_polling(
    client: httpx.AsyncClient,
    runtime: Runtime,
    jira_server: FakeJira,
    caplog: pytest.LogCaptureFixture,
) -> None:
    host = await ensure_engine(runtime)
    await host.scheduler.stop()  # the test polls by hand
    made = await client.post(
        "/api/integrations",
        json={
            "name": "Jira",
            "type": "jira",
            "credentials": {"base_url": jira_server.url, "email": EMAIL, "api_token": TOKEN},
        },
    )
    assert made.status_code == 201, made.text
    doc = {
        "name": "jira poll",
        "active": True,
        "nodes": [
            {
                "id": "p",
                "type": "jira.issue_updated",
                "integration_id": made.json()["id"],
                "params": {"jql": "project = BUG", "interval_s": 30},
            }
        ],
        "connections": [],
    }
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    wid = resp.json()["id"]
    [entry] = entries_of(wid, resp.json())
    jira_server.add_issue("BUG", "before", dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    assert await polling.fire_poll(host, entry) is None  # baseline
    key = jira_server.add_issue("BUG", "new")
    jira_server.add_issue("OPS", "other project")
    started = await polling.fire_poll(host, entry)
    assert started is not None
    [search] = jira_server.seen("POST", "/rest/api/3/search/jql")
    jql = search.json()["jql"]
    assert jql.startswith('(project = BUG) AND updated >= "-') and jql.endswith(
        'm" ORDER BY updated ASC'
    )
    cursor = await polling.cursor_of(host, wid, "p")
    assert cursor["seen"] == [f"{key}@{jira_server.issues[key]['fields']['updated']}"]
    assert await polling.fire_poll(host, entry) is None  # the same change, not again
    # The service fails (and echoes the token): nothing starts, the cursor stays, the log
    # has the answer without the token.
    down = {"Retry-After": "0"}
    jira_server.inject(
        *[Answer(500, {"errorMessages": ["still down"], "errors": {}}, down)] * 3,
        Answer(500, {"errorMessages": [f"internal error near {TOKEN}"], "errors": {}}, down),
    )
    with caplog.at_level(logging.WARNING, logger="wirework.services.polling"):
        await polling.poll_safely(host, entry)
    assert "Jira answered HTTP 500" in caplog.text and "internal error near" in caplog.text
    assert TOKEN not in caplog.text
    assert len(jira_server.seen("POST", "/rest/api/3/search/jql")) == 6  # retried: a search
    assert await polling.cursor_of(host, wid, "p") == cursor
    # A later change of the same issue counts again.
    jira_server.touch(key, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2))
    assert await polling.fire_poll(host, entry) is not None
