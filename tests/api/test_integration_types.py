from __future__ import annotations

import httpx

JIRA = {
    "name": "tracker",
    "display_name": "Tracker",
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
    assert body["name"] == "tracker" and body["has_tester"] is False
    type_id = body["id"]
    assert [p["name"] for p in body["parameters"]][2] == "api_token"

    resp = await client.get("/api/integration-types")
    assert "tracker" in [t["name"] for t in resp.json() if not t["builtin"]]
    resp = await client.get(f"/api/integration-types/{type_id}")
    assert resp.json()["display_name"] == "Tracker"

    resp = await client.patch(
        f"/api/integration-types/{type_id}", json={"description": "Atlassian"}
    )
    assert resp.status_code == 200 and resp.json()["description"] == "Atlassian"

    resp = await client.post("/api/integration-types", json=JIRA)
    assert resp.status_code == 409 and "tracker" in resp.json()["detail"]

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
            "type": "tracker",
            "credentials": {"base_url": "https://acme", "email": "a@b.c", "api_token": "t0k"},
        },
    )
    assert resp.status_code == 201, resp.text
    resp = await client.delete(f"/api/integration-types/{type_id}")
    assert resp.status_code == 409 and "used by 1" in resp.json()["detail"]


async def test_the_seeds_body_with_a_display_name(client: httpx.AsyncClient) -> None:
    """`name` may be a display name: the key is derived from it (or given as `key`)."""
    seed = {
        "name": "Acme API",
        "description": "Acme's REST API",
        "parameters": [{"name": "api_key", "type": "password", "required": True}],
    }
    resp = await client.post("/api/integration-types", json=seed)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["key"], body["name"], body["display_name"]) == ("acme_api", "acme_api", "Acme API")
    assert body["description"] == "Acme's REST API"
    # Integrations name it by key or id.
    resp = await client.post(
        "/api/integrations",
        json={"name": "acme", "integration_type_id": body["id"], "credentials": {"api_key": "k"}},
    )
    assert resp.status_code == 201 and resp.json()["type"] == "acme_api", resp.text

    # The same key again, however it is spelled: 409 naming the key.
    for again in (
        seed,
        {"name": "acme_api"},
        {"name": "ACME  api!"},
        {"key": "acme_api", "name": "X"},
    ):
        resp = await client.post("/api/integration-types", json=again)
        assert resp.status_code == 409, resp.text
        assert (
            resp.json()["detail"] == "key: an integration type with key 'acme_api' already exists"
        )

    cases = [
        ({"name": "Acme API", "key": "acme"}, ("acme", "Acme API")),
        ({"name": "Café Öl 2", "display_name": "Café"}, ("cafe_ol_2", "Café")),
        ({"name": "2nd Source"}, ("t_2nd_source", "2nd Source")),
        ({"name": "plain"}, ("plain", "plain")),
        ({"name": "jira_dc", "display_name": "Jira DC"}, ("jira_dc", "Jira DC")),
    ]
    for payload, (key, display_name) in cases:
        resp = await client.post("/api/integration-types", json=payload)
        assert resp.status_code == 201, (payload, resp.text)
        assert (resp.json()["key"], resp.json()["display_name"]) == (key, display_name)

    # Updating: name (not the key) renames the display name; the key cannot change.
    type_id = body["id"]
    resp = await client.patch(f"/api/integration-types/{type_id}", json={"name": "Acme API v2"})
    assert resp.status_code == 200 and resp.json()["display_name"] == "Acme API v2"
    assert resp.json()["key"] == "acme_api"
    resp = await client.put(f"/api/integration-types/{type_id}", json={**seed, "name": "acme_api"})
    assert resp.status_code == 200 and resp.json()["display_name"] == "Acme API v2"
    resp = await client.patch(f"/api/integration-types/{type_id}", json={"key": "other"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "key"
