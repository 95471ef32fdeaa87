"""The anthropic integration and provider against a local server speaking the Messages API:
what we send (system apart, tool_use/tool_result blocks), the event stream, retries, errors
without secrets, the conformance suite."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import wirework.integrations.anthropic  # noqa: F401 - registers the type and the provider
from tests.integrations.anthropic.server import AnthropicServer, Fail, Reply
from wirework.integrations.anthropic.provider import OUTPUT_TOOL, provider_of
from wirework.sdk.ai import ChatRequest, Message, ToolCall, ToolSpec
from wirework.sdk.node import NodeError
from wirework.testing import assert_conformant, run_action
from wirework.testing.harness import allow_loopback

KEY = "sk-ant-test-do-not-leak-77"


@pytest.fixture
def server() -> Iterator[AnthropicServer]:
    with allow_loopback(), AnthropicServer() as found:
        yield found


def creds(server: AnthropicServer, **more: object) -> dict[str, object]:
    return {"base_url": server.url, "api_key": KEY, **more}


CONVERSATION = [
    Message(role="system", content="be brief"),
    Message(role="user", content="find 7"),
    Message(role="assistant", tool_calls=[ToolCall(id="t0", name="lookup", arguments={"id": 6})]),
    Message(role="tool", tool_call_id="t0", content="not found"),
]


async def test_conformance() -> None:
    await assert_conformant("anthropic")


async def test_messages_request_shape(server: AnthropicServer) -> None:
    server.script(Fail(529, "overloaded", retry_after=0), Reply(tool_calls=[("lookup", {"id": 7})]))
    provider = provider_of(creds(server))
    try:
        result = await provider.chat(
            ChatRequest(
                model="claude-test-1",
                messages=CONVERSATION,
                tools=[ToolSpec(name="lookup", parameters={"type": "object"})],
                tool_choice="required",
                stop=["END"],
            )
        )
    finally:
        await provider.aclose()
    sent = server.requests[-1]
    assert len(server.requests) == 2  # the 529 was retried
    # The SDK sends the key as x-api-key (or, in recent versions, as a bearer token).
    assert KEY in (sent.headers.get("x-api-key"), sent.headers.get("authorization", "")[7:])
    body = sent.json
    assert body["system"] == "be brief"
    assert body["max_tokens"] == 4096 and body["stop_sequences"] == ["END"]
    assert [t["role"] for t in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][1]["content"] == [
        {"type": "tool_use", "id": "t0", "name": "lookup", "input": {"id": 6}}
    ]
    assert body["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "t0", "content": "not found"}
    ]
    assert body["tools"] == [
        {"name": "lookup", "description": "", "input_schema": {"type": "object"}}
    ]
    assert body["tool_choice"] == {"type": "any"}
    assert result.message.tool_calls == [ToolCall(id="toolu_1", name="lookup", arguments={"id": 7})]
    assert result.finish_reason == "tool_calls"
    assert KEY not in server.bodies()


async def test_stream_events(server: AnthropicServer) -> None:
    server.script(
        Reply(text="Streaming from Claude", tool_calls=[("f", {"q": "x"})], output_tokens=9)
    )
    provider = provider_of(creds(server))
    try:
        deltas = [d async for d in provider.stream(ChatRequest(model="m", messages=CONVERSATION))]
    finally:
        await provider.aclose()
    assert "".join(d.text for d in deltas) == "Streaming from Claude"
    final = deltas[-1].result
    assert final is not None and final.message.tool_calls[0].arguments == {"q": "x"}
    assert (final.usage.input_tokens, final.usage.output_tokens) == (11, 9)


async def test_json_schema_as_a_forced_tool(server: AnthropicServer) -> None:
    server.script(Reply(tool_calls=[(OUTPUT_TOOL, {"sentiment": "positive"})]))
    provider = provider_of(creds(server))
    schema = {"type": "object", "properties": {"sentiment": {"type": "string"}}}
    try:
        result = await provider.chat(
            ChatRequest(model="m", messages=CONVERSATION[:2], json_schema=schema)
        )
    finally:
        await provider.aclose()
    body = server.requests[-1].json
    assert body["tool_choice"] == {"type": "tool", "name": OUTPUT_TOOL}
    assert body["tools"][0]["input_schema"] == schema
    assert json.loads(result.message.content or "") == {"sentiment": "positive"}


async def test_errors_without_the_key(server: AnthropicServer) -> None:
    server.script(Fail(401, f"invalid x-api-key {KEY}"))
    provider = provider_of(creds(server))
    try:
        with pytest.raises(NodeError) as caught:
            await provider.chat(ChatRequest(model="m", messages=CONVERSATION[:2]))
    finally:
        await provider.aclose()
    assert caught.value.message.startswith("Anthropic answered HTTP 401 to POST /v1/messages")
    assert KEY not in caught.value.message and not caught.value.retryable


async def test_actions_and_models(server: AnthropicServer) -> None:
    server.script(Reply(text="Hi."))
    run = await run_action(
        "anthropic.messages",
        {"model": "claude-test-1", "system": "s", "messages": [{"role": "user", "content": "x"}]},
        creds(server),
        secret_fields={"api_key"},
    )
    assert run.record.status == "success", run.record.error
    assert run.outputs["n"]["main"][0]["text"] == "Hi."
    run = await run_action("anthropic.list_models", {}, creds(server))
    assert [m["id"] for m in run.outputs["n"]["main"]] == ["claude-test-1", "claude-test-2"]
