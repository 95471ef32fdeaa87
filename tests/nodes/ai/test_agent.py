"""``ai.agent`` in real workflows through the app and the engine, on every database backend,
against the local OpenAI-compatible server (scripted tool calls) and local service servers:
the tools it offers, the tool loop (integration action, HTTP request, code, workflow), repairs,
limits, and each model and tool call recorded as its own step."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import wirework.integrations.anthropic
import wirework.integrations.github
import wirework.integrations.openai  # noqa: F401
from tests.integrations.anthropic.server import AnthropicServer
from tests.integrations.fakes import Answer, FakeServer, Request, serving
from tests.integrations.github.fake_server import TOKEN, FakeGitHub
from tests.integrations.openai.server import OpenAIServer, Reply
from tests.integrations.workflows import add_integration
from tests.nodes.ai.agent_helpers import execute, messages_of, save, step_ids, tool_messages
from wirework.services.runtime import Runtime
from wirework.testing.harness import allow_loopback

KEY = "sk-agent-test-secret-77"


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


class Echo(FakeServer):
    """Answers every request with its path, query and headers (a server that leaks)."""

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", r"/items/(?P<id>[^/]+)", self._item)

    def _item(self, request: Request, id: str) -> Answer:
        return Answer(200, {"id": id, "query": request.query, "auth": request.headers})


async def models(client: httpx.AsyncClient, server: OpenAIServer) -> int:
    creds = {"api_key": KEY, "base_url": server.url + "/v1"}
    return await add_integration(client, "openai", creds, name="models")


def agent(mid: int, **params: Any) -> dict[str, Any]:
    return {
        "id": "agent",
        "type": "ai.agent",
        "params": {"integration_id": mid, "model": "gpt-test", **params},
    }


async def test_action_tool_loop_each_call_a_step_no_secret_sent(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer, github: FakeGitHub
) -> None:
    mid = await models(client, server)
    gid = await add_integration(
        client, "github", {"token": TOKEN, "base_url": github.url}, name="gh"
    )
    tool = {
        "kind": "action",
        "node_type": "github.create_issue",
        "integration_id": gid,
        "params": {"owner": "acme", "repo": "{{ json.repo }}"},
    }
    server.script(
        Reply(tool_calls=[("github_create_issue", {"title": "Crash on save", "body": "x"})]),
        Reply(text="Filed issue #1"),
    )
    wid = await save(client, [agent(mid, prompt="File: {{ json.report }}", tools=[tool])])
    record = await execute(client, wid, {"report": "it crashes", "repo": "app"})
    assert record["status"] == "success", record["error"]
    out = record["result"][0]
    assert out["text"] == "Filed issue #1" and out["steps"] == 2 and not out["truncated"]
    assert out["tool_calls"] == [
        {
            "name": "github_create_issue",
            "arguments": {"title": "Crash on save", "body": "x"},
            "ok": True,
        }
    ]
    assert github.issues["acme/app"][0]["title"] == "Crash on save"
    # What the model was offered: the action's schema without the fixed owner/repo.
    first = server.requests[0].json
    (offered,) = first["tools"]
    schema = offered["function"]["parameters"]
    assert offered["function"]["name"] == "github_create_issue"
    assert "title" in schema["properties"] and "owner" not in schema["properties"]
    assert schema["required"] == ["title"]
    assert "not instructions" in first["messages"][0]["content"]
    (result,) = tool_messages(server.requests[1].json)
    assert result.startswith('<tool_output tool="github_create_issue">')
    # Credentials stay server-side.
    assert KEY not in server.bodies() and TOKEN not in server.bodies()
    # Each model and tool call is its own step, nested under the agent.
    assert step_ids(record) == [
        "agent/model#1",
        "agent/tool:github_create_issue#1",
        "agent/model#2",
        "agent",
    ]
    parts = {s["node_id"]: s for s in record["steps"] if s["parent_node_id"] == "agent"}
    model_step = parts["agent/model#1"]["output"]["main"][0]
    assert model_step["usage"] == {"input_tokens": 11, "output_tokens": 7, "total_tokens": 18}
    assert model_step["answer"]["tool_calls"][0]["name"] == "github_create_issue"
    tool_step = parts["agent/tool:github_create_issue#1"]["output"]["main"][0]
    assert tool_step["arguments"]["title"] == "Crash on save"
    assert tool_step["result"]["number"] == 1


async def test_http_tool_secrets_redacted_before_the_model(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer
) -> None:
    mid = await models(client, server)
    with allow_loopback(), serving(Echo()) as echo:
        gid = await add_integration(
            client, "github", {"token": TOKEN, "base_url": echo.url}, name="echo"
        )
        tool = {
            "kind": "http",
            "name": "get_item",
            "method": "GET",
            "url": echo.url + "/items/{{ args.id }}",
            "integration_id": gid,
            "parameters": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "expand": {"type": "string"}},
                "required": ["id"],
            },
        }
        server.script(
            Reply(tool_calls=[("get_item", {"id": "a/../b", "expand": "all"})]), Reply(text="ok")
        )
        wid = await save(client, [agent(mid, prompt="look", tools=[tool])])
        record = await execute(client, wid)
    assert record["status"] == "success", record["error"]
    (result,) = tool_messages(server.requests[1].json)
    data = json.loads(result.split("\n", 1)[1].rsplit("\n", 1)[0])
    assert data["id"] == "a%2F..%2Fb"  # quoted into one path segment
    assert data["query"]["expand"] == "all"
    assert data["auth"]["authorization"] != f"Bearer {TOKEN}"
    assert TOKEN not in server.bodies() and KEY not in server.bodies()


async def test_invalid_arguments_and_unknown_tools_go_back_to_the_model(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer
) -> None:
    mid = await models(client, server)
    tool = {
        "kind": "code",
        "name": "add",
        "code": "return [{'sum': items[0]['a'] + items[0]['b']}]",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    }
    server.script(
        Reply(tool_calls=[("add", {"a": 2})]),
        Reply(tool_calls=[("multiply", {"a": 2, "b": 3})]),
        Reply(tool_calls=[("add", {"a": 2, "b": 3})]),
        Reply(text="5"),
    )
    wid = await save(client, [agent(mid, prompt="2+3?", tools=[tool])])
    record = await execute(client, wid)
    assert record["status"] == "success", record["error"]
    first, second, third = (tool_messages(server.requests[i].json)[-1] for i in (1, 2, 3))
    assert "invalid arguments" in first and "'b' is a required property" in first
    assert "unknown tool 'multiply'" in second
    assert '"sum": 5' in third
    assert record["result"][0]["tool_calls"][-1] == {
        "name": "add",
        "arguments": {"a": 2, "b": 3},
        "ok": True,
    }
    failed = [s for s in record["steps"] if s["status"] == "error"]
    assert [s["node_id"] for s in failed] == ["agent/tool:add#1", "agent/tool:multiply#2"]


async def test_tool_errors_in_a_row_are_bounded(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer
) -> None:
    mid = await models(client, server)
    tool = {
        "kind": "code",
        "name": "noop",
        "code": "return items",
        "parameters": {
            "type": "object",
            "properties": {"x": {"type": "integer"}},
            "required": ["x"],
        },
    }
    server.script(*[Reply(tool_calls=[("noop", {})]) for _ in range(3)])
    wid = await save(client, [agent(mid, prompt="go", tools=[tool], max_tool_errors=1)])
    record = await execute(client, wid)
    assert record["status"] == "error"
    assert "2 tool errors in a row" in record["error"]["message"]


async def test_workflow_as_tool(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer
) -> None:
    mid = await models(client, server)
    sub = await save(
        client,
        [{"id": "s", "type": "core.set", "params": {"fields": {"greeting": "hi {{ json.name }}"}}}],
        trigger="core.workflow_trigger",
        name="greeter",
    )
    tool = {"kind": "workflow", "name": "greet", "workflow_id": sub}
    server.script(Reply(tool_calls=[("greet", {"name": "Ada"})]), Reply(text="said hi"))
    wid = await save(client, [agent(mid, prompt="greet Ada", tools=[tool])])
    record = await execute(client, wid)
    assert record["status"] == "success", record["error"]
    (result,) = tool_messages(server.requests[1].json)
    assert '"greeting": "hi Ada"' in result
    assert server.requests[0].json["tools"][0]["function"]["parameters"]["type"] == "object"


LOOP = Reply(tool_calls=[("add", {"a": 1, "b": 1})])
ADD = {"kind": "code", "name": "add", "code": "return [{'sum': 2}]"}


async def test_step_limit_fails_or_truncates(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer
) -> None:
    mid = await models(client, server)
    server.script(LOOP, LOOP)
    wid = await save(client, [agent(mid, prompt="loop", tools=[ADD], max_steps=2)])
    record = await execute(client, wid)
    assert record["status"] == "error"
    assert "step limit (2 model calls)" in record["error"]["message"]
    assert record["error"]["details"]["model_calls"] == 2

    server.script(Reply(text="thinking", tool_calls=[("add", {"a": 1, "b": 1})]), LOOP)
    wid = await save(
        client,
        [agent(mid, prompt="loop", tools=[ADD], max_steps=2, on_limit="truncate")],
        name="truncating",
    )
    record = await execute(client, wid)
    assert record["status"] == "success", record["error"]
    out = record["result"][0]
    assert out["truncated"] is True and out["stop_reason"] == "max_steps"
    assert out["text"] == "thinking"


async def test_token_limit_stops(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer
) -> None:
    mid = await models(client, server)
    server.script(LOOP, LOOP, LOOP)
    wid = await save(client, [agent(mid, prompt="loop", tools=[ADD], max_total_tokens=30)])
    record = await execute(client, wid)
    assert record["status"] == "error"
    assert "token limit (30 tokens)" in record["error"]["message"]
    assert len(server.requests) == 2  # 18 tokens each: the third call is not made
    assert messages_of(server.requests[0].json)[-1] == "loop"


async def test_cost_limit_stops_with_the_price_table(
    client: httpx.AsyncClient, runtime: Runtime, server: OpenAIServer
) -> None:
    """With a price for the model, the agent's cost limit counts money, not tokens: 18
    tokens a call at 1,000 per million cost 0.018, so the limit of 0.03 stops at the second."""
    price = {"provider": "openai", "model": "gpt-test", "input_per_million": "1000",
             "output_per_million": "1000"}  # fmt: skip
    assert (await client.post("/api/ai/prices", json=price)).status_code == 201
    mid = await models(client, server)
    server.script(LOOP, LOOP, LOOP)
    wid = await save(client, [agent(mid, prompt="loop", tools=[ADD], max_cost=0.03)])
    record = await execute(client, wid)
    assert record["status"] == "error"
    assert "cost limit (0.03)" in record["error"]["message"], record["error"]
    assert len(server.requests) == 2  # the third call is not made
    step = next(s for s in record["steps"] if s["node_id"] == "agent")
    assert step["usage"]["calls"] == 2 and float(step["usage"]["cost"]) == 0.036


async def test_agent_on_anthropic(client: httpx.AsyncClient, runtime: Runtime) -> None:
    with allow_loopback(), AnthropicServer() as server:
        mid = await add_integration(
            client, "anthropic", {"api_key": KEY, "base_url": server.url}, name="claude"
        )
        server.script(Reply(tool_calls=[("add", {"a": 1, "b": 1})]), Reply(text="2"))
        node = agent(mid, prompt="1+1?", tools=[ADD], model="claude-test-1")
        record = await execute(client, await save(client, [node]))
    assert record["status"] == "success", record["error"]
    assert record["result"][0]["text"] == "2"
    second = server.requests[1].json
    assert second["tools"][0]["name"] == "add"
    results = [
        block
        for message in second["messages"]
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
    assert len(results) == 1 and "<tool_output" in json.dumps(results[0])
    assert KEY not in server.bodies()
