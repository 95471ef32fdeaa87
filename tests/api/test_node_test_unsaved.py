"""POST /api/workflows/{id}/nodes/{node_id}/test with a node not saved yet (the editor's
test of an edit, or of a node just added)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_runs import MANUAL, create
from tests.api.test_workflows import _jira, fields


def url(wf: int, node_id: str) -> str:
    return f"/api/workflows/{wf}/nodes/{node_id}/test"


def set_node(id_: str = "greet", **fields_: Any) -> dict[str, Any]:
    return {"id": id_, "type": "core.set", "params": {"fields": fields_}}


async def test_an_edited_node_runs_instead_of_the_saved_one(client: httpx.AsyncClient) -> None:
    wf = await create(client, MANUAL, active=False)
    body = {"items": [{"name": "bob"}], "node": set_node(greeting="hi {{ json.name }}")}
    resp = await client.post(url(wf, "greet"), json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "success"
    assert resp.json()["mode"] == "test"
    assert resp.json()["result"] == [{"name": "bob", "greeting": "hi bob"}]
    # Nothing was saved.
    saved = (await client.get(f"/api/workflows/{wf}")).json()
    assert saved["version"] == 1
    assert saved["nodes"][1]["params"]["fields"]["greeting"] == "hello {{ json.name }}"


async def test_a_node_the_workflow_does_not_have_yet(client: httpx.AsyncClient) -> None:
    wf = await create(client, MANUAL, active=False)
    body = {"items": [{"a": 1}], "node": set_node("new_1", b="{{ json.a + 1 }}")}
    resp = await client.post(url(wf, "new_1"), json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["result"] == [{"a": 1, "b": 2}]
    # Without a node, an unknown id is still 404; an unknown workflow too.
    assert (await client.post(url(wf, "new_1"), json={})).status_code == 404
    missing = await client.post(url(999, "new_1"), json={"node": set_node("new_1")})
    assert missing.status_code == 404


async def test_the_node_is_validated_like_a_documents(client: httpx.AsyncClient) -> None:
    wf = await create(client, MANUAL, active=False)
    cases: list[tuple[dict[str, Any], str]] = [
        (set_node("other"), "node.id"),
        ({"id": "greet"}, "node.type"),
        ({**set_node(), "colour": "red"}, "node.colour"),
        ({**set_node(), "retry": {"max_attempts": 99}}, "node.retry.max_attempts"),
        (set_node(x="{{ json. }}"), "node.params.fields.x"),
        ({"id": "greet", "type": "core.set", "params": {"keep_input": "maybe"}}, ""),
        ({"id": "greet", "type": "core.nope"}, "node.type"),
        ({"id": "greet", "type": "core.http_request", "params": {"url": 3}}, ""),
        (
            {
                "id": "greet",
                "type": "core.http_request",
                "params": {"url": "https://example.com", "integration_id": 77},
            },
            "node.params.integration_id",
        ),
    ]
    for node, field in cases:
        resp = await client.post(url(wf, "greet"), json={"node": node})
        assert resp.status_code == 422, (node, resp.text)
        found = fields(resp)
        assert all(f.startswith("node") for f in found), (node, found)
        if field:
            assert field in found, (node, found)
    assert (await client.get("/api/executions")).json()["items"] == []


async def test_integration_checks_apply(client: httpx.AsyncClient) -> None:
    """An action needs an existing integration of its type, and an installed package to run
    it — the same refusals as for a saved node, naming the body's node."""
    iid = await _jira(client)
    wf = await create(client, MANUAL, active=False)
    action = {
        "id": "issue",
        "type": "tracker.create_issue",
        "params": {"project": "OPS", "summary": "x"},
    }
    resp = await client.post(url(wf, "issue"), json={"node": action})
    assert resp.status_code == 422
    assert "node.integration_id" in fields(resp)  # jira needs credentials
    resp = await client.post(url(wf, "issue"), json={"node": {**action, "integration_id": 999}})
    assert "not found" in fields(resp)["node.integration_id"]["message"]
    resp = await client.post(url(wf, "issue"), json={"node": {**action, "integration_id": iid}})
    assert resp.status_code == 422  # valid, but no installed integration runs jira actions
    assert "tracker.create_issue" in fields(resp)["node.type"]["message"]
    seed = {"id": "issue", "type": "integration", "integration_id": iid, "task": "nope"}
    resp = await client.post(url(wf, "issue"), json={"node": seed})
    assert "node.task" in fields(resp)
