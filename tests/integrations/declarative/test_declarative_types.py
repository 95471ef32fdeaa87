"""Declarative HTTP types created through the API run as nodes, against a local server, on
every database: templates over params, auth schemes, response mappings, registry refresh on
create/change/delete, field-named validation errors, and no secret in what is recorded."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.integrations.declarative.fake_server import API_KEY, FakeAcme
from wirework.sdk.registry import registry


def acme_type(base_url: str, auth: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "key": "acme",
        "name": "Acme API",
        "parameters": [{"name": "api_key", "type": "password", "required": True}],
        "http": {
            "base_url": base_url,
            "auth": auth or {"kind": "api_key_header", "name": "X-Api-Key", "field": "api_key"},
        },
        "actions": [
            {
                "name": "get_item",
                "parameters": [{"name": "id", "type": "string", "required": True}],
                "request": {"method": "GET", "path": "/items/{{ params.id }}", "jmespath": "item"},
            },
            {
                "name": "create_item",
                "parameters": [
                    {"name": "title", "type": "string", "required": True},
                    {"name": "tags", "type": "json"},
                ],
                "request": {
                    "method": "POST",
                    "path": "/items",
                    "headers": {"X-Source": "wirework-{{ params.title | length }}"},
                    "body": {"title": "{{ params.title | upper }}", "tags": "{{ params.tags }}"},
                    "response": (
                        "{{ {'created': response.body.item.id, 'status': response.status} }}"
                    ),
                },
            },
            {
                "name": "list_items",
                "parameters": [{"name": "limit", "type": "number", "default": 10}],
                "request": {
                    "path": "/items",
                    "query": {"limit": "{{ params.limit | int }}"},
                    "jmespath": "data",
                },
            },
        ],
    }


async def create_type(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    resp = await client.post("/api/integration-types", json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def integration(client: httpx.AsyncClient, **creds: Any) -> int:
    resp = await client.post(
        "/api/integrations", json={"name": "Acme prod", "type": "acme", "credentials": creds}
    )
    assert resp.status_code == 201, resp.text
    assert API_KEY not in resp.text
    return int(resp.json()["id"])


def workflow(integration_id: int, node_type: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": f"run {node_type}",
        "nodes": [
            {"id": "m", "type": "core.manual"},
            {"id": "a", "type": node_type, "integration_id": integration_id, "params": params},
        ],
        "connections": [{"from": "m", "to": "a"}],
    }


async def run(client: httpx.AsyncClient, doc: dict[str, Any]) -> dict[str, Any]:
    saved = await client.post("/api/workflows", json=doc)
    assert saved.status_code == 201, saved.text
    resp = await client.post(f"/api/workflows/{saved.json()['id']}/execute?wait=true", json={})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_a_declared_type_runs_in_a_workflow(
    client: httpx.AsyncClient, acme_server: FakeAcme
) -> None:
    created = await create_type(client, acme_type(acme_server.url + "/v1"))
    actions = {a["name"]: a for a in created["actions"]}
    assert actions["get_item"]["runnable"] and actions["get_item"]["node_type"] == "acme.get_item"
    assert actions["get_item"]["params_schema"]["required"] == ["id"]
    assert created["http"]["auth"]["kind"] == "api_key_header"
    node_types = (await client.get("/api/node-types")).json()
    assert "acme.create_item" in {n["type"] for n in node_types}
    acme_id = await integration(client, api_key=API_KEY)

    record = await run(client, workflow(acme_id, "acme.get_item", {"id": "1"}))
    assert record["status"] == "success", record["error"]
    assert record["result"] == [{"id": "1", "title": "First", "tags": []}]

    record = await run(
        client, workflow(acme_id, "acme.create_item", {"title": "new", "tags": ["a", "b"]})
    )
    assert record["status"] == "success", record["error"]
    assert record["result"] == [{"created": "2", "status": 201}]
    [sent] = acme_server.seen("POST", "/v1/items")
    assert sent.json() == {"title": "NEW", "tags": ["a", "b"]}
    assert sent.headers["x-source"] == "wirework-3" and sent.headers["x-api-key"] == API_KEY

    record = await run(client, workflow(acme_id, "acme.list_items", {"limit": 1}))
    assert record["status"] == "success", record["error"]
    assert record["result"] == [{"id": "1", "title": "First", "tags": []}]
    assert acme_server.seen("GET", "/v1/items")[-1].query == {"limit": "1"}

    record = await run(client, workflow(acme_id, "acme.get_item", {"id": "404"}))
    assert record["status"] == "error"
    assert "no item 404" in record["error"]["message"] and "404" in record["error"]["message"]
    full = await client.get(f"/api/executions/{record['id']}")
    assert API_KEY not in json.dumps(full.json())


async def test_api_key_in_the_query_and_a_wrong_key(
    client: httpx.AsyncClient, acme_server: FakeAcme
) -> None:
    body = acme_type(
        acme_server.url + "/v1", {"kind": "api_key_query", "name": "key", "field": "api_key"}
    )
    await create_type(client, body)
    good = await integration(client, api_key=API_KEY)
    record = await run(client, workflow(good, "acme.get_item", {"id": "1"}))
    assert record["status"] == "success", record["error"]
    assert acme_server.requests[-1].query == {"key": API_KEY}
    assert "x-api-key" not in acme_server.requests[-1].headers
    full = await client.get(f"/api/executions/{record['id']}")
    assert API_KEY not in json.dumps(full.json())
    resp = await client.post(
        "/api/integrations",
        json={"name": "Acme bad", "type": "acme", "credentials": {"api_key": "acme-wrong-key-999"}},
    )
    record = await run(client, workflow(resp.json()["id"], "acme.get_item", {"id": "1"}))
    assert record["status"] == "error" and "401" in record["error"]["message"]


async def test_changes_and_deletion_refresh_the_registry(
    client: httpx.AsyncClient, acme_server: FakeAcme
) -> None:
    created = await create_type(client, acme_type(acme_server.url + "/v1"))
    body = acme_type(acme_server.url + "/v1")
    body["actions"][0]["request"]["jmespath"] = "item.title"
    del body["key"], body["name"]
    resp = await client.patch(f"/api/integration-types/{created['id']}", json=body)
    assert resp.status_code == 200, resp.text
    acme_id = await integration(client, api_key=API_KEY)
    record = await run(client, workflow(acme_id, "acme.get_item", {"id": "1"}))
    assert record["result"] == [{"value": "First"}], record["error"]
    other = acme_type(acme_server.url + "/v1")
    other["key"] = "acme_two"
    second = await create_type(client, other)
    types = {n["type"] for n in (await client.get("/api/node-types")).json()}
    assert "acme_two.get_item" in types
    assert (await client.delete(f"/api/integration-types/{second['id']}")).status_code == 204
    types = {n["type"] for n in (await client.get("/api/node-types")).json()}
    assert "acme.get_item" in types and not any(t.startswith("acme_two.") for t in types)

    # another process's registry: it has not seen the type yet, and catches up when it lists
    # the types or compiles a workflow
    registry.unregister_custom("acme")
    assert (await client.get("/api/integration-types")).status_code == 200
    assert "acme.get_item" in {n["type"] for n in (await client.get("/api/node-types")).json()}
    registry.unregister_custom("acme")
    record = await run(client, workflow(acme_id, "acme.get_item", {"id": "1"}))
    assert record["result"] == [{"value": "First"}], record["error"]


async def test_validation_errors_name_the_field(client: httpx.AsyncClient) -> None:
    body = acme_type("http://127.0.0.1:1/v1")
    body["actions"][0]["request"]["path"] = "/items/{{ params.id "
    resp = await client.post("/api/integration-types", json=body)
    assert resp.status_code == 422, resp.text
    assert "actions[0].request.path" in resp.text

    body = acme_type("http://127.0.0.1:1/v1")
    body["http"]["auth"]["field"] = "token"
    resp = await client.post("/api/integration-types", json=body)
    assert resp.status_code == 422 and "http.auth.field" in resp.text

    body = acme_type("http://127.0.0.1:1/v1")
    body["actions"][1]["request"]["path"] = "https://elsewhere.test/x"
    resp = await client.post("/api/integration-types", json=body)
    assert resp.status_code == 422 and "relative" in resp.text

    body = acme_type("ftp://nope")
    resp = await client.post("/api/integration-types", json=body)
    assert resp.status_code == 422 and "base_url" in resp.text

    body = acme_type("http://127.0.0.1:1/v1")
    body["actions"][0]["request"]["jmespath"] = "item[["
    resp = await client.post("/api/integration-types", json=body)
    assert resp.status_code == 422 and "actions[0].request.jmespath" in resp.text


async def test_http_null_removes_it_and_absent_keeps_it(client: httpx.AsyncClient) -> None:
    created = await create_type(client, acme_type("http://127.0.0.1:1/v1"))
    url = f"/api/integration-types/{created['id']}"
    kept = await client.patch(url, json={"description": "renamed"})
    assert kept.status_code == 200 and kept.json()["http"]["base_url"].endswith("/v1")
    refused = await client.patch(url, json={"http": None})
    assert refused.status_code == 422 and "actions[0].request" in refused.text
    assert (await client.get(url)).json()["http"] is not None  # nothing half-written
    cleared = await client.patch(
        url, json={"http": None, "actions": [{"name": "get_item", "parameters": []}]}
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["http"] is None
