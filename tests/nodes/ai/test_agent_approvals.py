"""Human approval of an agent's write actions, through the app on every database backend: the
execution parks durably, the approvals API lists the call (tool and arguments), approving
runs it, rejecting tells the model who rejected it and why; signed links; and conversation
memory across executions (window and token-budget modes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

import wirework.integrations.github
import wirework.integrations.openai  # noqa: F401
from tests.integrations.fakes import serving
from tests.integrations.github.fake_server import TOKEN, FakeGitHub
from tests.integrations.openai.server import OpenAIServer, Reply
from tests.integrations.workflows import add_integration, executions
from tests.nodes.ai.agent_helpers import execute, messages_of, save, settled, tool_messages
from wirework.api.app import create_app
from wirework.services.runtime import Runtime
from wirework.testing.harness import allow_loopback

KEY = "sk-hitl-test-secret-55"
FILE = Reply(tool_calls=[("file_issue", {"title": "Outage"})])


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with allow_loopback(), OpenAIServer() as found:
        yield found


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with allow_loopback(), serving(FakeGitHub()) as fake:
        assert isinstance(fake, FakeGitHub)
        fake.add_repo("acme", "app")
        yield fake


async def approval_workflow(
    client: httpx.AsyncClient, server: OpenAIServer, github: FakeGitHub, **more: Any
) -> int:
    mid = await add_integration(
        client, "openai", {"api_key": KEY, "base_url": server.url + "/v1"}, name="models"
    )
    gid = await add_integration(
        client, "github", {"token": TOKEN, "base_url": github.url}, name="gh"
    )
    tool = {
        "kind": "action",
        "name": "file_issue",
        "node_type": "github.create_issue",
        "integration_id": gid,
        "params": {"owner": "acme", "repo": "app"},
        "requires_approval": True,
    }
    node = {
        "id": "agent",
        "type": "ai.agent",
        "params": {
            "integration_id": mid,
            "model": "gpt-test",
            "prompt": "go",
            "tools": [tool],
            **more,
        },
    }
    return await save(client, [node])


async def parked(client: httpx.AsyncClient, workflow_id: int) -> dict[str, Any]:
    record = await execute(client, workflow_id)
    assert record["status"] == "waiting", record
    listed = (await client.get("/api/approvals")).json()
    (pending,) = listed
    assert pending["execution_id"] == record["id"] and pending["node_id"] == "agent"
    assert pending["tool"] == "file_issue" and pending["arguments"] == {"title": "Outage"}
    assert set(pending["links"]) == {"approve", "reject"}
    return dict(pending)


async def test_approved_call_runs_and_the_agent_goes_on(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer, github: FakeGitHub
) -> None:
    wid = await approval_workflow(client, server, github)
    server.script(FILE, Reply(text="filed"))
    pending = await parked(client, wid)
    assert github.issues["acme/app"] == []  # nothing ran before the approval
    url = f"/api/approvals/{pending['execution_id']}/agent/{pending['call_id']}"
    wrong = await client.post(url.replace(pending["call_id"], "other"), json={"approved": True})
    assert wrong.status_code == 422, wrong.text
    decided = await client.post(url, json={"approved": True})
    assert decided.status_code == 200, decided.text
    record = await settled(client, pending["execution_id"])
    assert record["status"] == "success", record["error"]
    assert record["result"][0]["text"] == "filed"
    assert github.issues["acme/app"][0]["title"] == "Outage"
    tool_step = next(s for s in record["steps"] if s["node_id"] == "agent/tool:file_issue#1")
    approval = tool_step["output"]["main"][0]["approval"]
    assert approval["approved"] is True and approval["by"] == "Owner"
    assert '"number": 1' in tool_messages(server.requests[1].json)[0]
    assert (await client.get("/api/approvals")).json() == []
    again = await client.post(url, json={"approved": True})
    assert again.status_code == 404


async def test_rejected_call_is_reported_to_the_model(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer, github: FakeGitHub
) -> None:
    wid = await approval_workflow(client, server, github)
    server.script(FILE, Reply(text="ok, not filed"))
    pending = await parked(client, wid)
    url = f"/api/approvals/{pending['execution_id']}/agent/{pending['call_id']}"
    decided = await client.post(url, json={"approved": False, "reason": "not during the freeze"})
    assert decided.status_code == 200, decided.text
    record = await settled(client, pending["execution_id"])
    assert record["status"] == "success", record["error"]
    assert github.issues["acme/app"] == []
    (result,) = tool_messages(server.requests[1].json)
    assert "rejected by Owner: not during the freeze" in result
    assert KEY not in server.bodies() and TOKEN not in server.bodies()


async def test_signed_link_approves(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer, github: FakeGitHub
) -> None:
    # The approval request goes to a workflow (which would mail or post the links).
    notify = await save(
        client,
        [{"id": "note", "type": "core.set", "params": {"fields": {"sent": True}}}],
        trigger="core.workflow_trigger",
        name="notify",
    )
    wid = await approval_workflow(client, server, github, approval_workflow_id=notify)
    server.script(FILE, Reply(text="filed"))
    pending = await parked(client, wid)
    (sent,) = await executions(client, notify)
    sent = await settled(client, sent["id"])
    request = sent["steps"][0]["output"]["main"][0]
    assert request["tool"] == "file_issue" and request["arguments"] == {"title": "Outage"}
    assert request["links"] == pending["links"]
    link = urlsplit(request["links"]["approve"])
    path = f"{link.path}?{link.query}"
    # No login needed; a tampered link is refused; GET only asks, POST decides.
    transport = httpx.ASGITransport(app=create_app(runtime=runtime))
    anonymous = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    async with anonymous:
        tampered = await anonymous.get(path.replace("decision=approve", "decision=reject"))
        assert tampered.status_code == 403
        page = await anonymous.get(path)
        assert page.status_code == 200 and "file_issue" in page.text
        assert (await client.get("/api/approvals")).json() != []
        done = await anonymous.post(path, data={"reason": "looks fine"})
        assert done.status_code == 200, done.text
    record = await settled(client, pending["execution_id"])
    assert record["status"] == "success", record["error"]
    assert github.issues["acme/app"][0]["title"] == "Outage"


def chat(mid: int, prompt: str, **memory: Any) -> dict[str, Any]:
    return {
        "id": "agent",
        "type": "ai.agent",
        "params": {
            "integration_id": mid,
            "model": "gpt-test",
            "prompt": prompt,
            "memory": {"session_key": "{{ json.session }}", **memory},
        },
    }


async def test_memory_window_across_executions(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer
) -> None:
    mid = await add_integration(
        client, "openai", {"api_key": KEY, "base_url": server.url + "/v1"}, name="models"
    )
    wid = await save(client, [chat(mid, "{{ json.q }}", mode="window", limit=2)])
    server.script(Reply(text="Hi Ada"), Reply(text="Ada"), Reply(text="blue"))
    for q in ("I am Ada", "Who am I?", "Colour?"):
        record = await execute(client, wid, {"session": "s-1", "q": q})
        assert record["status"] == "success", record["error"]
    assert messages_of(server.requests[1].json)[1:] == ["I am Ada", "Hi Ada", "Who am I?"]
    # The window keeps the last two messages.
    assert messages_of(server.requests[2].json)[1:] == ["Who am I?", "Ada", "Colour?"]
    other = await execute(client, wid, {"session": "s-2", "q": "fresh"})
    assert other["status"] == "success"
    assert messages_of(server.requests[3].json)[1:] == ["fresh"]


async def test_memory_token_budget_and_the_memory_node(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer
) -> None:
    mid = await add_integration(
        client, "openai", {"api_key": KEY, "base_url": server.url + "/v1"}, name="models"
    )
    memory = {"session_key": "t-1", "mode": "tokens", "limit": 20}
    ask = {
        "id": "ask",
        "type": "ai.chat",
        "params": {
            "integration_id": mid,
            "model": "gpt-test",
            "prompt": "{{ json.q }}",
            "memory": memory,
        },
    }
    wid = await save(client, [ask], name="chat")
    server.script(Reply(text="x" * 40), Reply(text="short"), Reply(text="last"))
    for q in ("first question", "second", "third"):
        record = await execute(client, wid, {"q": q})
        assert record["status"] == "success", record["error"]
    # 4 + 4 (first question) + 4 + 10 (the long answer) > 20: only newer turns fit.
    assert messages_of(server.requests[1].json) == ["second"]
    assert messages_of(server.requests[2].json) == ["second", "short", "third"]
    ops = [
        {
            "id": "load",
            "type": "ai.memory",
            "params": {"operation": "load", **memory, "limit": 1000},
        },
        {
            "id": "clear",
            "type": "ai.memory",
            "params": {"operation": "clear", "session_key": "t-1"},
        },
    ]
    record = await execute(client, await save(client, ops, name="ops"))
    assert record["status"] == "success", record["error"]
    load = next(s for s in record["steps"] if s["node_id"] == "load")
    history = load["output"]["main"][0]["history"]
    assert [h["content"] for h in history][:2] == ["first question", "x" * 40]
    assert len(history) == 6
    assert record["result"][0]["cleared"] == 6
