"""The local_embeddings model provider: WordLlama's bundled model in this process (the
local-embeddings extra is a test dependency). A retrieval round trip on the embedded store
with no model server at all; the model loads from its package inside a network namespace
with no network; clear errors for chat, unknown models and bad settings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.nodes.ai.retrieval.test_runs import out, run
from wirework.engine.executor import Hooks
from wirework.integrations.local_embeddings import LOCAL_EMBEDDINGS, MODEL
from wirework.sdk.ai import ChatRequest, Message, provider_of_credentials
from wirework.sdk.node import NodeError
from wirework.sdk.outbound import IntegrationCredentials
from wirework.sdk.registry import registry


def credentials(**values: Any) -> IntegrationCredentials:
    return IntegrationCredentials(
        values, integration_id=5, name="local", integration_type="local_embeddings"
    )


def hooks(tmp_path: Path, **values: Any) -> Hooks:
    async def lookup(integration_id: int) -> dict[str, Any]:
        assert integration_id == 5
        return credentials(**values)

    return Hooks(credentials=lookup, storage_dir=tmp_path)


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_vectors_are_unit_length_and_close_for_related_texts() -> None:
    provider = provider_of_credentials(credentials(), 5)
    result = await provider.embed(
        ["The cat sat on the mat", "A kitten sleeps on a rug", "Quarterly invoice totals"],
        MODEL,
    )
    cat, kitten, invoice = result.vectors
    assert len(cat) == 256 and result.model == MODEL
    assert abs(cosine(cat, cat) - 1) < 1e-4
    assert cosine(cat, kitten) > cosine(cat, invoice)
    assert result.usage.input_tokens > 10
    assert [m.id for m in await provider.list_models()] == [MODEL]


async def test_truncated_dimensions_stay_unit_length() -> None:
    provider = provider_of_credentials(credentials(dimensions=64), 5)
    (vector,) = (await provider.embed(["hello there"], MODEL)).vectors
    assert len(vector) == 64
    assert abs(cosine(vector, vector) - 1) < 1e-4


async def test_clear_errors() -> None:
    provider = provider_of_credentials(credentials(), 5)
    with pytest.raises(NodeError, match="one model, 'wordllama-l2-supercat', not 'gpt-4o'"):
        await provider.embed(["x"], "gpt-4o")
    with pytest.raises(NodeError, match="serve no chat models"):
        await provider.chat(ChatRequest(model=MODEL, messages=[Message(role="user", content="hi")]))
    with pytest.raises(NodeError, match="dimensions"):
        provider_of_credentials(credentials(dimensions=300), 5)


async def test_retrieval_round_trip_without_a_model_server(tmp_path: Path) -> None:
    embedding = {"integration_id": 5, "model": MODEL}
    store = {"collection": "faq"}
    passages = [
        {"text": "Shipping takes three to five working days within the country."},
        {"text": "Passwords can be reset from the login page with your email address."},
        {"text": "Refunds are paid back to the original card within thirty days."},
    ]
    r = await run(
        [{"id": "ins", "type": "ai.vector_insert", "params": {"store": store, **embedding}}],
        passages,
        hooks(tmp_path),
    )
    assert len(out(r, "ins")) == 3
    search = {
        "id": "q",
        "type": "ai.vector_search",
        "params": {"store": store, **embedding, "query": "{{ json.question }}", "k": 1},
    }
    r = await run(
        [search],
        [
            {"question": "How do I reset my password?"},
            {"question": "How long does shipping take?"},
            {"question": "When do I get my refund?"},
        ],
        hooks(tmp_path),
    )
    hits = [a["hits"][0]["text"] for a in out(r, "q")]
    assert hits == [p["text"] for p in (passages[1], passages[0], passages[2])]


async def test_connection_test_loads_the_model() -> None:
    tester = registry.tester(LOCAL_EMBEDDINGS.name)
    assert tester is not None
    assert await tester(credentials(dimensions=128)) == (
        True,
        f"{MODEL} loaded: 128-dimensional vectors",
    )


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_the_model_loads_with_no_network() -> None:
    """Nothing is downloaded: in a network namespace of its own (no interface but a down
    loopback) the model loads from the package and embeds."""
    code = (
        "import asyncio\n"
        "from wirework.integrations.local_embeddings.provider import MODEL, "
        "LocalEmbeddingsProvider\n"
        "r = asyncio.run(LocalEmbeddingsProvider().embed(['offline'], MODEL))\n"
        "print(len(r.vectors[0]))\n"
    )
    done = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0 and "unshare" in done.stderr and "not permitted" in done.stderr:
        pytest.skip("unshare -rn is not permitted here")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "256"


async def test_the_embed_action() -> None:
    from wirework.testing import run_action

    run = await run_action(
        "local_embeddings.embed", {"input": ["one text", "another text"]}, {"dimensions": 64}
    )
    assert run.record.status == "success", run.record.error
    (item,) = run.outputs["n"]["main"]
    assert item["model"] == MODEL
    assert [len(v) for v in item["embeddings"]] == [64, 64]
    assert item["usage"]["input_tokens"] >= 4


async def test_the_embed_action_refuses_too_many_texts() -> None:
    from wirework.testing import run_action

    run = await run_action("local_embeddings.embed", {"input": ["x"] * 2049}, {})
    assert run.record.status == "error"
    assert "at most 2048 items" in run.record.error["message"], run.record.error
