"""The editor's AI assistant through the API, on every database, against a real local server
speaking OpenAI's API: drafts validated before they are shown (repaired, or refused with the
problems; never saved), explanations of failed steps, expressions and code written and
syntax-checked, the model list of an integration; who may configure and use it; that no
credential value reaches the model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.test_auth import bearer, make_user
from tests.integrations.openai.server import Fail, OpenAIServer, Reply
from wirework.sdk.outbound import OutboundPolicy, set_policy

# Random-looking: the vault redacts long pieces of every secret it has seen, so a secret made
# of common words would mask those words in later messages of the same test process.
KEY = "sk-9fQ2xLr7Wp4Tz6Nb"
SLACK_TOKEN = "xoxb-7Hq2Lm9Rt4Vx8Jd"
HEADER_SECRET = "hdr-3Kp8Qz1Wn5Ys2Gc"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from wirework.services import auth

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(auth, "_hasher", cheap)


@pytest.fixture
def model_server() -> Iterator[OpenAIServer]:
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        with OpenAIServer() as server:
            yield server
    finally:
        set_policy(None)


async def models_integration(client: httpx.AsyncClient, server: OpenAIServer) -> int:
    resp = await client.post(
        "/api/integrations",
        json={
            "name": "Models",
            "type": "openai",
            "credentials": {"base_url": server.url + "/v1", "api_key": KEY, "max_retries": 0},
        },
    )
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


async def configured(client: httpx.AsyncClient, server: OpenAIServer) -> int:
    iid = await models_integration(client, server)
    resp = await client.put("/api/ai/assistant", json={"integration_id": iid, "model": "gpt-4o"})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["configured"] is True and out["integration_name"] == "Models"
    assert (out["integration_id"], out["model"]) == (iid, "gpt-4o")
    assert {"openai", "anthropic"} <= set(out["provider_types"])
    return iid


def answer(value: Any) -> Reply:
    return Reply(text=json.dumps(value))


VALID = {
    "name": "Greet",
    "description": "Say hello",
    "nodes": [
        {"id": "start", "type": "core.manual", "params": {}},
        {
            "id": "greet",
            "type": "core.set",
            "params": {"fields": {"greeting": "Hello {{ json.name }}"}},
        },
    ],
    "connections": [{"from": "start", "to": "greet"}],
}


async def workflow_count(client: httpx.AsyncClient) -> int:
    listed = await client.get("/api/workflows")
    assert listed.status_code == 200, listed.text
    body = listed.json()
    return len(body["items"] if isinstance(body, dict) else body)


# --- configuration and permissions ------------------------------------------------------------


async def test_not_configured_says_how_to_configure(client: httpx.AsyncClient) -> None:
    got = await client.get("/api/ai/assistant")
    assert got.status_code == 200 and got.json()["configured"] is False
    calls = [
        ("/api/ai/draft-workflow", {"description": "a workflow"}),
        ("/api/ai/explain-error", {"execution_id": "x", "node_id": "y"}),
        ("/api/ai/write", {"kind": "expression", "instruction": "the email"}),
    ]
    for path, body in calls:
        resp = await client.post(path, json=body)
        assert resp.status_code == 409, resp.text
        assert resp.json()["code"] == "assistant_not_configured"
        assert "PUT /api/ai/assistant" in resp.json()["detail"]


async def test_only_admins_configure_viewers_cannot_use_it(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    iid = await models_integration(client, model_server)
    body = {"integration_id": iid, "model": "gpt-4o"}
    _, viewer = await make_user(client, "view@example.com", "viewer")
    _, editor = await make_user(client, "edit@example.com", "editor")
    for token in (viewer, editor):
        refused = await anon_client.put("/api/ai/assistant", json=body, headers=bearer(token))
        assert refused.status_code == 403, refused.text
    assert (await client.put("/api/ai/assistant", json=body)).status_code == 200
    seen = await anon_client.get("/api/ai/assistant", headers=bearer(viewer))
    assert seen.status_code == 200 and seen.json()["model"] == "gpt-4o"
    draft = {"description": "a workflow"}
    as_viewer = await anon_client.post("/api/ai/draft-workflow", json=draft, headers=bearer(viewer))
    assert as_viewer.status_code == 403, as_viewer.text
    assert model_server.requests == []

    bad = await client.put("/api/ai/assistant", json={"integration_id": 999, "model": "m"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "integration_id"
    slack = await client.post(
        "/api/integrations",
        json={"name": "Chat", "type": "slack", "credentials": {"bot_token": SLACK_TOKEN}},
    )
    assert slack.status_code == 201, slack.text
    not_models = await client.put(
        "/api/ai/assistant", json={"integration_id": slack.json()["id"], "model": "m"}
    )
    assert not_models.status_code == 422 and "not a model provider" in not_models.text
    assert (await client.delete("/api/ai/assistant")).status_code == 204
    assert (await client.get("/api/ai/assistant")).json()["configured"] is False


# --- drafts -------------------------------------------------------------------------------------


async def test_a_valid_draft_is_returned_not_saved_and_counted(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    await configured(client, model_server)
    before = await workflow_count(client)
    model_server.script(answer(VALID))

    resp = await client.post("/api/ai/draft-workflow", json={"description": "greet people"})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["attempts"] == 1
    doc = out["document"]
    assert [n["id"] for n in doc["nodes"]] == ["start", "greet"]
    assert doc["connections"] == [{"from": "start", "to": "greet"}]
    positions = [n["position"] for n in doc["nodes"]]
    assert positions[0]["x"] < positions[1]["x"]  # laid out left to right
    assert await workflow_count(client) == before

    sent = model_server.requests[-1].json
    assert sent["model"] == "gpt-4o"
    assert sent["response_format"]["type"] == "json_schema"
    system = sent["messages"][0]["content"]
    assert "core.http_request" in system and "- id " in system and "Models (openai)" in system
    assert "greet people" in sent["messages"][-1]["content"]
    assert KEY not in model_server.bodies()

    usage = await client.get("/api/ai/usage", params={"group_by": "workflow"})
    (row,) = usage.json()["groups"]
    assert row["label"] == "(no workflow)" and row["calls"] == 1


async def test_an_invalid_draft_is_repaired(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    await configured(client, model_server)
    broken = {
        **VALID,
        "nodes": [VALID["nodes"][0], {"id": "greet", "type": "core.nope", "params": {}}],
    }
    model_server.script(answer(broken), answer(VALID))

    resp = await client.post("/api/ai/draft-workflow", json={"description": "greet people"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["attempts"] == 2
    repair = model_server.requests[-1].json["messages"]
    assert repair[-2]["role"] == "assistant" and "core.nope" in repair[-2]["content"]
    assert "problems" in repair[-1]["content"] and "core.nope" in repair[-1]["content"]


async def test_invalid_twice_is_refused_listing_the_problems(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    await configured(client, model_server)
    before = await workflow_count(client)
    dangling = {**VALID, "connections": [{"from": "start", "to": "nowhere"}]}
    model_server.script(Reply(text="not json at all"), answer(dangling))

    resp = await client.post("/api/ai/draft-workflow", json={"description": "greet people"})
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert "no valid draft after 2 attempt(s)" in body["detail"]
    assert any("nowhere" in e["message"] for e in body["errors"]), body
    assert len(model_server.requests) == 2
    assert await workflow_count(client) == before


async def test_changing_a_workflow_sends_no_credential(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    await configured(client, model_server)
    slack = await client.post(
        "/api/integrations",
        json={"name": "Team chat", "type": "slack", "credentials": {"bot_token": SLACK_TOKEN}},
    )
    sid = slack.json()["id"]
    fetch = {
        "id": "fetch",
        "type": "core.http_request",
        "params": {
            "url": "http://127.0.0.1:1/x",
            "headers": {"Authorization": f"Bearer {HEADER_SECRET}"},
        },
        "position": {"x": 500, "y": 40},
    }
    current = {
        "name": "Fetch",
        "nodes": [{"id": "start", "type": "core.manual", "position": {"x": 0, "y": 0}}, fetch],
        "connections": [{"from": "start", "to": "fetch"}],
        "settings": {"timezone": "Europe/Paris"},
    }
    post = {
        "id": "post",
        "type": "slack.post_message",
        "integration_id": sid,
        "params": {"channel": "#general", "text": "{{ json.status }}"},
    }
    changed = {
        "name": "Fetch and post",
        "nodes": [
            {"id": "start", "type": "core.manual", "params": {}},
            {**fetch, "params": {**fetch["params"], "headers": {"Authorization": "***"}}},
            post,
        ],
        "connections": [{"from": "start", "to": "fetch"}, {"from": "fetch", "to": "post"}],
    }
    del changed["nodes"][1]["position"]
    # The model saw the header masked and kept it so: the draft has the real value back.
    model_server.script(answer(changed))

    resp = await client.post(
        "/api/ai/draft-workflow",
        json={"description": "post the status to Slack", "document": current},
    )
    assert resp.status_code == 200, resp.text
    doc = resp.json()["document"]
    assert doc["settings"]["timezone"] == "Europe/Paris"
    nodes = {n["id"]: n for n in doc["nodes"]}
    assert nodes["fetch"]["position"] == {"x": 500, "y": 40}  # kept where it was
    assert nodes["post"]["integration_id"] == sid
    assert nodes["fetch"]["params"]["headers"] == {"Authorization": f"Bearer {HEADER_SECRET}"}
    bodies = model_server.bodies()
    for secret in (KEY, SLACK_TOKEN, HEADER_SECRET):
        assert secret not in bodies
    assert "Team chat (slack)" in bodies


# --- explain an error ---------------------------------------------------------------------------


async def test_explain_a_failed_step(client: httpx.AsyncClient, model_server: OpenAIServer) -> None:
    await configured(client, model_server)
    flow = await client.post(
        "/api/workflows",
        json={
            "name": "Broken",
            "nodes": [
                {"id": "start", "type": "core.manual"},
                {
                    "id": "call",
                    "type": "core.http_request",
                    "params": {
                        "url": "http://127.0.0.1:1/{{ json.path }}",
                        "headers": {"Authorization": f"Bearer {HEADER_SECRET}"},
                    },
                },
            ],
            "connections": [{"from": "start", "to": "call"}],
        },
    )
    assert flow.status_code == 201, flow.text
    run = await client.post(
        f"/api/workflows/{flow.json()['id']}/execute?wait=true",
        json={"input": {"path": "status"}},
    )
    record = run.json()
    assert record["status"] == "error", run.text
    model_server.script(
        answer({"explanation": "Nothing listens on port 1.", "suggestions": ["Fix the URL"]})
    )

    resp = await client.post(
        "/api/ai/explain-error", json={"execution_id": record["id"], "node_id": "call"}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "explanation": "Nothing listens on port 1.",
        "suggestions": ["Fix the URL"],
    }
    prompt = model_server.requests[-1].json["messages"][-1]["content"]
    assert "core.http_request" in prompt and '"path": "status"' in prompt
    assert HEADER_SECRET not in model_server.bodies() and KEY not in model_server.bodies()

    missing = await client.post(
        "/api/ai/explain-error", json={"execution_id": record["id"], "node_id": "start"}
    )
    assert missing.status_code == 404 and "no failed step" in missing.json()["detail"]


async def test_a_blank_explanation_is_repaired_then_refused(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    """The UI never gets an empty explanation to show as a blank panel."""
    await configured(client, model_server)
    flow = await client.post(
        "/api/workflows",
        json={
            "name": "Raises",
            "nodes": [
                {"id": "start", "type": "core.manual"},
                {
                    "id": "boom",
                    "type": "core.code",
                    "params": {"code": "raise ValueError('kaput')"},
                },
            ],
            "connections": [{"from": "start", "to": "boom"}],
        },
    )
    assert flow.status_code == 201, flow.text
    run = await client.post(f"/api/workflows/{flow.json()['id']}/execute?wait=true", json={})
    body = {"execution_id": run.json()["id"], "node_id": "boom"}
    model_server.script(
        answer({"explanation": "  ", "suggestions": []}),
        answer({"explanation": "The code raises ValueError.", "suggestions": [" ", "Remove it"]}),
    )
    resp = await client.post("/api/ai/explain-error", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "explanation": "The code raises ValueError.",
        "suggestions": ["Remove it"],
    }
    first = model_server.requests[0].json["messages"][-1]["content"]
    assert "core.code" in first and "ValueError: kaput" in first
    assert "`explanation` is empty" in model_server.requests[1].json["messages"][-1]["content"]

    model_server.script(
        answer({"explanation": "", "suggestions": []}),
        answer({"explanation": "It raises.", "suggestions": ["Remove it", None, 3]}),
    )
    refused = await client.post("/api/ai/explain-error", json=body)
    assert refused.status_code == 422, refused.text
    assert "no explanation after 2 attempt(s)" in refused.json()["detail"]
    assert refused.json()["errors"] == [
        {"field": "answer", "message": "`suggestions` must be a list of strings"}
    ]


# --- write helpers ------------------------------------------------------------------------------


async def test_blank_instructions_are_refused_before_asking(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    await configured(client, model_server)
    for path, body, field in (
        ("/api/ai/write", {"kind": "code", "instruction": " \n\t"}, "body.instruction"),
        ("/api/ai/draft-workflow", {"description": "   "}, "body.description"),
    ):
        resp = await client.post(path, json=body)
        assert resp.status_code == 422, resp.text
        [error] = resp.json()["errors"]
        assert error["field"] == field and error["message"].endswith("must not be blank")
    assert model_server.requests == []


async def test_write_changes_the_current_text(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    """The field's current text goes along to be changed; a known secret in it is redacted."""
    await configured(client, model_server)
    changed = "return [{**i, 'email': i['email'].lower()} for i in items if i.get('email')]"
    model_server.script(answer({"text": changed}))
    current = f"key = '{KEY}'\nreturn [{{**i, 'email': i['email'].lower()}} for i in items]"
    body = {
        "kind": "code",
        "instruction": "also drop the items without an email",
        "context": {"node_type": "core.code", "param_name": "code", "current": current},
    }
    resp = await client.post("/api/ai/write", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"text": changed, "attempts": 1}
    prompt = model_server.requests[0].json["messages"][-1]["content"]
    assert "Current code (change it as the instruction says" in prompt
    assert "for i in items]" in prompt and KEY not in model_server.bodies()

    model_server.script(answer({"text": "{{ json.a }}"}))
    blank = {"kind": "expression", "instruction": "a", "context": {"current": "  "}}
    assert (await client.post("/api/ai/write", json=blank)).status_code == 200
    assert "Current" not in model_server.requests[-1].json["messages"][-1]["content"]
    huge = {"kind": "code", "instruction": "a", "context": {"current": "x" * 262145}}
    too_long = await client.post("/api/ai/write", json=huge)
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == (
        "body.context.current"
    )


async def test_write_an_expression_with_a_repair(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    await configured(client, model_server)
    model_server.script(
        answer({"text": "{{ json.email | lower "}), answer({"text": "{{ json.email | lower }}"})
    )
    body = {
        "kind": "expression",
        "instruction": "the email in lower case",
        "context": {
            "node_type": "core.set",
            "param_name": "fields",
            "sample_item": {"email": "A@B.C", "token": "tok-secret"},
        },
    }
    resp = await client.post("/api/ai/write", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"text": "{{ json.email | lower }}", "attempts": 2}
    first = model_server.requests[0].json["messages"][-1]["content"]
    assert "A@B.C" in first and "tok-secret" not in first
    assert "expression" in model_server.requests[1].json["messages"][-1]["content"]


async def test_write_code_refused_when_still_invalid(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    await configured(client, model_server)
    model_server.script(answer({"text": "def (:"}), answer({"text": "return [{'n': len(items)}]"}))
    body = {"kind": "code", "instruction": "count the items"}
    resp = await client.post("/api/ai/write", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["attempts"] == 2

    model_server.script(answer({"text": "def (:"}), answer({"text": "return ("}))
    refused = await client.post("/api/ai/write", json=body)
    assert refused.status_code == 422, refused.text
    assert "no valid code after 2 attempt(s)" in refused.json()["detail"]


# --- models and failures ------------------------------------------------------------------------


async def test_models_of_an_integration(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    iid = await models_integration(client, model_server)
    listed = await client.get(f"/api/integrations/{iid}/models")
    assert listed.status_code == 200, listed.text
    assert [m["id"] for m in listed.json()] == ["model-a", "model-b"]

    model_server.script(Fail(401, "Incorrect API key provided"))
    failed = await client.get(f"/api/integrations/{iid}/models")
    assert failed.status_code == 502, failed.text
    assert "Incorrect API key" in failed.json()["detail"] and KEY not in failed.text

    slack = await client.post(
        "/api/integrations",
        json={"name": "Chat", "type": "slack", "credentials": {"bot_token": SLACK_TOKEN}},
    )
    not_models = await client.get(f"/api/integrations/{slack.json()['id']}/models")
    assert not_models.status_code == 422 and "not a model provider" in not_models.text
    assert (await client.get("/api/integrations/9999/models")).status_code == 404


async def test_provider_failure_and_spending_limit(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    await configured(client, model_server)
    model_server.script(Fail(400, "model not found"))
    failed = await client.post("/api/ai/write", json={"kind": "expression", "instruction": "x"})
    assert failed.status_code == 502 and "model not found" in failed.json()["detail"]

    price = {"provider": "openai", "model": "gpt-4o", "input_per_million": "1000",
             "output_per_million": "1000"}  # fmt: skip
    assert (await client.post("/api/ai/prices", json=price)).status_code == 201
    limit = {"scope": "instance", "daily_limit": "0.01"}
    assert (await client.put("/api/ai/limits", json=limit)).status_code == 200
    model_server.script(answer({"text": "{{ json.a }}"}))
    body = {"kind": "expression", "instruction": "a"}
    assert (await client.post("/api/ai/write", json=body)).status_code == 200  # 0.018 spent
    calls = len(model_server.requests)
    stopped = await client.post("/api/ai/write", json=body)
    assert stopped.status_code == 409 and stopped.json()["code"] == "spending_limit_reached"
    assert len(model_server.requests) == calls


async def test_explain_a_failed_part_of_a_node(
    client: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    """An agent's failed model call (step ``agent/model#1``) is explained with the agent
    node it is part of: its type and params, not "unknown"."""
    iid = await configured(client, model_server)
    flow = await client.post(
        "/api/workflows",
        json={
            "name": "Agent",
            "nodes": [
                {"id": "start", "type": "core.manual"},
                {
                    "id": "agent",
                    "type": "ai.agent",
                    "params": {"integration_id": iid, "model": "gpt-4o", "prompt": "Hi"},
                    "retry": {"max_attempts": 1},
                },
            ],
            "connections": [{"from": "start", "to": "agent"}],
        },
    )
    assert flow.status_code == 201, flow.text
    model_server.script(Fail(400, "This model does not exist"))
    run = await client.post(f"/api/workflows/{flow.json()['id']}/execute?wait=true")
    record = run.json()
    assert record["status"] == "error", run.text
    failed = [s["node_id"] for s in record["steps"] if s["status"] == "error"]
    assert "agent/model#1" in failed, failed
    model_server.script(answer({"explanation": "The model is unknown.", "suggestions": []}))
    resp = await client.post(
        "/api/ai/explain-error", json={"execution_id": record["id"], "node_id": "agent/model#1"}
    )
    assert resp.status_code == 200, resp.text
    prompt = model_server.requests[-1].json["messages"][-1]["content"]
    assert "Node: agent (type ai.agent; the failed step is its part 'model#1'" in prompt
    assert "This model does not exist" in prompt
