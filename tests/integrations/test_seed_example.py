"""The seed's example workflow (Jira create_issue → GitHub create_repo) end to end through
the API, on every database, against the local Jira and GitHub: built-in types in the
catalogue, integrations created by key, the workflow saved from examples/, run, and no
secret in what the execution recorded."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import yaml

from tests.integrations.github.fake_server import TOKEN as GH_TOKEN
from tests.integrations.github.fake_server import FakeGitHub
from tests.integrations.jira.fake_server import EMAIL, FakeJira
from tests.integrations.jira.fake_server import TOKEN as JIRA_TOKEN

EXAMPLE = Path(__file__).parents[2] / "examples" / "jira_to_github.yaml"


async def integration(client: httpx.AsyncClient, type_: str, name: str, **creds: str) -> int:
    resp = await client.post(
        "/api/integrations", json={"name": name, "type": type_, "credentials": creds}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    for secret in (JIRA_TOKEN, GH_TOKEN):
        assert secret not in resp.text
    assert body["credentials"].get("api_token", body["credentials"].get("token")) == "********"
    return int(body["id"])


async def test_seed_example_runs_end_to_end(
    client: httpx.AsyncClient, jira_server: FakeJira, github_server: FakeGitHub
) -> None:
    jira_id = await integration(
        client,
        "jira",
        "Jira acme",
        base_url=jira_server.url,
        email=EMAIL,
        api_token=JIRA_TOKEN,
    )
    github_id = await integration(
        client, "github", "GitHub acme", token=GH_TOKEN, base_url=github_server.url
    )
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["nodes"][1]["integration_id"] = jira_id
    doc["nodes"][2]["integration_id"] = github_id
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    saved = resp.json()
    assert saved["warnings"] == []
    assert saved["nodes"][1]["type"] == "jira.create_issue"
    run = await client.post(
        f"/api/workflows/{saved['id']}/execute?wait=true",
        json={"input": {"title": "Crash on save", "details": "Open, type, save: boom"}},
    )
    assert run.status_code == 200, run.text
    record = run.json()
    assert record["status"] == "success", record["error"]
    [repo] = record["result"]
    assert repo["full_name"] == "acme-bot/repro-bug-1" and repo["private"] is True
    [issue_request] = jira_server.seen("POST", "/rest/api/3/issue")
    assert issue_request.json()["fields"]["summary"] == "Crash on save"
    [repo_request] = github_server.seen("POST", "/user/repos")
    assert repo_request.json()["description"] == "Reproduction of BUG-1: Crash on save"
    full = await client.get(f"/api/executions/{record['id']}")
    text = json.dumps(full.json())
    assert JIRA_TOKEN not in text and GH_TOKEN not in text


async def test_catalogue_lists_the_built_in_types(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/integration-types")
    assert resp.status_code == 200, resp.text
    types = {t["key"]: t for t in resp.json()}
    jira, github = types["jira"], types["github"]
    assert jira["builtin"] and github["builtin"] and jira["has_tester"]
    assert jira["package"] == "wirework" and jira["category"] == "Project management"
    assert {p["name"]: p["type"] for p in jira["parameters"]} == {
        "base_url": "string",
        "email": "string",
        "api_token": "password",
        "webhook_secret": "password",
    }
    actions = {a["name"]: a for a in github["actions"]}
    assert actions["create_repo"]["runnable"] and actions["create_repo"]["node_type"] == (
        "github.create_repo"
    )
    assert actions["create_repo"]["params_schema"]["properties"]["name"]["type"] == "string"
    assert {t["node_type"]: t["kind"] for t in github["triggers"]} == {
        "github.webhook": "webhook",
        "github.issue_updated": "polling",
    }
    jira_row = jira["id"]
    assert (
        await client.patch(f"/api/integration-types/{jira_row}", json={"description": "x"})
    ).status_code == 409
    assert (await client.delete(f"/api/integration-types/{jira_row}")).status_code == 409
    taken = await client.post("/api/integration-types", json={"name": "jira"})
    assert taken.status_code == 409 and "built-in" in taken.json()["detail"]


async def test_plugins_are_listed(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/plugins")
    assert resp.status_code == 200, resp.text
    plugins = {p["name"]: p for p in resp.json()}
    assert plugins["jira"]["ok"] and plugins["jira"]["integration_types"] == ["jira"]
    assert plugins["core"]["ok"] and plugins["core"]["integration_types"] == []


async def test_an_action_without_its_integration_is_refused(client: httpx.AsyncClient) -> None:
    doc = {
        "name": "no creds",
        "nodes": [
            {"id": "m", "type": "core.manual"},
            {"id": "j", "type": "jira.create_issue", "params": {"project": "B", "summary": "s"}},
        ],
        "connections": [{"from": "m", "to": "j"}],
    }
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 422, resp.text
    assert "nodes[1].integration_id" in {e["field"] for e in resp.json()["errors"]}


async def test_the_palette_groups_integration_nodes(client: httpx.AsyncClient) -> None:
    action = (await client.get("/api/node-types/jira.create_issue")).json()
    assert (action["category"], action["icon"], action["group"]) == (
        "Jira",
        "square-kanban",
        "action",
    )
    assert action["params_schema"]["properties"]["project"]["type"] == "string"
    trigger = (await client.get("/api/node-types/github.webhook")).json()
    assert (trigger["category"], trigger["icon"], trigger["group"]) == (
        "Triggers",
        "git-pull-request",
        "trigger",
    )
