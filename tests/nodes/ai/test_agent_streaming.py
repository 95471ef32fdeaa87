"""``ai.agent`` streaming its model calls (``stream`` param, as ``ai.chat``'s): against the local
OpenAI-compatible and Anthropic servers, a tool-call turn then an answer — only the answer's
text arrives as ``step.delta`` events, and the recorded execution (output, model and tool
call parts, usage and cost) is the same as without streaming. A provider whose stream ends
without its final message fails the call clearly, as retryable."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import wirework.integrations.anthropic
import wirework.integrations.openai  # noqa: F401 - register the providers
from tests.integrations.anthropic.server import AnthropicServer
from tests.integrations.fakes import Answer, FakeServer, Request, serving
from tests.integrations.model_server import ModelServer
from tests.integrations.openai.server import OpenAIServer, Reply
from wirework.engine.executor import ExecutionRun, Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore, StepRecord
from wirework.engine.usage import UsageRow
from wirework.sdk.ai import (
    ChatDelta,
    ChatRequest,
    ChatResult,
    Message,
    ModelProvider,
    ModelUsage,
    Role,
    Usage,
    register_provider,
)
from wirework.sdk.outbound import IntegrationCredentials
from wirework.testing.harness import allow_loopback

KEY = "sk-agent-stream-secret-31"
ANSWER = "Item 7 is a blue teapot, in stock."
VENDORS = {"openai": OpenAIServer, "anthropic": AnthropicServer}


class Shop(FakeServer):
    """The HTTP tool's service: one item."""

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", r"/items/(?P<id>[^/]+)", self._item)

    def _item(self, request: Request, id: str) -> Answer:
        return Answer(200, {"id": id, "name": "teapot", "colour": "blue", "stock": 3})


@pytest.fixture
def shop() -> Iterator[Shop]:
    with allow_loopback(), serving(Shop()) as fake:
        assert isinstance(fake, Shop)
        yield fake


@pytest.fixture(params=sorted(VENDORS))
def models(request: pytest.FixtureRequest) -> Iterator[tuple[str, ModelServer]]:
    with allow_loopback(), VENDORS[request.param]() as server:
        yield request.param, server


def agent_doc(shop: Shop, **params: Any) -> dict[str, Any]:
    tool = {
        "kind": "http",
        "name": "get_item",
        "method": "GET",
        "url": shop.url + "/items/{{ args.id }}",
        "parameters": {
            "type": "object",
            "properties": {"id": {"type": "string"}},
            "required": ["id"],
        },
    }
    return {
        "name": "agent",
        "nodes": [
            {"id": "in", "type": "core.manual"},
            {
                "id": "agent",
                "type": "ai.agent",
                "params": {
                    "integration_id": 1,
                    "model": "m-test",
                    "prompt": "What is item {{ json.id }}?",
                    "tools": [tool],
                    **params,
                },
            },
        ],
        "connections": [{"from": "in", "to": "agent"}],
    }


async def _price(usage: ModelUsage) -> int:
    return usage.input_tokens * 1000 + usage.output_tokens * 3000  # billionths


async def run(
    doc: dict[str, Any], kind: str, base_url: str, *, listening: bool
) -> tuple[ExecutionRun, MemoryStore, list[dict[str, Any]]]:
    """Run ``doc`` (credentials of type ``kind`` at ``base_url``); the run, its store, and
    the step.delta events it published."""
    values = IntegrationCredentials(
        {"base_url": base_url, "api_key": KEY},
        integration_id=1,
        name="models",
        secret_fields={"api_key"},
        integration_type=kind,
    )

    async def lookup(integration_id: int) -> dict[str, Any]:
        return values

    events: list[dict[str, Any]] = []
    hooks = Hooks(
        credentials=lookup,
        on_event=lambda k, d: events.append(d) if k == "step.delta" else None,
        listening=lambda _id: listening,
        price_usage=_price,
    )
    store = MemoryStore()
    started = await Runner(store, hooks=hooks).execute(compile_graph(doc), input_items=[{"id": 7}])
    await started.wait()
    return started.run, store, events


def base_url(kind: str, server: ModelServer) -> str:
    return server.url + ("/v1" if kind == "openai" else "")


def usage(rows: list[UsageRow]) -> list[tuple[Any, ...]]:
    return [(r.node_id, r.calls, r.input_tokens, r.output_tokens, r.cost_nanos) for r in rows]


def comparable(steps: list[StepRecord]) -> list[dict[str, Any]]:
    """Step records without what differs between two runs (ids, times)."""
    out = []
    for step in sorted(steps, key=lambda s: (s.node_id, s.attempt)):
        row = dataclasses.asdict(step)
        for moving in ("execution_id", "started_at", "finished_at"):
            row.pop(moving)
        out.append(row)
    return out


async def test_a_tool_call_turn_then_the_answer_streamed_recorded_as_without(
    models: tuple[str, ModelServer], shop: Shop
) -> None:
    kind, server = models
    turns = (Reply(tool_calls=[("get_item", {"id": "7"})], input_tokens=20), Reply(text=ANSWER))
    doc = agent_doc(shop)

    server.script(*turns)
    plain, plain_store, quiet = await run(doc, kind, base_url(kind, server), listening=False)
    assert plain.record.status == "success", plain.record.error
    assert quiet == [] and not any(r.json.get("stream") for r in server.requests)

    del server.requests[:]
    server.script(*turns)
    streamed, store, deltas = await run(doc, kind, base_url(kind, server), listening=True)
    assert streamed.record.status == "success", streamed.record.error
    # Both model calls streamed; the tool-call turn had no text, the answer came in pieces.
    assert [r.json.get("stream") for r in server.requests] == [True, True]
    assert len(deltas) > 3 and {d["node_id"] for d in deltas} == {"agent"}
    assert "".join(d["text"] for d in deltas) == ANSWER
    assert all(d["execution_id"] == streamed.record.id for d in deltas)
    assert not any("child_execution_id" in d for d in deltas)

    # The tool call went through, with the arguments assembled from the stream.
    assert [r.path for r in shop.requests] == ["/items/7", "/items/7"]
    item = streamed.outputs["agent"]["main"][0]
    assert item["text"] == ANSWER and item["steps"] == 2
    assert item["tool_calls"] == [{"name": "get_item", "arguments": {"id": "7"}, "ok": True}]
    assert item["usage"] == {"input_tokens": 31, "output_tokens": 14, "total_tokens": 45}
    assert item["cost"] == pytest.approx((31 * 1000 + 14 * 3000) / 1e9)

    # Recorded exactly as without streaming: the agent's step, its model and tool call
    # parts (answers, usage, cost), and the usage rows.
    steps = await store.load_steps(streamed.record.id)
    assert sorted(s.node_id for s in steps) == [
        "agent",
        "agent/model#1",
        "agent/model#2",
        "agent/tool:get_item#1",
        "in",
    ]
    assert comparable(steps) == comparable(await plain_store.load_steps(plain.record.id))
    model1 = next(s for s in steps if s.node_id == "agent/model#1").output
    assert model1 is not None
    assert model1["main"][0]["answer"]["tool_calls"][0]["arguments"] == {"id": "7"}
    assert usage(store.usage_rows) == usage(plain_store.usage_rows) != []
    assert KEY not in server.bodies()


async def test_the_stream_param_as_ai_chat_s(shop: Shop) -> None:
    with allow_loopback(), OpenAIServer() as server:
        url = base_url("openai", server)
        # false: never, even while someone follows.
        server.script(Reply(text=ANSWER))
        run_, _, deltas = await run(agent_doc(shop, stream=False), "openai", url, listening=True)
        assert run_.record.status == "success", run_.record.error
        assert deltas == [] and "stream" not in server.requests[-1].json
        # true: always, even when nobody follows (nothing is published then).
        server.script(Reply(text=ANSWER))
        run_, _, deltas = await run(agent_doc(shop, stream=True), "openai", url, listening=False)
        assert run_.outputs["agent"]["main"][0]["text"] == ANSWER
        assert deltas == [] and server.requests[-1].json["stream"] is True


# A provider of a plugin whose stream may end without its final message (the result).
CUT = "test_cut_stream"


class CutStream(ModelProvider):
    name = "cut"
    streams = 0

    async def chat(self, request: ChatRequest) -> ChatResult:
        return ChatResult(
            message=Message(role=Role.ASSISTANT, content="whole"),
            model="cut-1",
            usage=Usage(input_tokens=2, output_tokens=1),
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[ChatDelta]:
        CutStream.streams += 1
        yield ChatDelta(text="who")
        if CutStream.streams > 1:  # the first one ends early
            yield ChatDelta(text="le", result=await self.chat(request))


register_provider(CUT)(lambda credentials: CutStream())


async def test_a_stream_without_its_final_message_is_a_clear_retryable_error() -> None:
    CutStream.streams = 0
    doc = {
        "name": "cut",
        "nodes": [
            {"id": "in", "type": "core.manual"},
            {
                "id": "agent",
                "type": "ai.agent",
                "params": {"integration_id": 1, "model": "cut-1", "prompt": "hi"},
                "retry": {"max_attempts": 2, "backoff_s": 0},
            },
        ],
        "connections": [{"from": "in", "to": "agent"}],
    }
    run_, store, deltas = await run(doc, CUT, "http://127.0.0.1:9", listening=True)
    assert run_.record.status == "success", run_.record.error
    assert run_.outputs["agent"]["main"][0]["text"] == "whole"
    steps = {(s.node_id, s.attempt): s for s in await store.load_steps(run_.record.id)}
    failed = steps[("agent", 1)]
    assert failed.status == "error" and failed.error is not None
    assert failed.error["message"] == (
        "node 'agent': cut: the streamed answer ended without its final message"
    )
    assert steps[("agent", 2)].status == "success"
    assert "".join(d["text"] for d in deltas) == "who" + "whole"
