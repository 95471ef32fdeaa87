"""The qdrant integration against a local Qdrant (server.py): the vector store contract,
the requests it sends (api-key header, UUID point ids, filters), errors in Qdrant's words,
its actions and connection test, and the conformance suite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import wirework.integrations.qdrant  # noqa: F401 - registers the integration
from tests.integrations.fakes import serving
from tests.integrations.qdrant.server import FakeQdrant, error
from tests.nodes.ai.retrieval.stores.contract import round_trip, unit
from wirework.engine.executor import Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore
from wirework.integrations.qdrant.store import QdrantStore, point_id
from wirework.sdk.ai.vectors import VectorRecord
from wirework.sdk.integration import close_pools
from wirework.sdk.node import NodeError
from wirework.sdk.outbound import IntegrationCredentials
from wirework.sdk.registry import registry
from wirework.testing import (
    allow_loopback,
    check_errors_mapped,
    check_idempotency,
    check_metadata,
    check_schemas,
    check_secrets_masked,
    run_action,
)

KEY = "qdrant-secret-key-1234"


@pytest.fixture
def qdrant() -> Iterator[FakeQdrant]:
    with allow_loopback(), serving(FakeQdrant(api_key=KEY)) as fake:
        yield fake


def credentials(fake: FakeQdrant, key: str = KEY) -> IntegrationCredentials:
    return IntegrationCredentials(
        {"url": fake.url, "api_key": key},
        integration_id=7,
        name="local qdrant",
        secret_fields={"api_key"},
    )


class _Ctx:
    """What the store uses of a step's context when opened outside a run."""

    def add_secrets(self, values: Any) -> None:
        pass

    async def save_tokens(self, integration_id: int, tokens: dict[str, Any]) -> None:
        pass


@pytest.fixture
async def store(qdrant: FakeQdrant) -> AsyncIterator[QdrantStore]:
    s = QdrantStore(_Ctx(), credentials(qdrant), 7)  # type: ignore[arg-type]
    yield s
    await s.aclose()
    await close_pools()


async def test_round_trip(store: QdrantStore, qdrant: FakeQdrant) -> None:
    await round_trip(store, "docs")
    assert all(r.headers.get("api-key") == KEY for r in qdrant.requests)
    [create] = qdrant.seen("PUT", "/collections/docs")
    assert create.json() == {"vectors": {"size": 3, "distance": "Cosine"}}
    upserts = qdrant.seen("PUT", "/collections/docs/points")
    assert upserts[0].query == {"wait": "true"}
    first = upserts[0].json()["points"][0]
    assert first["id"] == point_id("a")
    assert first["payload"] == {
        "id": "a",
        "text": "alpha",
        "metadata": {"lang": "en", "n": 1, "ok": True},
    }
    queries = [r.json() for r in qdrant.seen("POST", "/collections/docs/points/query")]
    assert {"key": "metadata.lang", "match": {"value": "en"}} in queries[2]["filter"]["must"]


async def test_float_filters_use_a_range_and_null_is_empty(store: QdrantStore) -> None:
    await store.upsert(
        "m",
        [
            VectorRecord("x", unit(0), "x", {"w": 0.5}),
            VectorRecord("y", unit(5), "y", {"w": 1}),
        ],
    )
    assert [h.id for h in await store.search("m", unit(0), 5, {"w": 0.5})] == ["x"]
    assert [h.id for h in await store.search("m", unit(0), 5, {"w": 1.0})] == ["y"]
    assert [h.id for h in await store.search("m", unit(0), 5, {"v": None})] == ["x", "y"]
    await store.delete("m", ids=["x"], where={"w": 0.5})
    assert [h.id for h in await store.search("m", unit(0), 5)] == ["y"]


async def test_errors_name_qdrant_and_hide_the_key(qdrant: FakeQdrant) -> None:
    bad = QdrantStore(_Ctx(), credentials(qdrant, key="wrong-key-5678"), 7)  # type: ignore[arg-type]
    with pytest.raises(NodeError) as caught:
        await bad.upsert("docs", [VectorRecord("a", unit(0), "a", {})])
    assert "Qdrant" in caught.value.message
    assert "401" in caught.value.message
    assert "Must provide an API key" in caught.value.message
    assert "wrong-key-5678" not in caught.value.message
    await close_pools()


async def test_actions_and_connection_test(qdrant: FakeQdrant) -> None:
    qdrant.collections["support_docs"] = {"size": 3, "points": {}}
    values = {"url": qdrant.url, "api_key": KEY}
    listed = await run_action("qdrant.list_collections", {}, values, secret_fields={"api_key"})
    assert listed.outputs["n"]["main"] == [{"name": "support_docs"}]
    deleted = await run_action("qdrant.delete_collection", {"collection": "support_docs"}, values)
    assert deleted.outputs["n"]["main"] == [{"collection": "support_docs", "deleted": True}]
    assert qdrant.collections == {}
    tester = registry.tester("qdrant")
    assert tester is not None
    ok, message = await tester(values)
    assert ok, message
    assert "0 collections" in message
    await close_pools()


async def test_vector_nodes_with_the_qdrant_store(qdrant: FakeQdrant) -> None:
    """ai.vector_insert and ai.vector_search through the engine with a qdrant integration."""
    values = credentials(qdrant)

    async def lookup(integration_id: int) -> dict[str, Any]:
        assert integration_id == 7
        return values

    store = {"kind": "qdrant", "integration_id": 7, "collection": "kb"}
    doc = {
        "name": "t",
        "nodes": [
            {"id": "in", "type": "core.manual"},
            {
                "id": "ins",
                "type": "ai.vector_insert",
                "params": {"store": store, "vector_field": "v", "id_field": "key"},
            },
            {
                "id": "q",
                "type": "ai.vector_search",
                "params": {
                    "store": store,
                    "query_vector_field": "v",
                    "k": 1,
                    "output": "hits",
                },
            },
        ],
        "connections": [{"from": "in", "to": "ins"}, {"from": "ins", "to": "q"}],
    }
    items = [
        {"key": "k1", "text": "one", "metadata": {"t": 1}, "v": unit(0)},
        {"key": "k2", "text": "two", "metadata": {"t": 2}, "v": unit(90)},
    ]
    runner = Runner(MemoryStore(), hooks=Hooks(credentials=lookup))
    started = await runner.execute(compile_graph(doc), input_items=items)
    await started.wait()
    run = started.run
    assert run.record.status == "success", run.record.error
    assert [h["id"] for h in run.outputs["q"]["main"]] == ["k1", "k2"]
    assert set(qdrant.collections["kb"]["points"]) == {point_id("k1"), point_id("k2")}
    await close_pools()


def test_metadata_and_schemas() -> None:
    assert [str(p) for p in check_metadata("qdrant") + check_schemas("qdrant")] == []


async def test_conformance_errors_idempotency_secrets() -> None:
    problems = (
        await check_errors_mapped("qdrant")
        + await check_idempotency("qdrant")
        + await check_secrets_masked("qdrant")
    )
    assert [str(p) for p in problems] == []


async def test_a_collection_made_meanwhile_is_used(store: QdrantStore, qdrant: FakeQdrant) -> None:
    """Another step creates the collection between our look (404) and our create (409)."""
    qdrant.collections["race"] = {"size": 3, "points": {}}
    qdrant.inject(error(404, "Not found: Collection `race` doesn't exist!"))
    await store.upsert("race", [VectorRecord("a", unit(0), "a", {})])
    assert [r.method for r in qdrant.requests] == ["GET", "PUT", "GET", "PUT"]
    assert len(qdrant.collections["race"]["points"]) == 1
