"""Retrieval end to end with embeddings from the ``openai`` model provider: documents
loaded, split, embedded in batches through the local OpenAI server (with word-based
embeddings, embeddings_server.py), stored in the embedded store, then questions embedded
and answered with the right passage as context."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wirework.integrations.qdrant  # noqa: F401 - its store (entry points may predate it)
from tests.integrations.openai.server import Fail
from tests.nodes.ai.retrieval.embeddings_server import WordsOpenAIServer, bag_of_words
from tests.nodes.ai.retrieval.fixtures import HTML, make_pdf
from tests.nodes.ai.retrieval.test_runs import out, run
from wirework.engine.executor import Hooks
from wirework.sdk.outbound import IntegrationCredentials
from wirework.testing import allow_loopback

KEY = "sk-rag-test-secret-77"


@pytest.fixture
def embeddings() -> Iterator[WordsOpenAIServer]:
    with allow_loopback(), WordsOpenAIServer() as server:
        yield server


def hooks_for(server: WordsOpenAIServer, tmp_path: Path) -> Hooks:
    values = IntegrationCredentials(
        {"base_url": f"{server.url}/v1", "api_key": KEY},
        integration_id=3,
        name="local openai",
        secret_fields={"api_key"},
        integration_type="openai",
    )

    async def lookup(integration_id: int) -> dict[str, Any]:
        assert integration_id == 3
        return values

    return Hooks(credentials=lookup, storage_dir=tmp_path)


async def test_rag_round_trip(embeddings: WordsOpenAIServer, tmp_path: Path) -> None:
    hooks = hooks_for(embeddings, tmp_path)
    pdf = make_pdf(
        [
            "Shipping takes three to five working days within the country.",
            "Passwords can be reset from the login page with your email address.",
        ],
        title="FAQ",
    )
    files = [
        {"f": {"data": base64.b64encode(pdf).decode(), "filename": "faq.pdf"}},
        {"f": {"data": base64.b64encode(HTML).decode(), "filename": "refunds.html"}},
    ]
    embedding = {"integration_id": 3, "model": "text-embedding-3-small", "batch_size": 2}
    store = {"collection": "support"}
    r = await run(
        [
            {"id": "load", "type": "ai.load_document", "params": {"binary_field": "f"}},
            {
                "id": "split",
                "type": "ai.split_text",
                "params": {"chunk_size": 200, "chunk_overlap": 0},
            },
            {"id": "ins", "type": "ai.vector_insert", "params": {"store": store, **embedding}},
        ],
        files,
        hooks,
    )
    stored = out(r, "ins")
    assert len(stored) == 3  # two PDF pages, one HTML chunk
    calls = [r.json for r in embeddings.requests]
    assert [len(c["input"]) for c in calls] == [2, 1]  # batches of batch_size
    assert calls[0]["model"] == "text-embedding-3-small"
    assert calls[0]["input"][0].startswith("Shipping takes")
    assert all(r.headers.get("authorization") == f"Bearer {KEY}" for r in embeddings.requests)

    search = {
        "id": "q",
        "type": "ai.vector_search",
        "params": {"store": store, **embedding, "query": "{{ json.question }}", "k": 1},
    }
    r = await run(
        [search],
        [
            {"question": "Can passwords be reset?"},
            {"question": "How many working days does shipping take?"},
        ],
        hooks,
    )
    answers = out(r, "q")
    assert [a["hits"][0]["metadata"]["page"] for a in answers] == [2, 1]
    assert answers[0]["context"].startswith("[1] (faq.pdf, page 2; score ")
    assert "Passwords can be reset" in answers[0]["context"]
    # Both questions in one embedding request.
    assert embeddings.requests[-1].json["input"] == [
        "Can passwords be reset?",
        "How many working days does shipping take?",
    ]
    # Scores are the cosine of the server's vectors.
    hit = answers[0]["hits"][0]
    q, d = bag_of_words("Can passwords be reset?"), bag_of_words(hit["text"])
    assert abs(hit["score"] - sum(a * b for a, b in zip(q, d, strict=True))) < 1e-5
    assert KEY not in str(r.outputs)


async def test_provider_errors_and_empty_texts(
    embeddings: WordsOpenAIServer, tmp_path: Path
) -> None:
    hooks = hooks_for(embeddings, tmp_path)
    embeddings.script(Fail(400, "This model does not support embeddings"))
    insert = {
        "id": "ins",
        "type": "ai.vector_insert",
        "params": {"integration_id": 3, "model": "gpt-chat-only"},
    }
    r = await run([insert], [{"text": "hello"}], hooks)
    assert r.record.status == "error"
    assert "This model does not support embeddings" in r.record.error["message"]
    assert KEY not in str(r.record.error)
    r = await run([insert], [{"text": "  "}], hooks)
    assert r.record.error["message"] == "item 0: no text to embed in 'text'"


async def test_a_store_integration_of_the_wrong_type_is_refused(
    embeddings: WordsOpenAIServer, tmp_path: Path
) -> None:
    hooks = hooks_for(embeddings, tmp_path)
    insert = {
        "id": "ins",
        "type": "ai.vector_insert",
        "params": {
            "vector_field": "v",
            "store": {"kind": "qdrant", "integration_id": 3, "collection": "kb"},
        },
    }
    r = await run([insert], [{"text": "x", "v": [1.0]}], hooks)
    assert r.record.error["message"] == (
        "params.store.integration_id: integration 3 is of type openai; the qdrant store "
        "needs a qdrant integration"
    )
