"""Retrieval end to end with embeddings from a model provider: documents loaded, split,
embedded in batches through a local OpenAI-compatible /v1/embeddings server, stored in the
embedded store, then a question embedded and answered with the right passage as context.

(When the shared fake OpenAI server and the ``openai`` provider are merged, this test moves
to them: see embeddings_server.py.)"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integrations.fakes import serving
from tests.nodes.ai_retrieval.embeddings_server import (
    PROVIDER_TYPE,
    FakeEmbeddings,
    embed,
)
from tests.nodes.ai_retrieval.fixtures import HTML, make_pdf
from tests.nodes.ai_retrieval.test_runs import out, run
from wirework.engine.executor import Hooks
from wirework.sdk.outbound import IntegrationCredentials
from wirework.testing import allow_loopback

KEY = "sk-local-embeddings-secret"


@pytest.fixture
def embeddings() -> Iterator[FakeEmbeddings]:
    with allow_loopback(), serving(FakeEmbeddings(KEY)) as fake:
        yield fake


def hooks_for(fake: FakeEmbeddings, tmp_path: Path) -> Hooks:
    values = IntegrationCredentials(
        {"base_url": f"{fake.url}/v1", "api_key": KEY},
        integration_id=3,
        name="local embeddings",
        secret_fields={"api_key"},
    )
    values.integration_type = PROVIDER_TYPE  # type: ignore[attr-defined]

    async def lookup(integration_id: int) -> dict[str, Any]:
        assert integration_id == 3
        return values

    return Hooks(credentials=lookup, storage_dir=tmp_path)


async def test_rag_round_trip(embeddings: FakeEmbeddings, tmp_path: Path) -> None:
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
    calls = embeddings.seen("POST", "/v1/embeddings")
    assert [len(c.json()["input"]) for c in calls] == [2, 1]  # batches of batch_size
    assert calls[0].json()["model"] == "text-embedding-3-small"
    assert calls[0].json()["input"][0].startswith("Shipping takes")

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
    assert embeddings.seen("POST", "/v1/embeddings")[-1].json()["input"] == [
        "Can passwords be reset?",
        "How many working days does shipping take?",
    ]
    # Scores are the cosine of the server's vectors.
    hit = answers[0]["hits"][0]
    q, d = embed("Can passwords be reset?"), embed(hit["text"])
    assert abs(hit["score"] - sum(a * b for a, b in zip(q, d, strict=True))) < 1e-5
    assert KEY not in str(r.outputs)


async def test_provider_errors_and_wrong_integration(
    embeddings: FakeEmbeddings, tmp_path: Path
) -> None:
    hooks = hooks_for(embeddings, tmp_path)
    embeddings.api_key = "another-key"
    insert = {
        "id": "ins",
        "type": "ai.vector_insert",
        "params": {"integration_id": 3, "model": "m"},
    }
    r = await run([insert], [{"text": "hello"}], hooks)
    assert r.record.error["message"] == "openai: HTTP 401"
    r = await run([insert], [{"text": "  "}], hooks)
    assert r.record.error["message"] == "item 0: no text to embed in 'text'"
