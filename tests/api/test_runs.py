"""Running workflows over the API: execute, wait, cancel, retry, node test runs, live events,
and webhooks with their response modes — against the real app, on every database."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.engine.waiting import wait_for
from wirework.services.runtime import Runtime
from wirework.services.webhooks import resume_token


async def create(client: httpx.AsyncClient, doc: dict[str, Any], active: bool = True) -> int:
    resp = await client.post("/api/workflows", json={**doc, "active": active})
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


MANUAL = {
    "name": "manual",
    "nodes": [
        {"id": "start", "type": "core.manual"},
        {
            "id": "greet",
            "name": "Greet",
            "type": "core.set",
            "params": {"fields": {"greeting": "hello {{ json.name }}", "n": "{{ json.n * 2 }}"}},
        },
    ],
    "connections": [{"from": "start", "to": "greet"}],
}


async def test_execute_and_wait_returns_the_record(client: httpx.AsyncClient) -> None:
    wf = await create(client, MANUAL)
    resp = await client.post(
        f"/api/workflows/{wf}/execute?wait=true", json={"input": {"name": "ada", "n": 21}}
    )
    assert resp.status_code == 200, resp.text
    rec = resp.json()
    assert rec["status"] == "success" and rec["workflow_id"] == wf
    assert rec["result"] == [{"name": "ada", "n": 42, "greeting": "hello ada"}]
    assert [s["node_id"] for s in rec["steps"]] == ["start", "greet"]
    assert rec["steps"][0]["output"] == {"main": [{"name": "ada", "n": 21}]}

    listed = (await client.get(f"/api/workflows/{wf}/executions")).json()["items"]
    assert [e["id"] for e in listed] == [rec["id"]]
    assert (await client.get(f"/api/executions/{rec['id']}")).json() == rec


async def test_execute_without_wait_is_accepted_then_finishes(client: httpx.AsyncClient) -> None:
    wf = await create(client, MANUAL)
    resp = await client.post(f"/api/workflows/{wf}/execute", json={"input": [{"n": 1}, {"n": 2}]})
    assert resp.status_code == 202
    execution_id = resp.json()["id"]

    async def succeeded() -> Any:
        rec = (await client.get(f"/api/executions/{execution_id}")).json()
        return rec if rec["status"] == "success" else None

    rec = await wait_for(succeeded, "the execution succeeded")
    assert [i["n"] for i in rec["result"]] == [2, 4]


async def test_bad_expression_fails_the_step_naming_node_and_parameter(
    client: httpx.AsyncClient,
) -> None:
    doc = {
        "name": "bad",
        "nodes": [
            {"id": "start", "type": "core.manual"},
            {"id": "calc", "type": "core.set", "params": {"fields": {"x": "{{ json.n + 'a' }}"}}},
        ],
        "connections": [{"from": "start", "to": "calc"}],
    }
    wf = await create(client, doc)
    rec = (
        await client.post(f"/api/workflows/{wf}/execute?wait=true", json={"input": {"n": 1}})
    ).json()
    assert rec["status"] == "error"
    message = rec["error"]["message"]
    assert "calc" in message and "fields.x" in message and "json.n + 'a'" in message


async def test_execute_unknown_workflow_is_404(client: httpx.AsyncClient) -> None:
    resp = await client.post("/api/workflows/999999/execute", json={})
    assert resp.status_code == 404


async def test_cancel_waiting_execution_and_retry_failed_one(client: httpx.AsyncClient) -> None:
    doc = {
        "name": "waits",
        "nodes": [
            {"id": "start", "type": "core.manual"},
            {"id": "pause", "type": "core.wait", "params": {"seconds": 3600}},
        ],
        "connections": [{"from": "start", "to": "pause"}],
    }
    wf = await create(client, doc)
    rec = (await client.post(f"/api/workflows/{wf}/execute?wait=true", json={})).json()
    assert rec["status"] == "waiting"
    resp = await client.post(f"/api/executions/{rec['id']}/cancel")
    assert resp.status_code == 200 and resp.json()["status"] == "canceled"
    assert (await client.post(f"/api/executions/{rec['id']}/cancel")).status_code == 409
    assert (await client.post("/api/executions/nope/cancel")).status_code == 404

    retried = await client.post(f"/api/executions/{rec['id']}/retry?wait=true")
    assert retried.status_code == 200
    assert retried.json()["retry_of"] == rec["id"]
    assert retried.json()["status"] == "waiting"

    ok = (
        await client.post(
            f"/api/workflows/{await create(client, MANUAL)}/execute?wait=true",
            json={"input": {"name": "x", "n": 1}},
        )
    ).json()
    assert (await client.post(f"/api/executions/{ok['id']}/retry")).status_code == 409


async def test_single_node_test_run(client: httpx.AsyncClient) -> None:
    wf = await create(client, MANUAL)
    resp = await client.post(
        f"/api/workflows/{wf}/nodes/greet/test", json={"items": [{"name": "bob", "n": 5}]}
    )
    assert resp.status_code == 200, resp.text
    rec = resp.json()
    assert rec["status"] == "success"
    assert rec["result"] == [{"name": "bob", "n": 10, "greeting": "hello bob"}]
    assert (await client.post(f"/api/workflows/{wf}/nodes/zzz/test", json={})).status_code == 404


async def test_events_stream_of_a_finished_execution(client: httpx.AsyncClient) -> None:
    wf = await create(client, MANUAL)
    rec = (
        await client.post(
            f"/api/workflows/{wf}/execute?wait=true", json={"input": {"name": "e", "n": 1}}
        )
    ).json()
    resp = await client.get(f"/api/executions/{rec['id']}/events")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert "event: snapshot" in resp.text and "event: end" in resp.text
    assert (await client.get("/api/executions/nope/events")).status_code == 404


def hook_doc(
    path: str, respond: str, extra_nodes: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    nodes = [
        {
            "id": "hook",
            "type": "core.webhook",
            "params": {"path": path, "method": "POST", "respond": respond},
        },
        {
            "id": "set",
            "type": "core.set",
            "params": {"fields": {"title": "{{ json.body.title }}"}, "keep_input": False},
        },
    ]
    conns = [{"from": "hook", "to": "set"}]
    if extra_nodes:
        nodes += extra_nodes
        conns.append({"from": "set", "to": extra_nodes[0]["id"]})
    return {"name": f"hook {path}", "nodes": nodes, "connections": conns}


async def test_webhook_response_modes(client: httpx.AsyncClient) -> None:
    await create(client, hook_doc("last", "last_node"))
    resp = await client.post("/webhook/last", json={"title": "Bug"})
    assert resp.status_code == 200 and resp.json() == {"title": "Bug"}

    await create(client, hook_doc("now", "immediately"))
    resp = await client.post("/webhook/now", json={"title": "x"})
    assert resp.status_code == 200 and resp.json()["status"] == "started"
    execution_id = resp.json()["execution_id"]
    assert (await client.get(f"/api/executions/{execution_id}")).status_code == 200

    respond = {
        "id": "answer",
        "type": "core.respond",
        "params": {
            "status": 201,
            "headers": {"x-made-by": "wirework"},
            "body": {"got": "{{ json.title }}"},
        },
    }
    await create(client, hook_doc("answer", "respond_node", [respond]))
    resp = await client.post("/webhook/answer", json={"title": "T"})
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"got": "T"} and resp.headers["x-made-by"] == "wirework"


async def test_webhook_item_shape_and_content_types(client: httpx.AsyncClient) -> None:
    doc = {
        "name": "echo",
        "nodes": [
            {
                "id": "hook",
                "type": "core.webhook",
                "params": {"path": "echo/deep", "respond": "last_node"},
            }
        ],
        "connections": [],
    }
    await create(client, doc)
    resp = await client.post("/webhook/echo/deep?x=1", json={"a": [1, 2]})
    item = resp.json()
    assert item["body"] == {"a": [1, 2]} and item["query"] == {"x": "1"}
    assert item["method"] == "POST" and item["path"] == "echo/deep"
    assert item["headers"]["content-type"] == "application/json"

    resp = await client.post("/webhook/echo/deep", data={"k": "v"})
    assert resp.json()["body"] == {"k": "v"}
    resp = await client.post(
        "/webhook/echo/deep", content=b"plain", headers={"content-type": "text/plain"}
    )
    assert resp.json()["body"] == "plain"
    resp = await client.post(
        "/webhook/echo/deep", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert resp.status_code == 400 and "not valid JSON" in resp.json()["detail"]


async def test_webhook_unknown_path_method_or_inactive_is_plain_404(
    client: httpx.AsyncClient,
) -> None:
    wf = await create(client, hook_doc("off", "last_node"), active=False)
    for method, path in [
        ("POST", "/webhook/nope"),
        ("GET", "/webhook/off"),
        ("POST", "/webhook/off"),
        ("POST", "/webhook-test/off"),  # not armed by an editor
    ]:
        resp = await client.request(method, path)
        assert resp.status_code == 404 and resp.json()["detail"] == "Not Found"
    # once an editor arms it, the test URL runs the inactive workflow (one call)
    assert (await client.post(f"/api/workflows/{wf}/test-webhook")).status_code == 201
    resp = await client.post("/webhook-test/off", json={"title": "t"})
    assert resp.status_code == 200 and resp.json() == {"title": "t"}


async def test_webhook_body_size_limit(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await create(client, hook_doc("big", "last_node"))
    limit = runtime.settings.webhook_max_body_bytes
    resp = await client.post(
        "/webhook/big", content=b"x" * (limit + 1), headers={"content-type": "text/plain"}
    )
    assert resp.status_code == 413


async def test_wait_resumes_through_its_resume_url(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    doc = {
        "name": "approval",
        "nodes": [
            {"id": "start", "type": "core.manual"},
            {"id": "approve", "type": "core.wait", "params": {"resume": "webhook"}},
            {
                "id": "after",
                "type": "core.set",
                "params": {"fields": {"ok": "{{ json.resume.body.approved }}"}},
            },
        ],
        "connections": [{"from": "start", "to": "approve"}, {"from": "approve", "to": "after"}],
    }
    wf = await create(client, doc)
    rec = (
        await client.post(f"/api/workflows/{wf}/execute?wait=true", json={"input": {"n": 1}})
    ).json()
    assert rec["status"] == "waiting"
    bad = await client.post(f"/webhook-waiting/{rec['id']}?token=wrong", json={})
    assert bad.status_code == 404
    token = resume_token(runtime.signing_key, rec["id"])
    resp = await client.post(f"/webhook-waiting/{rec['id']}?token={token}", json={"approved": True})
    assert resp.status_code == 200, resp.text

    async def ended() -> Any:
        final = (await client.get(f"/api/executions/{rec['id']}")).json()
        return final if final["status"] not in ("running", "waiting") else None

    final = await wait_for(ended, "the resumed execution ended")
    assert final["status"] == "success", json.dumps(final)
    assert final["result"][0]["ok"] is True


async def test_subworkflow_and_error_workflow(client: httpx.AsyncClient) -> None:
    child = await create(
        client,
        {
            "name": "child",
            "nodes": [
                {"id": "in", "type": "core.workflow_trigger"},
                {
                    "id": "double",
                    "type": "core.set",
                    "params": {"fields": {"d": "{{ json.n * 2 }}"}},
                },
            ],
            "connections": [{"from": "in", "to": "double"}],
        },
    )
    alerts = await create(
        client,
        {
            "name": "alerts",
            "nodes": [
                {"id": "err", "type": "core.error_trigger"},
                {
                    "id": "note",
                    "type": "core.set",
                    "params": {"fields": {"failed": "{{ json.execution.id }}"}},
                },
            ],
            "connections": [{"from": "err", "to": "note"}],
        },
    )
    parent = await create(
        client,
        {
            "name": "parent",
            "nodes": [
                {"id": "start", "type": "core.manual"},
                {"id": "call", "type": "core.subworkflow", "params": {"workflow_id": child}},
                {"id": "check", "type": "core.if", "params": {"condition": "{{ json.d > 10 }}"}},
                {
                    "id": "fail",
                    "type": "core.stop_error",
                    "params": {"message": "too big: {{ json.d }}"},
                },
            ],
            "connections": [
                {"from": "start", "to": "call"},
                {"from": "call", "to": "check"},
                {"from": "check", "from_output": "true", "to": "fail"},
            ],
            "settings": {"error_workflow": alerts},
        },
    )
    ok = (
        await client.post(f"/api/workflows/{parent}/execute?wait=true", json={"input": {"n": 2}})
    ).json()
    assert ok["status"] == "success"
    assert [s["output"] for s in ok["steps"] if s["node_id"] == "call"] == [
        {"main": [{"n": 2, "d": 4}]}
    ]
    children = (await client.get(f"/api/workflows/{child}/executions")).json()["items"]
    assert len(children) == 1 and children[0]["parent_execution_id"] == ok["id"]

    failed = (
        await client.post(f"/api/workflows/{parent}/execute?wait=true", json={"input": {"n": 9}})
    ).json()
    assert failed["status"] == "error" and failed["error"]["message"] == "too big: 18"

    async def alerted() -> Any:
        runs = (await client.get(f"/api/workflows/{alerts}/executions")).json()["items"]
        return runs if runs and runs[0]["status"] == "success" else None

    runs = await wait_for(alerted, "the error workflow ran")
    assert runs[0]["parent_execution_id"] == failed["id"]
    record = (await client.get(f"/api/executions/{runs[0]['id']}")).json()
    assert record["result"][0]["failed"] == failed["id"]
