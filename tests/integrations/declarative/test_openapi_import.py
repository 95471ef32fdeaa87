"""OpenAPI 3 import through the API, on every database: a large generated description
imports (JSON, YAML, a file upload, a URL fetched through the SSRF guard), every action's
params schema is a valid JSON Schema, and an imported action runs against a local server."""

from __future__ import annotations

import json
import time

import httpx
import jsonschema
import yaml

from tests.integrations.declarative.fake_server import API_KEY, FakeAcme
from tests.integrations.declarative.test_declarative_types import integration, run, workflow
from tests.integrations.fakes import Answer
from wirework.testing.openapi_sample import large_spec

URL = "/api/integration-types/import-openapi"


async def test_a_large_description_imports_and_an_action_runs(
    client: httpx.AsyncClient, acme_server: FakeAcme
) -> None:
    spec = large_spec(acme_server.url + "/v1", resources=60)
    started = time.perf_counter()
    resp = await client.post(URL + "?key=acme", json=spec)
    elapsed = time.perf_counter() - started
    assert resp.status_code == 201, resp.text[:2000]
    print(f"imported {len(resp.json()['actions'])} operations in {elapsed:.2f} s")
    created = resp.json()
    actions = {a["name"]: a for a in created["actions"]}
    assert len(actions) == 2 + 60 * 5
    assert created["http"] == {
        "base_url": acme_server.url + "/v1",
        "auth": {
            "kind": "api_key_header",
            "name": "X-Api-Key",
            "field": "api_key",
            "username_field": "username",
            "password_field": "password",
        },
    }
    assert [p["name"] for p in created["parameters"]] == ["api_key"]
    for action in actions.values():
        assert action["runnable"], action["name"]
        jsonschema.Draft202012Validator.check_schema(action["params_schema"])
    listing = actions["list_resource0s"]
    assert listing["request"]["query"] == {
        "page[size]": "{{ params.page_size }}",
        "page": "{{ params.page }}",
        "status": "{{ params.status }}",
    }
    assert listing["request"]["headers"] == {"X-Request-Id": "{{ params.X_Request_Id }}"}
    assert listing["params_schema"]["required"] == ["projectId"]
    status = listing["params_schema"]["properties"]["status"]
    assert status["enum"] == ["open", "closed", "archived"]
    create = actions["create_resource0"]["params_schema"]["properties"]["body"]
    assert create["properties"]["status"]["enum"] == ["open", "closed", "archived"]
    assert "patch_projects_project_id_resource_0_id" in actions
    # a recursive schema is cut where it repeats
    owner = actions["patch_projects_project_id_resource_0_id"]["params_schema"]
    assert "body" in owner["properties"]

    acme_id = await integration(client, api_key=API_KEY)
    record = await run(client, workflow(acme_id, "acme.get_item", {"itemId": "1"}))
    assert record["status"] == "success", record["error"]
    assert record["result"] == [{"item": {"id": "1", "title": "First", "tags": []}}]
    record = await run(
        client, workflow(acme_id, "acme.create_item", {"body": {"title": "From spec"}})
    )
    assert record["status"] == "success", record["error"]
    assert record["result"][0]["item"]["title"] == "From spec"
    assert acme_server.seen("POST", "/v1/items")[-1].json() == {"title": "From spec"}
    full = await client.get(f"/api/executions/{record['id']}")
    assert API_KEY not in json.dumps(full.json())


async def test_yaml_upload_and_url(client: httpx.AsyncClient, acme_server: FakeAcme) -> None:
    spec = large_spec("", resources=2)
    text = yaml.safe_dump(spec)
    resp = await client.post(
        URL + "?key=from_yaml", content=text, headers={"content-type": "application/yaml"}
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["http"]["base_url"] == "https://acme.test/v1"
    resp = await client.post(
        URL + "?key=from_file&name=Acme%20file",
        files={"file": ("acme.yaml", text.encode(), "application/yaml")},
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["display_name"] == "Acme file"
    acme_server.route("GET", "/openapi.json", lambda request: Answer(200, spec))
    acme_server.authenticate = lambda request: None  # type: ignore[method-assign]
    resp = await client.post(URL + "?key=from_url", json={"url": acme_server.url + "/openapi.json"})
    assert resp.status_code == 201, resp.text
    assert len(resp.json()["actions"]) == 2 + 2 * 5


async def test_bad_descriptions_are_422_naming_the_problem(client: httpx.AsyncClient) -> None:
    resp = await client.post(URL, json={"openapi": "2.0", "paths": {}})
    assert resp.status_code == 422 and "openapi" in resp.text
    spec = large_spec("", resources=1)
    spec["servers"] = [{"url": "/relative"}]
    resp = await client.post(URL, json=spec)
    assert resp.status_code == 422 and "servers[0].url" in resp.text
    resp = await client.post(URL + "?base_url=http://127.0.0.1:9/v1", json=spec)
    assert resp.status_code == 201, resp.text
    resp = await client.post(URL, content=b"{: nope", headers={"content-type": "text/plain"})
    assert resp.status_code == 422 and "spec" in resp.text
    resp = await client.post(URL, json={"url": "http://169.254.169.254/latest"})
    assert resp.status_code == 422 and "url" in resp.text
    spec["paths"]["/x"] = {"get": {"parameters": [{"$ref": "#/components/parameters/Nope"}]}}
    resp = await client.post(URL + "?key=broken_ref", json=spec)
    assert resp.status_code == 422 and "does not resolve" in resp.text
