"""The ai.* nodes in real workflows run by the engine, against the local OpenAI-compatible
server (and the Anthropic one for a provider switch): what they send, and what they emit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import wirework.integrations.anthropic
import wirework.integrations.openai  # noqa: F401
from tests.integrations.anthropic.server import AnthropicServer
from tests.integrations.openai.server import OpenAIServer, Reply, vector_of
from wirework.engine.executor import ExecutionRun, Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore
from wirework.nodes.ai.summarize import chunks
from wirework.sdk.outbound import IntegrationCredentials
from wirework.testing.harness import allow_loopback

KEY = "sk-node-test-secret-99"


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with allow_loopback(), OpenAIServer() as found:
        yield found


async def run(
    server: Any, node: dict[str, Any], items: list[dict[str, Any]], kind: str = "openai"
) -> ExecutionRun:
    base = server.url + ("/v1" if kind == "openai" else "")
    values = IntegrationCredentials(
        {"base_url": base, "api_key": KEY},
        integration_id=1,
        name="models",
        secret_fields={"api_key"},
        integration_type=kind,
    )

    async def lookup(integration_id: int) -> dict[str, Any]:
        return values

    doc = {
        "name": "ai",
        "nodes": [{"id": "in", "type": "core.manual"}, {"id": "ai", **node}],
        "connections": [{"from": "in", "to": "ai"}],
    }
    runner = Runner(MemoryStore(), hooks=Hooks(credentials=lookup))
    started = await runner.execute(compile_graph(doc), input_items=items)
    await started.wait()
    return started.run


def model(**params: Any) -> dict[str, Any]:
    return {"integration_id": 1, "model": "gpt-test", **params}


async def test_chat_per_item_with_history_and_expressions(server: OpenAIServer) -> None:
    server.script(Reply(text="first"), Reply(text="second"))
    r = await run(
        server,
        {
            "type": "ai.chat",
            "params": model(
                system="You are terse.",
                prompt="Answer {{ json.q }}",
                history="{{ json.history }}",
                temperature=0.1,
            ),
        },
        [
            {
                "q": "one",
                "history": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "yo"},
                ],
            },
            {"q": "two", "history": []},
        ],
    )
    assert r.record.status == "success", r.record.error
    out = r.outputs["ai"]["main"]
    assert [o["text"] for o in out] == ["first", "second"]
    assert out[0]["usage"] == {"input_tokens": 11, "output_tokens": 7, "total_tokens": 18}
    assert out[0]["finish_reason"] == "stop" and out[0]["model"] == "gpt-test"
    first = server.requests[0].json
    assert [m["content"] for m in first["messages"]] == ["You are terse.", "hi", "yo", "Answer one"]
    assert first["temperature"] == 0.1
    assert KEY not in server.bodies()


async def test_chat_needs_a_model_provider(server: OpenAIServer) -> None:
    r = await run(server, {"type": "ai.chat", "params": model(prompt="x")}, [{}], kind="jira")
    assert r.record.status == "error"
    assert "not a model provider" in r.record.error["message"]


async def test_chat_on_anthropic() -> None:
    with allow_loopback(), AnthropicServer() as server:
        r = await run(
            server,
            {"type": "ai.chat", "params": model(system="s", prompt="p", model="claude-test-1")},
            [{}],
            kind="anthropic",
        )
    assert r.record.status == "success", r.record.error
    assert r.outputs["ai"]["main"][0]["text"] == "ok"
    assert server.requests[0].json["system"] == "s"


SCHEMA = {
    "type": "object",
    "properties": {"sentiment": {"enum": ["positive", "negative"]}, "score": {"type": "number"}},
    "required": ["sentiment", "score"],
}


async def test_structured_output_repairs_an_invalid_answer(server: OpenAIServer) -> None:
    server.script(
        Reply(text="I think it is positive"),
        Reply(text='{"sentiment": "great", "score": 1}'),
        Reply(text='```json\n{"sentiment": "positive", "score": 0.9}\n```'),
    )
    r = await run(
        server,
        {
            "type": "ai.structured_output",
            "params": model(prompt="{{ json.review }}", json_schema=SCHEMA, attempts=3),
        },
        [{"review": "Loved it"}],
    )
    assert r.record.status == "success", r.record.error
    assert r.outputs["ai"]["main"] == [{"sentiment": "positive", "score": 0.9}]
    assert len(server.requests) == 3
    second = server.requests[1].json["messages"]
    assert second[-2] == {"role": "assistant", "content": "I think it is positive"}
    assert "not JSON" in second[-1]["content"]
    third = server.requests[2].json["messages"][-1]["content"]
    assert "at /sentiment" in third and "'great' is not one of" in third
    assert server.requests[0].json["response_format"]["json_schema"]["schema"] == SCHEMA


async def test_structured_output_fails_clearly_when_never_valid(server: OpenAIServer) -> None:
    server.script(Reply(text='{"score": 2}'), Reply(text='{"score": 3}'))
    r = await run(
        server,
        {
            "type": "ai.structured_output",
            "params": model(prompt="x", json_schema=SCHEMA, attempts=2, output_field="result"),
        },
        [{}],
    )
    assert r.record.status == "error"
    message = r.record.error["message"]
    assert "did not follow the JSON Schema after 2 attempts" in message
    assert "'sentiment' is a required property" in message
    assert len(server.requests) == 2


async def test_structured_output_refuses_a_bad_schema(server: OpenAIServer) -> None:
    r = await run(
        server,
        {"type": "ai.structured_output", "params": model(prompt="x", json_schema={"type": 5})},
        [{}],
    )
    assert r.record.status == "error"
    assert "json_schema: is not a valid JSON Schema at type:" in r.record.error["message"]
    assert server.requests == []


async def test_classify_routes_items_by_label(server: OpenAIServer) -> None:
    server.script(
        Reply(text='{"label": "billing"}'),
        Reply(text='{"label": "bug"}'),
        Reply(text='{"label": null}'),
        Reply(text='{"label": "refund"}'),  # not a label: asked again
        Reply(text='{"label": "billing"}'),
    )
    labels = [
        {"label": "billing", "description": "invoices, payments"},
        {"label": "bug", "description": "something broken"},
    ]
    r = await run(
        server,
        {
            "type": "ai.classify",
            "params": model(text="{{ json.body }}", labels=labels, fallback="other"),
        },
        [{"body": "invoice wrong"}, {"body": "crash"}, {"body": "hello"}, {"body": "money back"}],
    )
    assert r.record.status == "success", r.record.error
    outputs = r.outputs["ai"]
    assert [i["body"] for i in outputs["billing"]] == ["invoice wrong", "money back"]
    assert [i["body"] for i in outputs["bug"]] == ["crash"]
    assert [i["body"] for i in outputs["other"]] == ["hello"]
    assert outputs["bug"][0]["classification"] == {"labels": ["bug"]}
    system = server.requests[0].json["messages"][0]["content"]
    assert "- billing: invoices, payments" in system


async def test_classify_multi_label(server: OpenAIServer) -> None:
    server.script(Reply(text='{"labels": ["a", "b"]}'))
    r = await run(
        server,
        {
            "type": "ai.classify",
            "params": model(text="t", labels=[{"label": "a"}, {"label": "b"}], multi_label=True),
        },
        [{"n": 1}],
    )
    assert r.record.status == "success", r.record.error
    assert (
        r.outputs["ai"]["a"]
        == r.outputs["ai"]["b"]
        == [{"n": 1, "classification": {"labels": ["a", "b"]}}]
    )


async def test_extract_fields(server: OpenAIServer) -> None:
    server.script(Reply(text='{"name": "Ada", "age": 36, "email": null}'))
    r = await run(
        server,
        {
            "type": "ai.extract",
            "params": model(
                text="{{ json.mail }}",
                fields=[
                    {"name": "name", "required": True, "description": "who wrote"},
                    {"name": "age", "type": "integer"},
                    {"name": "email"},
                ],
                output_field="contact",
            ),
        },
        [{"mail": "I'm Ada, 36."}],
    )
    assert r.record.status == "success", r.record.error
    assert r.outputs["ai"]["main"] == [
        {"mail": "I'm Ada, 36.", "contact": {"name": "Ada", "age": 36, "email": None}}
    ]
    schema = server.requests[0].json["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["age"]["type"] == ["integer", "null"]
    assert schema["properties"]["name"]["type"] == "string"
    assert server.requests[0].json["messages"][1]["content"] == "I'm Ada, 36."


def test_chunks_overlap_and_break_at_sentences() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(200))
    parts = chunks(text, 500, 50)
    assert all(len(p) <= 500 for p in parts) and len(parts) > 5
    assert all(p.endswith(".") for p in parts[:-1])
    assert parts[1][:20] in parts[0]  # overlap: the next chunk starts inside the previous
    assert chunks("short", 500, 50) == ["short"] and chunks("  ", 500, 50) == []


async def test_summarize_map_reduce(server: OpenAIServer) -> None:
    text = "\n\n".join(f"Paragraph {i}: " + "words " * 80 for i in range(6))
    r = await run(
        server,
        {
            "type": "ai.summarize",
            "params": model(text="{{ json.doc }}", chunk_chars=1200, overlap_chars=100),
        },
        [{"doc": text}],
    )
    assert r.record.status == "success", r.record.error
    item = r.outputs["ai"]["main"][0]
    assert item["chunks"] == len(chunks(text, 1200, 100)) > 1
    assert item["model_calls"] == item["chunks"] + 1  # each chunk, then the summaries together
    assert item["summary"] == "ok"
    assert item["usage"]["input_tokens"] == 11 * item["model_calls"]
    last = server.requests[-1].json["messages"]
    assert "Combine these summaries" in last[0]["content"]


async def test_summarize_refine(server: OpenAIServer) -> None:
    server.script(Reply(text="S1"), Reply(text="S2"), Reply(text="S3"))
    text = "A" * 900 + "\n\n" + "B" * 900 + "\n\n" + "C" * 900
    r = await run(
        server,
        {
            "type": "ai.summarize",
            "params": model(text=text, chunk_chars=1000, overlap_chars=0, method="refine"),
        },
        [{}],
    )
    assert r.record.status == "success", r.record.error
    assert r.outputs["ai"]["main"][0]["summary"] == "S3"
    assert "Summary so far:\nS2" in server.requests[-1].json["messages"][1]["content"]


async def test_embed_in_batches(server: OpenAIServer) -> None:
    items = [{"t": f"text {i}"} for i in range(5)]
    r = await run(
        server,
        {
            "type": "ai.embed",
            "params": {
                "integration_id": 1,
                "model": "emb",
                "text": "{{ json.t }}",
                "batch_size": 2,
                "field": "vec",
            },
        },
        items,
    )
    assert r.record.status == "success", r.record.error
    out = r.outputs["ai"]["main"]
    assert [o["vec"] for o in out] == [vector_of(f"text {i}") for i in range(5)]
    assert [len(rq.json["input"]) for rq in server.requests] == [2, 2, 1]
    assert json.dumps(out).count(KEY) == 0
