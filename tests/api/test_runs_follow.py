"""Starting a run and following it in one request (``POST /api/workflows/{id}/execute
?follow=true``), on every database: a ``started`` event naming the execution, then what
``GET /api/executions/{id}/events`` streams (a snapshot, the events, ``end``) — every event
from the run's start, so the first ``step.delta`` of a streaming AI node too. Whatever refuses
the run stays a JSON error with its status, and leaves nothing subscribed or started."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.test_auth import make_user
from tests.api.test_chat import events
from tests.api.test_runs import MANUAL, create
from tests.api.test_workflows import _jira, _uses_jira
from tests.integrations.openai.server import OpenAIServer, Reply
from wirework.services.runtime import Runtime
from wirework.testing.harness import allow_loopback

ANSWER = "Once upon a time, a workflow ran itself while everyone watched. The end."


@pytest.fixture
def model_server() -> Iterator[OpenAIServer]:
    with allow_loopback(), OpenAIServer() as server:
        yield server


def subscriptions(runtime: Runtime) -> dict[str, Any]:
    """The executions this process's event bus has subscribers for."""
    assert runtime.engine_host is not None
    return dict(runtime.engine_host.events._local)


async def follow(client: httpx.AsyncClient, wf: int, body: Any = None) -> httpx.Response:
    return await client.post(f"/api/workflows/{wf}/execute?follow=true", json=body)


async def test_follow_streams_started_then_the_events_of_the_run(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    wf = await create(client, MANUAL)
    resp = await follow(client, wf, {"input": {"name": "ada", "n": 21}})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert resp.headers["cache-control"] == "no-cache"
    got = events(resp.text)
    kinds = [k for k, _ in got]

    (kind, started), (snapshot_kind, snapshot) = got[:2]
    assert kind == "started" and snapshot_kind == "snapshot", kinds
    execution_id = started["execution_id"]
    assert snapshot["id"] == execution_id and snapshot["workflow_id"] == wf
    # Subscribed before the execution existed: every one of its events, from its first (the
    # trigger's step settles at once: it has no step.started).
    assert kinds[2:] == [
        "execution.started",
        "step.finished",
        "step.started",
        "step.finished",
        "execution.finished",
        "end",
    ], kinds
    steps = [(k, d["node_id"]) for k, d in got if k.startswith("step.")]
    assert steps == [
        ("step.finished", "start"),
        ("step.started", "greet"),
        ("step.finished", "greet"),
    ]
    assert all(d["execution_id"] == execution_id for _, d in got[2:-1])
    assert got[-2][1]["status"] == "success" and got[-1][1] == {"status": "success"}

    record = (await client.get(f"/api/executions/{execution_id}")).json()
    assert record["status"] == "success" and record["mode"] == "manual"
    assert record["result"] == [{"name": "ada", "n": 42, "greeting": "hello ada"}]
    listed = (await client.get(f"/api/workflows/{wf}/executions")).json()["items"]
    assert [e["id"] for e in listed] == [execution_id]
    # The stream is over: nothing stays subscribed.
    assert subscriptions(runtime) == {}

    # The same execution followed afterwards: its snapshot and end (the events are past).
    later = events((await client.get(f"/api/executions/{execution_id}/events")).text)
    assert [k for k, _ in later] == ["snapshot", "end"]
    assert later[0][1]["id"] == execution_id and later[1][1] == {"status": "success"}


async def test_follow_a_run_that_waits_ends_with_it_waiting(client: httpx.AsyncClient) -> None:
    doc = {
        "name": "waits",
        "nodes": [
            {"id": "start", "type": "core.manual"},
            {"id": "pause", "type": "core.wait", "params": {"seconds": 3600}},
        ],
        "connections": [{"from": "start", "to": "pause"}],
    }
    resp = await follow(client, await create(client, doc))
    assert resp.status_code == 200, resp.text
    got = events(resp.text)
    assert got[0][0] == "started" and got[1][0] == "snapshot"
    assert [k for k, _ in got[-2:]] == ["execution.waiting", "end"]
    assert got[-1][1] == {"status": "waiting"}
    record = (await client.get(f"/api/executions/{got[0][1]['execution_id']}")).json()
    assert record["status"] == "waiting"


async def test_follow_has_every_delta_of_a_streaming_node_from_the_first(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    integration = await client.post(
        "/api/integrations",
        json={
            "name": "Models",
            "type": "openai",
            "credentials": {"base_url": model_server.url + "/v1", "api_key": "sk-follow"},
        },
    )
    assert integration.status_code == 201, integration.text
    doc = {
        "name": "story",
        "nodes": [
            {"id": "start", "type": "core.manual"},
            {
                "id": "ask",
                "type": "ai.chat",
                "params": {
                    "integration_id": integration.json()["id"],
                    "model": "gpt-test",
                    "prompt": "Tell a very short story",
                    "stream": True,
                },
            },
        ],
        "connections": [{"from": "start", "to": "ask"}],
    }
    wf = await create(client, doc)
    model_server.script(Reply(text=ANSWER))
    resp = await follow(client, wf)
    assert resp.status_code == 200, resp.text
    got = events(resp.text)
    kinds = [k for k, _ in got]
    assert kinds[:2] == ["started", "snapshot"] and kinds[-1] == "end", kinds
    assert got[-1][1] == {"status": "success"}

    deltas = [d for k, d in got if k == "step.delta"]
    assert len(deltas) > 1  # streamed, a few characters at a time
    assert all(d["node_id"] == "ask" for d in deltas)
    # Every piece, from the very first one: the text is whole.
    assert deltas[0]["text"] == ANSWER[:4]
    assert "".join(d["text"] for d in deltas) == ANSWER
    # The pieces come while the node's step runs, between its start and its end.
    ask = [i for i, (k, d) in enumerate(got) if k.startswith("step.") and d["node_id"] == "ask"]
    assert got[ask[0]][0] == "step.started" and got[ask[-1]][0] == "step.finished"
    assert kinds[ask[0] + 1 : ask[-1]] == ["step.delta"] * len(deltas)
    assert model_server.requests[-1].json["stream"] is True

    record = (await client.get(f"/api/executions/{got[0][1]['execution_id']}")).json()
    step = next(s for s in record["steps"] if s["node_id"] == "ask")
    assert step["output"]["main"][0]["text"] == ANSWER
    assert "sk-follow" not in resp.text


async def test_refusals_stay_json_errors_and_start_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    def refused(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
        assert resp.status_code == status, resp.text
        assert resp.headers["content-type"].startswith("application/json")
        body: dict[str, Any] = resp.json()
        assert body["code"] == code, body
        return body

    # An unknown workflow.
    refused(await follow(client, 999999), 404, "not_found")
    # A document that cannot run (an action no installed integration runs).
    unrunnable = await create(client, _uses_jira(await _jira(client)), active=False)
    body = refused(await follow(client, unrunnable, {}), 422, "validation_error")
    assert body["errors"][0]["field"] == "nodes[1].type"
    # A bad body.
    wf = await create(client, MANUAL)
    body = refused(await follow(client, wf, {"input": 1, "extra": 2}), 422, "validation_error")
    assert body["errors"][0]["field"] == "body.extra"
    # follow and wait do not combine.
    resp = await client.post(f"/api/workflows/{wf}/execute?follow=true&wait=true", json={})
    body = refused(resp, 422, "validation_error")
    assert body["errors"][0]["field"] == "query.wait"
    # A viewer may not run workflows; nobody without a token.
    _, token = await make_user(client, "view@example.com", "viewer")
    resp = await client.post(
        f"/api/workflows/{wf}/execute?follow=true",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )
    refused(resp, 403, "forbidden")
    resp = await client.post(
        f"/api/workflows/{wf}/execute?follow=true", json={}, headers={"Authorization": ""}
    )
    assert resp.status_code == 401, resp.text
    assert resp.headers["content-type"].startswith("application/json")

    assert (await client.get("/api/executions")).json()["items"] == []
    assert subscriptions(runtime) == {}
