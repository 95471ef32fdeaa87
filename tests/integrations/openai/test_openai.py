"""The openai integration and provider against a local server speaking OpenAI's API: what
we send, streaming, retries, timeouts, errors without secrets, the conformance suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import wirework.integrations.openai  # noqa: F401 - registers the type and the provider
from tests.integrations.openai.server import Fail, Hang, OpenAIServer, Reply, vector_of
from wirework.integrations.openai.provider import provider_of
from wirework.sdk.ai import ChatRequest, Message, ToolCall, ToolSpec
from wirework.sdk.node import NodeError
from wirework.sdk.outbound import IntegrationCredentials
from wirework.testing import assert_conformant, run_action
from wirework.testing.harness import allow_loopback

KEY = "sk-test-do-not-leak-0451"


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with allow_loopback(), OpenAIServer() as found:
        yield found


def creds(server: OpenAIServer, **more: object) -> dict[str, object]:
    return {"base_url": server.url + "/v1", "api_key": KEY, **more}


async def test_conformance() -> None:
    await assert_conformant("openai")


async def test_chat_sends_messages_tools_and_schema(server: OpenAIServer) -> None:
    server.script(Reply(tool_calls=[("lookup", {"id": 7})], input_tokens=30, output_tokens=5))
    provider = provider_of(creds(server))
    try:
        result = await provider.chat(
            ChatRequest(
                model="gpt-test",
                messages=[
                    Message(role="system", content="be brief"),
                    Message(role="user", content="find 7"),
                    Message(
                        role="assistant",
                        tool_calls=[ToolCall(id="c0", name="lookup", arguments={"id": 6})],
                    ),
                    Message(role="tool", tool_call_id="c0", content='{"found": false}'),
                ],
                tools=[
                    ToolSpec(
                        name="lookup",
                        description="Find a record",
                        parameters={"type": "object", "properties": {"id": {"type": "integer"}}},
                    )
                ],
                tool_choice="required",
                temperature=0.2,
                max_tokens=50,
                json_schema={"type": "object"},
            )
        )
    finally:
        await provider.aclose()
    sent = server.requests[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    body = sent.json
    assert body["model"] == "gpt-test"
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool"]
    assert body["messages"][2]["tool_calls"][0]["function"] == {
        "name": "lookup",
        "arguments": '{"id": 6}',
    }
    assert body["messages"][3] == {
        "role": "tool",
        "tool_call_id": "c0",
        "content": '{"found": false}',
    }
    assert body["tools"][0]["function"]["name"] == "lookup"
    assert body["tool_choice"] == "required"
    assert body["max_tokens"] == 50 and body["temperature"] == 0.2
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == {"type": "object"}
    assert result.message.tool_calls == [ToolCall(id="call_1", name="lookup", arguments={"id": 7})]
    assert (result.usage.input_tokens, result.usage.output_tokens) == (30, 5)
    assert result.finish_reason == "tool_calls"
    assert KEY not in server.bodies()


async def test_stream_gives_text_then_the_whole_result(server: OpenAIServer) -> None:
    server.script(Reply(text="Hello there, friend", tool_calls=[("f", {"a": [1, 2]})]))
    provider = provider_of(creds(server))
    try:
        deltas = [
            d
            async for d in provider.stream(
                ChatRequest(model="m", messages=[Message(role="user", content="hi")])
            )
        ]
    finally:
        await provider.aclose()
    assert server.requests[-1].json["stream"] is True
    assert server.requests[-1].json["stream_options"] == {"include_usage": True}
    assert "".join(d.text for d in deltas) == "Hello there, friend"
    assert len(deltas) > 3
    final = deltas[-1].result
    assert final is not None
    assert final.message.content == "Hello there, friend"
    assert final.message.tool_calls[0].arguments == {"a": [1, 2]}
    assert (final.usage.input_tokens, final.usage.output_tokens) == (11, 7)


async def test_429_and_500_are_retried_honouring_retry_after(server: OpenAIServer) -> None:
    server.script(Fail(429, "slow down", retry_after=0), Fail(503, "busy"), Reply(text="fine"))
    provider = provider_of(creds(server, max_retries=2))
    try:
        result = await provider.chat(
            ChatRequest(model="m", messages=[Message(role="user", content="hi")])
        )
    finally:
        await provider.aclose()
    assert result.message.content == "fine"
    assert len(server.requests) == 3


async def test_a_huge_retry_after_is_not_slept_on(server: OpenAIServer) -> None:
    server.script(Fail(429, "quota", retry_after=3600), Reply(text="never"))
    provider = provider_of(creds(server))
    try:
        with pytest.raises(NodeError) as caught:
            await provider.chat(
                ChatRequest(model="m", messages=[Message(role="user", content="x")])
            )
    finally:
        await provider.aclose()
    assert caught.value.retryable
    assert "HTTP 429" in caught.value.message and "3600 s" in caught.value.message
    assert len(server.requests) == 1


async def test_errors_name_the_status_and_message_without_the_key(server: OpenAIServer) -> None:
    server.script(Fail(400, f"model not found; your key {KEY} is fine"))
    provider = provider_of(creds(server))
    try:
        with pytest.raises(NodeError) as caught:
            await provider.chat(
                ChatRequest(model="m", messages=[Message(role="user", content="x")])
            )
    finally:
        await provider.aclose()
    message = caught.value.message
    assert message.startswith("OpenAI answered HTTP 400 to POST /v1/chat/completions: model not")
    assert KEY not in message and not caught.value.retryable


async def test_the_call_timeout_holds(server: OpenAIServer) -> None:
    server.script(Hang(3, Reply(text="late")), Hang(3, Reply(text="late")))
    provider = provider_of(creds(server, timeout_s=0.5, max_retries=1))
    try:
        with pytest.raises(NodeError) as caught:
            await provider.chat(
                ChatRequest(model="m", messages=[Message(role="user", content="x")])
            )
    finally:
        await provider.aclose()
    assert caught.value.retryable
    assert "timed out" in caught.value.message or "no answer within" in caught.value.message


async def test_the_key_goes_only_to_allowed_hosts(server: OpenAIServer) -> None:
    values = IntegrationCredentials(creds(server), allowed_hosts=["api.openai.com"])
    provider = provider_of(values)
    try:
        with pytest.raises(NodeError) as caught:
            await provider.list_models()
    finally:
        await provider.aclose()
    assert "may not send its credentials" in caught.value.message
    assert server.requests == []


async def test_private_servers_need_the_allow_list() -> None:
    with OpenAIServer() as server:  # no allow_loopback: the default policy
        provider = provider_of(creds(server))
        try:
            with pytest.raises(NodeError) as caught:
                await provider.list_models()
        finally:
            await provider.aclose()
    assert "WIREWORK_OUTBOUND_ALLOW" in caught.value.message
    assert not caught.value.retryable and server.requests == []


async def test_embeddings_and_models(server: OpenAIServer) -> None:
    provider = provider_of(creds(server))
    try:
        found = await provider.embed(["one", "two"], "emb")
        models = await provider.list_models()
    finally:
        await provider.aclose()
    assert found.vectors == [vector_of("one"), vector_of("two")]
    assert [m.id for m in models] == ["model-a", "model-b"]


async def test_azure_deployment_api(server: OpenAIServer) -> None:
    provider = provider_of({"base_url": server.url, "api_key": KEY, "api_version": "2024-10-21"})
    try:
        result = await provider.chat(
            ChatRequest(model="my-deployment", messages=[Message(role="user", content="x")])
        )
    finally:
        await provider.aclose()
    sent = server.requests[-1]
    assert sent.path == "/openai/deployments/my-deployment/chat/completions"
    assert sent.query["api-version"] == ["2024-10-21"]
    assert sent.headers["api-key"] == KEY
    assert result.message.content == "ok"


async def test_actions_run_in_the_engine(server: OpenAIServer) -> None:
    server.script(Reply(text="A webhook is a callback."))
    run = await run_action(
        "openai.chat",
        {"model": "m", "messages": [{"role": "user", "content": "What is a webhook?"}]},
        creds(server),
        secret_fields={"api_key"},
    )
    assert run.record.status == "success", run.record.error
    item = run.outputs["n"]["main"][0]
    assert item["text"] == "A webhook is a callback." and item["usage"]["input_tokens"] == 11
    run = await run_action("openai.embeddings", {"model": "e", "input": ["a", "b"]}, creds(server))
    assert run.outputs["n"]["main"][0]["embeddings"] == [vector_of("a"), vector_of("b")]
