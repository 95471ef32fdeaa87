"""/api/workflows and /api/node-types, on every database backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from wirework.api.routes.workflows import node_types_router

EXAMPLES = Path(__file__).parents[2] / "examples"

JIRA_TYPE = {
    "name": "tracker",
    "display_name": "Tracker",
    "parameters": [
        {"name": "base_url", "type": "string", "required": True},
        {"name": "email", "type": "string", "required": True},
        {"name": "api_token", "type": "password", "required": True},
    ],
    "actions": [
        {
            "name": "create_issue",
            "parameters": [
                {"name": "project", "required": True},
                {"name": "summary", "required": True},
                {"name": "description"},
            ],
        }
    ],
}


def simple(name: str = "Simple", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "nodes": [
            {"id": "start", "type": "core.manual"},
            {"id": "tag", "type": "core.set", "params": {"fields": {"a": 1}}},
        ],
        "connections": [{"from": "start", "to": "tag"}],
        **extra,
    }


def fields(resp: httpx.Response) -> dict[str, dict[str, Any]]:
    return {e["field"]: e for e in resp.json()["errors"]}


async def create(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    resp = await client.post("/api/workflows", json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def test_seed_walkthrough(client: httpx.AsyncClient) -> None:
    resp = await client.post("/api/integration-types", json=JIRA_TYPE)
    assert resp.status_code == 201, resp.text
    resp = await client.post(
        "/api/integrations",
        json={
            "name": "Jira - acme",
            "type": "tracker",
            "credentials": {"base_url": "https://acme", "email": "a@b.c", "api_token": "t0k"},
        },
    )
    assert resp.status_code == 201, resp.text
    integration_id = resp.json()["id"]

    seed = yaml.safe_load((EXAMPLES / "bug_to_jira.yaml").read_text())
    seed["nodes"][2]["integration_id"] = integration_id
    body = await create(client, seed)
    jira = body["nodes"][2]
    assert jira["type"] == "tracker.create_issue"
    assert jira["integration_id"] == integration_id and jira["task"] is None
    assert jira["retry"]["max_attempts"] == 3 and jira["timeout_s"] == 30
    assert body["version"] == 1 and body["active"] is False
    assert body["connections"][1] == {
        "from": "check",
        "from_output": "true",
        "to": "1",
        "to_input": "main",
    }
    assert body["settings"]["concurrency"] == 10

    resp = await client.get(f"/api/workflows/{body['id']}/versions/1")
    stored = resp.json()["document"]
    assert stored["nodes"][2]["type"] == "tracker.create_issue" and "task" not in stored["nodes"][2]

    # A bad parameter for the action is named with its node.
    seed["nodes"][2]["params"] = {"summary": "s", "colour": "red"}
    resp = await client.post("/api/workflows", json=seed)
    assert resp.status_code == 422
    errors = fields(resp)
    assert errors["nodes[2].params.project"]["message"] == "is required"
    assert errors["nodes[2].params.colour"]["node_id"] == "1"


async def test_crud_and_versions(client: httpx.AsyncClient) -> None:
    body = await create(client, simple(description="first"))
    wid = body["id"]
    assert body["description"] == "first" and body["version"] == 1

    resp = await client.get(f"/api/workflows/{wid}")
    assert resp.status_code == 200 and resp.json()["nodes"][1]["params"] == {"fields": {"a": 1}}

    # Saving the same document makes no new version.
    resp = await client.put(f"/api/workflows/{wid}", json={**simple(description="first")})
    assert resp.status_code == 200 and resp.json()["version"] == 1

    changed = simple(description="second")
    changed["nodes"][1]["params"]["fields"] = {"a": 2}
    resp = await client.put(f"/api/workflows/{wid}", json={**changed, "version": 1})
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 2 and resp.json()["description"] == "second"

    # Optimistic concurrency: an edit based on version 1 is refused now.
    resp = await client.put(f"/api/workflows/{wid}", json={**simple("Stale"), "version": 1})
    assert resp.status_code == 409 and resp.json()["code"] == "conflict"
    assert "version" in resp.json()["detail"]
    resp = await client.patch(f"/api/workflows/{wid}", json={"name": "Stale", "version": 1})
    assert resp.status_code == 409

    resp = await client.patch(f"/api/workflows/{wid}", json={"name": "Renamed", "version": 2})
    assert resp.status_code == 200 and resp.json()["version"] == 3
    assert resp.json()["name"] == "Renamed" and resp.json()["description"] == "second"

    # Toggling active alone is not a version.
    resp = await client.post(f"/api/workflows/{wid}/activate")
    assert resp.status_code == 200 and resp.json()["active"] is True
    assert resp.json()["version"] == 3
    resp = await client.patch(f"/api/workflows/{wid}", json={"active": False})
    assert resp.json()["active"] is False and resp.json()["version"] == 3
    resp = await client.post(f"/api/workflows/{wid}/deactivate")
    assert resp.status_code == 200 and resp.json()["active"] is False

    # What GET returns can be edited and sent back; its version guards the edit.
    shown = (await client.get(f"/api/workflows/{wid}")).json()
    shown["nodes"][1]["params"]["fields"] = {"a": 3}
    resp = await client.put(f"/api/workflows/{wid}", json=shown)
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 4 and resp.json()["active"] is False
    resp = await client.put(f"/api/workflows/{wid}", json=shown)
    assert resp.status_code == 409
    resp = await client.put(f"/api/workflows/{wid}", json={**shown, "id": wid + 1, "version": 4})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "id"

    resp = await client.get(f"/api/workflows/{wid}/versions")
    versions = resp.json()
    assert [v["version"] for v in versions] == [4, 3, 2, 1]
    assert [v["name"] for v in versions] == ["Renamed", "Renamed", "Simple", "Simple"]
    assert all(v["created_by"] is not None for v in versions)

    # Old versions are immutable.
    first = (await client.get(f"/api/workflows/{wid}/versions/1")).json()
    assert first["document"]["description"] == "first"
    assert first["document"]["nodes"][1]["params"]["fields"] == {"a": 1}
    second = (await client.get(f"/api/workflows/{wid}/versions/2")).json()
    assert second["document"]["nodes"][1]["params"]["fields"] == {"a": 2}
    resp = await client.get(f"/api/workflows/{wid}/versions/9")
    assert resp.status_code == 404

    resp = await client.delete(f"/api/workflows/{wid}")
    assert resp.status_code == 204
    for path in ("", "/versions", "/versions/1", "/export"):
        resp = await client.get(f"/api/workflows/{wid}{path}")
        assert resp.status_code == 404 and resp.json()["code"] == "not_found", path


async def test_not_found(client: httpx.AsyncClient) -> None:
    for method, path, body in [
        ("GET", "/api/workflows/999999", None),
        ("PUT", "/api/workflows/999999", simple()),
        ("PATCH", "/api/workflows/999999", {"name": "x"}),
        ("DELETE", "/api/workflows/999999", None),
        ("POST", "/api/workflows/999999/activate", None),
        ("POST", "/api/workflows/999999/deactivate", None),
        ("GET", "/api/workflows/999999/versions", None),
    ]:
        resp = await client.request(method, path, json=body)
        assert resp.status_code == 404, (method, path, resp.text)
        assert "workflow 999999 not found" in resp.json()["detail"]
    resp = await client.get("/api/workflows/99999999999")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "workflow_id"


async def test_validation_errors_name_field_and_node(client: httpx.AsyncClient) -> None:
    body = {
        "name": "Broken",
        "nodes": [
            {"id": "hook", "type": "core.webhook", "params": {"path": "p"}},
            {"id": "check", "type": "core.if", "params": {"condition": "{{ json.x }}"}},
            {"id": "check", "type": "core.noop"},
            {
                "id": "h",
                "type": "core.http_request",
                "params": {"url": "nope", "timeout_s": "{{ json.t }}"},
            },
            {"id": "loop1", "type": "core.noop"},
            {"id": "loop2", "type": "core.noop"},
            {"id": "x", "type": "core.sett"},
        ],
        "connections": [
            {"from": "hook", "to": "check"},
            {"from": "check", "from_output": "maybe", "to": "h"},
            {"from": "h", "to": "ghost"},
            {"from": "loop1", "to": "loop2"},
            {"from": "loop2", "to": "loop1"},
            {"from": "h", "to": "hook"},
        ],
    }
    resp = await client.post("/api/workflows", json=body)
    assert resp.status_code == 422
    data = resp.json()
    assert data["code"] == "validation_error" and "and" in data["detail"]
    errors = fields(resp)
    assert errors["nodes[2].id"]["node_id"] == "check"
    assert errors["nodes[3].params.url"]["node_id"] == "h"
    assert "nodes[3].params.timeout_s" not in errors
    assert "did you mean 'core.set'" in errors["nodes[6].type"]["message"]
    assert "no output 'maybe'" in errors["connections[1].from_output"]["message"]
    assert "unknown node 'ghost'" in errors["connections[2].to"]["message"]
    assert "'loop1' → 'loop2' → 'loop1'" in errors["connections[4]"]["message"]
    assert "trigger" in errors["connections[5].to"]["message"]
    # Nothing was saved.
    assert (await client.get("/api/workflows")).json()["total"] == 0


async def test_shape_errors_have_plain_paths(client: httpx.AsyncClient) -> None:
    body = simple()
    body["nodes"][1]["retry"] = {"max_attempts": 0}
    body["nodes"][1]["colour"] = "red"
    body["connections"][0]["form"] = "start"
    resp = await client.post("/api/workflows", json=body)
    assert resp.status_code == 422
    errors = fields(resp)
    assert errors["nodes[1].retry.max_attempts"]["node_id"] == "tag"
    assert errors["nodes[1].colour"]["message"].startswith("unknown field")
    assert "did you mean 'from'" in errors["connections[0].form"]["message"]
    nan = '{"name": "x", "nodes": [{"id": "a", "type": "core.set", "params": {"v": NaN}}]}'
    for bad in ("[1, 2]", "{not json", "", nan):
        resp = await client.post(
            "/api/workflows", content=bad, headers={"content-type": "application/json"}
        )
        assert resp.status_code == 422, (bad, resp.text)
    resp = await client.post("/api/workflows", json={**simple(), "nodes": []})
    assert resp.status_code == 422 and "nodes" in fields(resp)


async def test_list_filter_and_paginate(client: httpx.AsyncClient) -> None:
    names = ["Alpha report", "beta REPORT", "Gamma", "50% off_sale"]
    ids = [(await create(client, simple(name)))["id"] for name in names]
    await client.post(f"/api/workflows/{ids[2]}/activate")

    resp = await client.get("/api/workflows")
    page = resp.json()
    assert page["total"] == 4 and page["limit"] == 50 and page["offset"] == 0
    assert page["items"][0]["id"] == ids[2]  # most recently updated first

    resp = await client.get("/api/workflows", params={"name": "RePort"})
    assert sorted(w["name"] for w in resp.json()["items"]) == ["Alpha report", "beta REPORT"]
    assert resp.json()["total"] == 2
    resp = await client.get("/api/workflows", params={"name": "%"})
    assert [w["name"] for w in resp.json()["items"]] == ["50% off_sale"]
    resp = await client.get("/api/workflows", params={"name": "f_s"})
    assert resp.json()["total"] == 1
    resp = await client.get("/api/workflows", params={"active": "true"})
    assert [w["id"] for w in resp.json()["items"]] == [ids[2]]

    seen: list[int] = []
    for offset in (0, 2, 4):
        resp = await client.get("/api/workflows", params={"limit": 2, "offset": offset})
        assert resp.json()["total"] == 4
        seen += [w["id"] for w in resp.json()["items"]]
    assert sorted(seen) == sorted(ids)

    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}):
        resp = await client.get("/api/workflows", params=params)
        assert resp.status_code == 422 and resp.json()["errors"][0]["field"] in params


async def test_import_export_round_trip(client: httpx.AsyncClient) -> None:
    for fmt in ("yaml", "json"):
        await _round_trip(client, fmt)


async def _round_trip(client: httpx.AsyncClient, fmt: str) -> None:
    text = (EXAMPLES / "order_routing.yaml").read_text()
    if fmt == "json":
        text = json.dumps(yaml.safe_load(text))
    content_type = "application/yaml" if fmt == "yaml" else "application/json"
    resp = await client.post(
        "/api/workflows/import", content=text, headers={"content-type": content_type}
    )
    assert resp.status_code == 201, resp.text
    wid = resp.json()["id"]
    assert resp.json()["name"] == "Order routing"

    resp = await client.get(f"/api/workflows/{wid}/export", params={"format": fmt})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith(content_type)
    assert resp.headers["content-disposition"] == f'attachment; filename="order-routing.{fmt}"'
    exported = resp.text
    if fmt == "yaml":
        assert "code: |" in exported  # code stays readable
    resp = await client.post(
        "/api/workflows/import", content=exported, headers={"content-type": content_type}
    )
    assert resp.status_code == 201
    again = resp.json()["id"]
    resp = await client.get(f"/api/workflows/{again}/export", params={"format": fmt})
    assert resp.text == exported
    first = (await client.get(f"/api/workflows/{wid}")).json()
    second = (await client.get(f"/api/workflows/{again}")).json()
    for key in ("name", "nodes", "connections", "settings"):
        assert first[key] == second[key]


async def test_import_errors(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/api/workflows/import",
        content="name: x\nnodes:\n  - id: a\n    type: [core.noop\n",
        headers={"content-type": "application/yaml"},
    )
    assert resp.status_code == 422
    assert "malformed YAML at line 5" in resp.json()["detail"]
    assert resp.json()["errors"][0]["field"] == "document"

    resp = await client.post(
        "/api/workflows/import", content="x", headers={"content-type": "image/png"}
    )
    assert resp.status_code == 415

    resp = await client.post(
        "/api/workflows/import",
        content=b"#" * (5 * 1024 * 1024 + 1),
        headers={"content-type": "text/yaml"},
    )
    assert resp.status_code == 413

    resp = await client.post(
        "/api/workflows/import?format=json",
        content='{"name": "x", "nodes": [{"id": "a", "type": "core.nope"}]}',
        headers={"content-type": "text/plain"},
    )
    assert resp.status_code == 422 and fields(resp)["nodes[0].type"]["node_id"] == "a"


async def test_validate_only(client: httpx.AsyncClient) -> None:
    resp = await client.post("/api/workflows/validate", json=simple())
    assert resp.status_code == 200
    assert resp.json() == {
        "valid": True,
        "errors": [],
        "warnings": [],
        "document": {
            "name": "Simple",
            "nodes": [
                {"id": "start", "name": "start", "type": "core.manual", "params": {}},
                {"id": "tag", "name": "tag", "type": "core.set", "params": {"fields": {"a": 1}}},
            ],
            "connections": [{"from": "start", "to": "tag"}],
        },
    }
    resp = await client.post(
        "/api/workflows/validate",
        content="name: x\nnodes: [{id: a, type: core.if, params: {condition: nope}}]\n",
        headers={"content-type": "application/yaml"},
    )
    result = resp.json()
    assert resp.status_code == 200 and result["valid"] is False and result["document"] is None
    assert result["errors"][0]["field"] == "nodes[0].params.condition"
    assert result["errors"][0]["node_id"] == "a"
    resp = await client.post(
        "/api/workflows/validate", content="a: [", headers={"content-type": "application/yaml"}
    )
    assert resp.json()["valid"] is False and "malformed YAML" in resp.json()["errors"][0]["message"]
    assert (await client.get("/api/workflows")).json()["total"] == 0


async def test_activation_rules(client: httpx.AsyncClient) -> None:
    no_trigger = {"name": "t", "nodes": [{"id": "a", "type": "core.noop"}]}
    resp = await client.post("/api/workflows", json={**no_trigger, "active": True})
    assert resp.status_code == 422 and "trigger" in resp.json()["detail"]

    hook = {
        "name": "Hook",
        "nodes": [{"id": "h", "type": "core.webhook", "params": {"path": "orders"}}],
    }
    first = await create(client, {**hook, "active": True})
    assert first["active"] is True
    second = await create(client, hook)
    resp = await client.post(f"/api/workflows/{second['id']}/activate")
    assert resp.status_code == 409 and "POST /orders" in resp.json()["detail"]
    await client.post(f"/api/workflows/{first['id']}/deactivate")
    resp = await client.post(f"/api/workflows/{second['id']}/activate")
    assert resp.status_code == 200 and resp.json()["active"] is True


async def test_references_to_workflows(client: httpx.AsyncClient) -> None:
    handler = await create(
        client, {"name": "On error", "nodes": [{"id": "e", "type": "core.error_trigger"}]}
    )
    main = await create(client, simple(settings={"error_workflow": handler["id"]}))
    assert main["settings"]["error_workflow"] == handler["id"]
    resp = await client.patch(f"/api/workflows/{main['id']}", json={"settings": {"concurrency": 2}})
    assert resp.json()["settings"]["error_workflow"] == handler["id"]  # settings are merged
    assert resp.json()["settings"]["concurrency"] == 2 and resp.json()["version"] == 2
    resp = await client.patch(
        f"/api/workflows/{main['id']}", json={"settings": {"error_workflow": main["id"]}}
    )
    assert resp.status_code == 422
    assert "own error workflow" in fields(resp)["settings.error_workflow"]["message"]
    resp = await client.post("/api/workflows", json=simple(settings={"error_workflow": 999999}))
    assert resp.status_code == 422 and "workflow 999999 not found" in resp.json()["detail"]


async def test_viewer_cannot_edit(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    wid = (await create(client, simple()))["id"]
    resp = await client.post(
        "/api/users",
        json={"email": "v@example.com", "password": "viewer password 1", "role": "viewer"},
    )
    if resp.status_code != 201:
        pytest.skip(f"users API not available: {resp.status_code}")
    login = await client.post(
        "/api/auth/login", json={"email": "v@example.com", "password": "viewer password 1"}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get(f"/api/workflows/{wid}", headers=headers)).status_code == 200
    resp = await client.delete(f"/api/workflows/{wid}", headers=headers)
    assert resp.status_code == 403


async def test_node_types_and_auth(client: httpx.AsyncClient) -> None:
    app = client._transport.app  # type: ignore[attr-defined]
    if not any(getattr(r, "path", "") == "/api/node-types" for r in app.routes):
        app.include_router(node_types_router, prefix="/api")  # until app.py includes it
    resp = await client.get("/api/node-types")
    assert resp.status_code == 200
    catalogue = {n["type"]: n for n in resp.json()}
    assert catalogue["core.if"]["outputs"] == ["true", "false"]
    assert catalogue["core.webhook"]["inputs"] == []
    assert catalogue["core.merge"]["inputs"] == ["in1", "in2"]
    assert "path" in catalogue["core.webhook"]["params_schema"]["properties"]
    resp = await client.get("/api/node-types", params={"group": "trigger"})
    assert {n["group"] for n in resp.json()} == {"trigger"}
    resp = await client.get("/api/node-types/core.switch")
    assert resp.status_code == 200 and resp.json()["outputs"] is None
    assert (await client.get("/api/node-types/core.nope")).status_code == 404

    token = client.headers.pop("Authorization")
    try:
        assert (await client.get("/api/workflows")).status_code == 401
        assert (await client.post("/api/workflows", json=simple())).status_code == 401
        assert (await client.get("/api/node-types")).status_code == 401
    finally:
        client.headers["Authorization"] = token


MERGE_BY_HAND = {
    "name": "Merge by hand",
    "nodes": [
        {"id": "start", "type": "core.manual"},
        {"id": "a", "type": "core.set", "params": {"fields": {"from": "a"}}},
        {"id": "b", "type": "core.set", "params": {"fields": {"from": "b"}}},
        {"id": "join", "type": "core.merge"},
    ],
    "connections": [
        {"from": "start", "to": "a"},
        {"from": "start", "to": "b"},
        {"from": "a", "to": "join"},
        {"from": "b", "to": "join"},
    ],
}


async def test_merge_connections_without_to_input(client: httpx.AsyncClient) -> None:
    """The seed's hand-written documents: connections into core.merge take in1, in2, …"""
    body = await create(client, MERGE_BY_HAND)
    assert [c["to_input"] for c in body["connections"][2:]] == ["in1", "in2"]
    wf = body["id"]
    rec = (await client.post(f"/api/workflows/{wf}/execute?wait=true", json={})).json()
    assert rec["status"] == "success", rec
    assert rec["result"] == [{"from": "a"}, {"from": "b"}]
    # PUT and PATCH with a third branch: the merge grows to three inputs.
    third = {"id": "c", "type": "core.set", "params": {"fields": {"from": "c"}}}
    grown = {
        **MERGE_BY_HAND,
        "nodes": [*MERGE_BY_HAND["nodes"], third],
        "connections": [
            *MERGE_BY_HAND["connections"],
            {"from": "start", "to": "c"},
            {"from": "c", "to": "join"},
        ],
    }
    resp = await client.put(f"/api/workflows/{wf}", json=grown)
    assert resp.status_code == 200, resp.text
    join = next(n for n in resp.json()["nodes"] if n["id"] == "join")
    assert join["params"] == {"inputs": 3}
    assert resp.json()["connections"][-1]["to_input"] == "in3"
    resp = await client.patch(f"/api/workflows/{wf}", json={"connections": grown["connections"]})
    assert resp.status_code == 200, resp.text
    rec = (await client.post(f"/api/workflows/{wf}/execute?wait=true", json={})).json()
    assert rec["result"] == [{"from": "a"}, {"from": "b"}, {"from": "c"}]
    resp = await client.post("/api/workflows/validate", json=MERGE_BY_HAND)
    assert resp.json()["valid"] is True


async def _jira(client: httpx.AsyncClient) -> int:
    resp = await client.post("/api/integration-types", json=JIRA_TYPE)
    assert resp.status_code == 201, resp.text
    resp = await client.post(
        "/api/integrations",
        json={
            "name": "Jira - acme",
            "type": "tracker",
            "credentials": {"base_url": "https://acme", "email": "a@b.c", "api_token": "t0k"},
        },
    )
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def _uses_jira(integration_id: int, name: str = "Jira bugs") -> dict[str, Any]:
    return {
        "name": name,
        "nodes": [
            {"id": "hook", "type": "core.webhook", "params": {"path": name.replace(" ", "-")}},
            {
                "id": "1",
                "type": "integration",
                "integration_id": integration_id,
                "task": "create_issue",
                "params": {"project": "BUG", "summary": "{{ json.body.title }}"},
            },
            {"id": "tag", "type": "core.set", "params": {"fields": {"a": 1}}},
        ],
        "connections": [{"from": "hook", "to": "1"}, {"from": "hook", "to": "tag"}],
    }


def _is_unrunnable_jira(errors: list[dict[str, Any]]) -> None:
    assert len(errors) == 1, errors
    assert errors[0]["node_id"] == "1" and errors[0]["field"] == "nodes[1].type"
    assert "no installed integration runs 'tracker.create_issue'" in errors[0]["message"]


async def test_actions_no_installed_integration_runs(client: httpx.AsyncClient) -> None:
    """Saved with a warning; refused (naming node and action) on activation and on manual
    and test runs, not left to fail at run time."""
    iid = await _jira(client)
    body = await create(client, _uses_jira(iid))
    wid = body["id"]
    _is_unrunnable_jira(body["warnings"])
    _is_unrunnable_jira((await client.get(f"/api/workflows/{wid}")).json()["warnings"])
    listed = (await client.get("/api/workflows")).json()["items"]
    _is_unrunnable_jira(listed[0]["warnings"])

    refusals = [
        await client.post(f"/api/workflows/{wid}/activate"),
        await client.patch(f"/api/workflows/{wid}", json={"active": True}),
        await client.put(f"/api/workflows/{wid}", json={**_uses_jira(iid), "active": True}),
        await client.post("/api/workflows", json={**_uses_jira(iid, "Other"), "active": True}),
        await client.post(f"/api/workflows/{wid}/execute?wait=true", json={}),
        await client.post(f"/api/workflows/{wid}/nodes/1/test", json={"items": [{}]}),
    ]
    for resp in refusals:
        assert resp.status_code == 422, resp.text
        assert (
            "node '1'" in resp.json()["detail"] and "tracker.create_issue" in resp.json()["detail"]
        )
        _is_unrunnable_jira(resp.json()["errors"])
    # Nothing was written: no second workflow, no execution, still inactive.
    assert (await client.get("/api/workflows")).json()["total"] == 1
    assert (await client.get("/api/executions")).json()["items"] == []
    assert (await client.get(f"/api/workflows/{wid}")).json()["active"] is False
    # A core node of the same workflow can still be tested.
    resp = await client.post(f"/api/workflows/{wid}/nodes/tag/test", json={"items": [{}]})
    assert resp.status_code == 200 and resp.json()["status"] == "success", resp.text

    # validate and import report it too.
    resp = await client.post("/api/workflows/validate", json=_uses_jira(iid))
    assert resp.json()["valid"] is True
    _is_unrunnable_jira(resp.json()["warnings"])
    resp = await client.post(
        "/api/workflows/import",
        content=yaml.safe_dump(_uses_jira(iid, "Imported")),
        headers={"content-type": "application/yaml"},
    )
    assert resp.status_code == 201, resp.text
    _is_unrunnable_jira(resp.json()["warnings"])

    # Disabled, the node does not stop activation (the warning stays).
    doc = _uses_jira(iid)
    doc["nodes"][1]["disabled"] = True
    resp = await client.put(f"/api/workflows/{wid}", json={**doc, "active": True})
    assert resp.status_code == 200 and resp.json()["active"] is True, resp.text
    _is_unrunnable_jira(resp.json()["warnings"])
    # Workflows of core nodes have no warnings.
    assert (await create(client, simple()))["warnings"] == []


async def test_an_integration_in_use_is_not_deleted(client: httpx.AsyncClient) -> None:
    """Every way a workflow refers to an integration: an action's integration_id, an HTTP
    request's params.integration_id, a webhook's params.auth.integration_id."""
    iid = await _jira(client)
    action = await create(client, _uses_jira(iid))
    http = await create(
        client,
        {
            "name": "Fetch",
            "nodes": [
                {"id": "m", "type": "core.manual"},
                {
                    "id": "get",
                    "type": "core.http_request",
                    "params": {"url": "https://example.com/x", "integration_id": iid},
                },
            ],
            "connections": [{"from": "m", "to": "get"}],
        },
    )
    hook = await create(
        client,
        {
            "name": "Signed hook",
            "nodes": [
                {
                    "id": "h",
                    "type": "core.webhook",
                    "params": {"path": "signed", "auth": {"type": "header", "integration_id": iid}},
                }
            ],
        },
    )
    await create(client, simple())  # uses nothing
    for wf in (action, http, hook):
        resp = await client.delete(f"/api/integrations/{iid}")
        assert resp.status_code == 409, resp.text
        detail = resp.json()["detail"]
        assert f"{wf['id']} ({wf['name']!r})" in detail, detail
        assert (await client.get(f"/api/integrations/{iid}")).status_code == 200
        assert (await client.delete(f"/api/workflows/{wf['id']}")).status_code == 204
    assert (await client.delete(f"/api/integrations/{iid}")).status_code == 204


async def test_a_workflow_in_use_is_not_deleted(client: httpx.AsyncClient) -> None:
    handler = await create(
        client, {"name": "On error", "nodes": [{"id": "e", "type": "core.error_trigger"}]}
    )
    child = await create(
        client, {"name": "Child", "nodes": [{"id": "t", "type": "core.workflow_trigger"}]}
    )
    caller = await create(
        client,
        {
            "name": "Caller",
            "nodes": [
                {"id": "m", "type": "core.manual"},
                {"id": "call", "type": "core.subworkflow", "params": {"workflow_id": child["id"]}},
            ],
            "connections": [{"from": "m", "to": "call"}],
            "settings": {"error_workflow": handler["id"]},
        },
    )
    for used in (handler, child):
        resp = await client.delete(f"/api/workflows/{used['id']}")
        assert resp.status_code == 409, resp.text
        assert f"{caller['id']} ('Caller')" in resp.json()["detail"]
    assert (await client.delete(f"/api/workflows/{caller['id']}")).status_code == 204
    for used in (handler, child):
        assert (await client.delete(f"/api/workflows/{used['id']}")).status_code == 204
