from __future__ import annotations

import httpx

JIRA = {
    "name": "jira",
    "display_name": "Jira",
    "parameters": [
        {"name": "base_url", "type": "string", "required": True, "description": "Site URL"},
        {"name": "email", "type": "string", "required": True},
        {"name": "api_token", "type": "password", "required": True},
        {"name": "timeout", "type": "number", "default": 30},
        {"name": "flavour", "type": "select", "options": ["cloud", "server"], "default": "cloud"},
    ],
    "actions": [
        {"name": "create_issue", "parameters": [{"name": "project", "required": True}]},
    ],
}


async def test_crud(client: httpx.AsyncClient) -> None:
    resp = await client.post("/api/integration-types", json=JIRA)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["name"] == "jira" and body["has_tester"] is False
    type_id = body["id"]
    assert [p["name"] for p in body["parameters"]][2] == "api_token"

    resp = await client.get("/api/integration-types")
    assert [t["name"] for t in resp.json()] == ["jira"]
    resp = await client.get(f"/api/integration-types/{type_id}")
    assert resp.json()["display_name"] == "Jira"

    resp = await client.patch(
        f"/api/integration-types/{type_id}", json={"description": "Atlassian"}
    )
    assert resp.status_code == 200 and resp.json()["description"] == "Atlassian"

    resp = await client.post("/api/integration-types", json=JIRA)
    assert resp.status_code == 409 and "jira" in resp.json()["detail"]

    resp = await client.delete(f"/api/integration-types/{type_id}")
    assert resp.status_code == 204
    resp = await client.get(f"/api/integration-types/{type_id}")
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"


async def test_schema_is_validated(client: httpx.AsyncClient) -> None:
    cases = [
        ({"name": "日本"}, "name"),  # no key can be derived
        ({"name": "x", "key": "Bad Key"}, "key"),
        ({"name": ""}, "name"),
        ({"name": "x", "parameters": [{"name": "a", "type": "colour"}]}, "parameters[0].type"),
        ({"name": "x", "parameters": [{"name": "a", "type": "select"}]}, "options"),
        ({"name": "x", "parameters": [{"name": "a"}, {"name": "a"}]}, "duplicate"),
        ({"name": "x", "parameters": [{"name": "a", "type": "number", "default": "y"}]}, "default"),
        ({"name": "x", "surprise": 1}, "surprise"),
    ]
    for payload, needle in cases:
        resp = await client.post("/api/integration-types", json=payload)
        assert resp.status_code == 422, (payload, resp.text)
        assert needle in resp.text, (payload, resp.text)


async def test_delete_in_use_is_conflict(client: httpx.AsyncClient) -> None:
    type_id = (await client.post("/api/integration-types", json=JIRA)).json()["id"]
    resp = await client.post(
        "/api/integrations",
        json={
            "name": "Jira - acme",
            "type": "jira",
            "credentials": {"base_url": "https://acme", "email": "a@b.c", "api_token": "t0k"},
        },
    )
    assert resp.status_code == 201, resp.text
    resp = await client.delete(f"/api/integration-types/{type_id}")
    assert resp.status_code == 409 and "used by 1" in resp.json()["detail"]
