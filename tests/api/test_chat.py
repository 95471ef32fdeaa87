"""The chat API on every database: a workflow with an ``ai.chat_trigger`` and an ``ai.chat``
step answered by a local OpenAI-compatible server that streams; the reply's tokens arrive as
``delta`` events in order before the whole ``message``; the execution is recorded with the
trigger item; public and login access, inactive and unknown workflows, rate limits and bad
input."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from tests.integrations.openai.server import Fail, OpenAIServer, Reply
from wirework.api.app import create_app
from wirework.sdk.outbound import OutboundPolicy, set_policy
from wirework.services import chat as chat_service
from wirework.services.runtime import Runtime

KEY = "sk-chat-key-that-must-not-leak"
SESSION = "session-0123456789"
ANSWER = "Hello! Wirework runs your workflows."


@pytest.fixture
def model_server() -> Iterator[OpenAIServer]:
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        with OpenAIServer() as server:
            yield server
    finally:
        set_policy(None)


@pytest.fixture
async def anon(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A second client without credentials (``client`` keeps its own)."""
    transport = httpx.ASGITransport(app=create_app(runtime=runtime), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """The server-sent events of a response body: (event, data)."""
    out = []
    for block in text.strip().split("\n\n"):
        kind = data = None
        for line in block.splitlines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
        if kind is not None:
            out.append((kind, data or {}))
    return out


async def chat_workflow(
    client: httpx.AsyncClient,
    server: OpenAIServer,
    *,
    access: str = "public",
    active: bool = True,
    rate_limit: dict[str, int] | None = None,
) -> int:
    integration = await client.post(
        "/api/integrations",
        json={
            "name": "Models",
            "type": "openai",
            "credentials": {"base_url": server.url + "/v1", "api_key": KEY},
        },
    )
    assert integration.status_code == 201, integration.text
    trigger: dict[str, Any] = {
        "access": access,
        "title": "Ask Wirework",
        "welcome_message": "Hi! Ask me anything.",
        "allowed_origins": ["https://shop.example"],
    }
    if rate_limit is not None:
        trigger["rate_limit"] = rate_limit
    flow = await client.post(
        "/api/workflows",
        json={
            "name": "Chat",
            "active": active,
            "nodes": [
                {"id": "chat_in", "type": "ai.chat_trigger", "params": trigger},
                {
                    "id": "answer",
                    "type": "ai.chat",
                    "params": {
                        "integration_id": integration.json()["id"],
                        "model": "gpt-4o-mini",
                        "system": "You help Wirework users.",
                        "prompt": "{{ json.message }}",
                    },
                },
            ],
            "connections": [{"from": "chat_in", "to": "answer"}],
        },
    )
    assert flow.status_code == 201, flow.text
    return int(flow.json()["id"])


async def send(c: httpx.AsyncClient, wid: int, message: str = "What is Wirework?", **more: Any):
    return await c.post(
        f"/api/chat/{wid}/messages", json={"session_id": SESSION, "message": message, **more}
    )


async def test_a_public_chat_streams_tokens_then_the_reply_and_records_the_run(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    wid = await chat_workflow(client, model_server)
    info = await anon.get(f"/api/chat/{wid}")
    assert info.status_code == 200, info.text
    assert info.json() == {
        "title": "Ask Wirework",
        "welcome_message": "Hi! Ask me anything.",
        "access": "public",
    }

    model_server.script(Reply(text=ANSWER))
    resp = await send(anon, wid, history_hint=[{"role": "assistant", "content": "Hi!"}])
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/event-stream")
    got = events(resp.text)
    kinds = [k for k, _ in got]
    assert kinds[-1] == "message" and set(kinds[:-1]) == {"delta"}, kinds
    deltas = [d["text"] for k, d in got if k == "delta"]
    assert len(deltas) > 1  # streamed, a few characters at a time
    assert "".join(deltas) == ANSWER
    assert all(d["node_id"] == "answer" for k, d in got if k == "delta")
    final = got[-1][1]
    assert final["text"] == ANSWER
    assert model_server.requests[-1].json["stream"] is True
    assert model_server.requests[-1].json["messages"][-1] == {
        "role": "user",
        "content": "What is Wirework?",
    }

    # Recorded like any other execution, with the trigger item and the step's usage.
    record = (await client.get(f"/api/executions/{final['execution_id']}")).json()
    assert record["status"] == "success" and record["mode"] == "chat"
    trigger = next(s for s in record["steps"] if s["node_id"] == "chat_in")
    (item,) = trigger["output"]["main"]
    assert item == {
        "session_id": SESSION,
        "message": "What is Wirework?",
        "history_hint": [{"role": "assistant", "content": "Hi!"}],
    }
    step = next(s for s in record["steps"] if s["node_id"] == "answer")
    assert step["usage"]["calls"] == 1 and step["usage"]["output_tokens"] == 7
    assert KEY not in resp.text


async def test_a_login_chat_needs_a_signed_in_user_and_passes_who(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    wid = await chat_workflow(client, model_server, access="login")
    for resp in (await anon.get(f"/api/chat/{wid}"), await send(anon, wid)):
        assert resp.status_code == 401, resp.text
        assert resp.json()["code"] == "unauthorized"
    assert len(model_server.requests) == 0

    model_server.script(Reply(text=ANSWER))
    assert (await client.get(f"/api/chat/{wid}")).json()["access"] == "login"
    got = events((await send(client, wid)).text)
    assert got[-1][0] == "message"
    record = (await client.get(f"/api/executions/{got[-1][1]['execution_id']}")).json()
    trigger = next(s for s in record["steps"] if s["node_id"] == "chat_in")
    user = trigger["output"]["main"][0]["user"]
    assert user["email"] and isinstance(user["id"], int)


async def test_a_login_chat_over_the_session_cookie_needs_the_csrf_header(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    wid = await chat_workflow(client, model_server, access="login")
    login = await anon.post(
        "/api/auth/session", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
    )
    assert login.status_code == 200, login.text
    refused = await send(anon, wid)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    assert len(model_server.requests) == 0

    model_server.script(Reply(text=ANSWER))
    csrf = {"X-CSRF-Token": anon.cookies["wirework_csrf"]}
    resp = await anon.post(
        f"/api/chat/{wid}/messages",
        json={"session_id": SESSION, "message": "hi"},
        headers=csrf,
    )
    assert events(resp.text)[-1][0] == "message", resp.text


async def test_unknown_inactive_and_chatless_workflows_are_the_same_404(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    inactive = await chat_workflow(client, model_server, active=False)
    plain = await client.post(
        "/api/workflows",
        json={"name": "plain", "active": True, "nodes": [{"id": "m", "type": "core.manual"}]},
    )
    assert plain.status_code == 201, plain.text
    for wid in (inactive, plain.json()["id"], 999_999):
        for c in (anon, client):
            for resp in (await c.get(f"/api/chat/{wid}"), await send(c, wid)):
                assert resp.status_code == 404, resp.text
                assert resp.json() == {
                    "detail": "chat not found",
                    "code": "not_found",
                    "errors": [],
                }
    assert model_server.requests == []


async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    wid = await chat_workflow(client, model_server)
    cases = [
        ({"session_id": "x", "message": "hi"}, "body.session_id"),
        ({"session_id": "bad id with spaces", "message": "hi"}, "body.session_id"),
        ({"session_id": SESSION, "message": ""}, "body.message"),
        ({"session_id": SESSION}, "body.message"),
        ({"session_id": SESSION, "message": "hi", "extra": 1}, "body.extra"),
        ({"session_id": SESSION, "message": "x" * 16_001}, "body.message"),
        ({"session_id": SESSION, "message": "hi", "history_hint": [{"role": "x"}]},
         "body.history_hint"),
    ]  # fmt: skip
    for body, field in cases:
        resp = await anon.post(f"/api/chat/{wid}/messages", json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.json()["errors"][0]["field"].startswith(field), resp.text
    too_big = await anon.post(
        f"/api/chat/{wid}/messages",
        content=json.dumps({"session_id": SESSION, "message": "x" * 70_000}),
        headers={"content-type": "application/json"},
    )
    assert too_big.status_code == 413 and too_big.json()["code"] == "body_too_large"
    assert model_server.requests == []


async def test_public_messages_over_the_rate_limit_get_429(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    wid = await chat_workflow(client, model_server, rate_limit={"requests": 2, "per_s": 3600})
    for _ in range(2):
        model_server.script(Reply(text="ok"))
        resp = await send(anon, wid)
        assert resp.status_code == 200 and events(resp.text)[-1][1]["text"] == "ok"
    refused = await send(anon, wid)
    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "chat_rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 3600


async def test_a_failing_workflow_answers_an_error_event(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    wid = await chat_workflow(client, model_server, access="login")
    model_server.script(Fail(400, "the model refuses"))
    got = events((await send(client, wid)).text)
    assert got[-1][0] == "error"
    assert "the model refuses" in got[-1][1]["message"], got
    assert KEY not in json.dumps(got)


async def test_the_page_may_be_framed_by_allowed_origins_and_they_may_call_the_api(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, model_server: OpenAIServer
) -> None:
    wid = await chat_workflow(client, model_server)
    page = await anon.get(f"/chat/{wid}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'self' https://shop.example" in csp
    for other in (f"/chat/{wid + 1000}", "/workflows"):
        framed = (await anon.get(other)).headers.get("content-security-policy", "")
        assert "https://shop.example" not in framed
    unknown = (await anon.get(f"/chat/{wid + 1000}")).headers["content-security-policy"]
    assert unknown.endswith("frame-ancestors 'self'")

    widget = await anon.get("/chat/widget.js")
    assert widget.status_code == 200
    assert widget.headers["content-type"].startswith("text/javascript")
    assert "data-workflow" in widget.text and "http" not in widget.text.split("*/", 1)[1]

    allowed = {"Origin": "https://shop.example"}
    info = await anon.get(f"/api/chat/{wid}", headers=allowed)
    assert info.headers["access-control-allow-origin"] == "https://shop.example"
    assert "access-control-allow-credentials" not in info.headers
    other = await anon.get(f"/api/chat/{wid}", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = await anon.options(
        f"/api/chat/{wid}/messages",
        headers={**allowed, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    model_server.script(Reply(text="ok"))
    sent = await anon.post(
        f"/api/chat/{wid}/messages",
        json={"session_id": SESSION, "message": "hi"},
        headers=allowed,
    )
    assert sent.headers["access-control-allow-origin"] == "https://shop.example"
    assert events(sent.text)[-1][1]["text"] == "ok"


async def test_a_quiet_run_keeps_the_stream_alive_and_any_node_can_reply(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat_service, "KEEPALIVE_S", 0.05)
    flow = await client.post(
        "/api/workflows",
        json={
            "name": "slow chat",
            "active": True,
            "nodes": [
                {"id": "in", "type": "ai.chat_trigger", "params": {"access": "public"}},
                {"id": "pause", "type": "core.wait", "params": {"seconds": 1}},
                {"id": "say", "type": "core.set",
                 "params": {"fields": {"output": "You said: {{ json.message }}"}}},
            ],
            "connections": [{"from": "in", "to": "pause"}, {"from": "pause", "to": "say"}],
        },
    )  # fmt: skip
    assert flow.status_code == 201, flow.text
    resp = await send(anon, flow.json()["id"], "hello")
    assert ": keep-alive\n\n" in resp.text
    assert events(resp.text) == [
        ("message", {"execution_id": events(resp.text)[0][1]["execution_id"],
                     "text": "You said: hello"}),
    ]  # fmt: skip
