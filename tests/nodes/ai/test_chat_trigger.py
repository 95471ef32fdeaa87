"""``ai.chat_trigger``'s params and reply rule, and ``ai.chat`` streaming its answer through
``NodeContext.stream_text`` (``step.delta`` events) when someone follows the execution."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import ValidationError

import wirework.integrations.openai  # noqa: F401
from tests.integrations.openai.server import OpenAIServer, Reply
from wirework.engine.executor import Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore
from wirework.nodes.ai.chat_trigger import ChatAccess, ChatTriggerParams, NoReply, reply_of
from wirework.sdk.outbound import IntegrationCredentials
from wirework.testing.harness import allow_loopback

TEXT = "Streaming, one piece at a time."


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with allow_loopback(), OpenAIServer() as found:
        yield found


def test_params_defaults_and_origins() -> None:
    params = ChatTriggerParams.model_validate({})
    assert params.access is ChatAccess.LOGIN and params.title == "Chat"
    ok = ChatTriggerParams.model_validate(
        {"access": "public", "allowed_origins": ["https://Shop.example/", "http://127.0.0.1:8080"]}
    )
    assert ok.allowed_origins == ["https://shop.example", "http://127.0.0.1:8080"]
    for bad in ("shop.example", "https://shop.example/path", "javascript:alert(1)", "*"):
        with pytest.raises(ValidationError, match="is not an origin"):
            ChatTriggerParams.model_validate({"allowed_origins": [bad]})
    with pytest.raises(ValidationError):
        ChatTriggerParams.model_validate({"access": "everyone"})


def test_the_reply_rule() -> None:
    assert reply_of([{"text": "a", "output": "b"}]) == "a"
    assert reply_of([{"output": "b", "message": "c"}]) == "b"
    assert reply_of([{"message": "c"}]) == "c"
    assert reply_of([{"message": {"role": "assistant", "content": "d"}}, {"text": "x"}]) == "d"
    assert reply_of([{"text": 5, "output": "e"}]) == "e"
    with pytest.raises(NoReply, match="no items"):
        reply_of([])
    with pytest.raises(NoReply, match="no text, output or message field"):
        reply_of([{"answer": "?"}])


async def run_chat(
    server: OpenAIServer, listening: Callable[[str], bool], **params: Any
) -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, Any]]]:
    values = IntegrationCredentials(
        {"base_url": server.url + "/v1", "api_key": "sk-x"},
        integration_id=1,
        name="models",
        secret_fields={"api_key"},
        integration_type="openai",
    )

    async def lookup(integration_id: int) -> dict[str, Any]:
        return values

    seen: list[tuple[str, dict[str, Any]]] = []
    doc = {
        "name": "chat",
        "nodes": [
            {"id": "in", "type": "ai.chat_trigger", "params": {"access": "public"}},
            {
                "id": "ai",
                "type": "ai.chat",
                "params": {"integration_id": 1, "model": "m", "prompt": "{{ json.message }}",
                           **params},
            },
        ],
        "connections": [{"from": "in", "to": "ai"}],
    }  # fmt: skip
    hooks = Hooks(
        credentials=lookup, on_event=lambda k, d: seen.append((k, d)), listening=listening
    )
    runner = Runner(MemoryStore(), hooks=hooks)
    started = await runner.execute(
        compile_graph(doc), input_items=[{"session_id": "s-12345678", "message": "hi"}]
    )
    await started.wait()
    assert started.run.record.status == "success", started.run.record.error
    return seen, started.run.result()


async def test_ai_chat_streams_when_followed(server: OpenAIServer) -> None:
    server.script(Reply(text=TEXT, input_tokens=3, output_tokens=5))
    seen, result = await run_chat(server, lambda _id: True)
    deltas = [d for k, d in seen if k == "step.delta"]
    assert len(deltas) > 1 and all(d["node_id"] == "ai" for d in deltas)
    assert "".join(d["text"] for d in deltas) == TEXT
    # Deltas come before the step's end; the output and usage are as without streaming.
    kinds = [k for k, d in seen if d.get("node_id") == "ai"]
    assert kinds.index("step.finished") > max(i for i, k in enumerate(kinds) if k == "step.delta")
    assert result[0]["text"] == TEXT
    assert result[0]["usage"] == {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}
    assert server.requests[-1].json["stream"] is True


async def test_ai_chat_does_not_stream_when_nobody_follows(server: OpenAIServer) -> None:
    server.script(Reply(text=TEXT))
    seen, result = await run_chat(server, lambda _id: False)
    assert not [k for k, _ in seen if k == "step.delta"]
    assert "stream" not in server.requests[-1].json and result[0]["text"] == TEXT
    # stream: true streams anyway (nobody hears it here); false never does.
    server.script(Reply(text=TEXT))
    await run_chat(server, lambda _id: False, stream=True)
    assert server.requests[-1].json["stream"] is True
    server.script(Reply(text=TEXT))
    seen, _ = await run_chat(server, lambda _id: True, stream=False)
    assert "stream" not in server.requests[-1].json
    assert not [k for k, _ in seen if k == "step.delta"]
