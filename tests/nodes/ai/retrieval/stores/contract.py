"""What every vector store must do, as one function per behaviour: run by the embedded
store's tests, Qdrant's (a local server) and pgvector's. Explicit vectors, no model."""

from __future__ import annotations

import math

import pytest

from wirework.sdk.ai.vectors import VectorRecord, VectorStore
from wirework.sdk.node import NodeError


def unit(angle_deg: float) -> list[float]:
    a = math.radians(angle_deg)
    return [math.cos(a), math.sin(a), 0.0]


RECORDS = [
    VectorRecord("a", unit(0), "alpha", {"lang": "en", "n": 1, "ok": True}),
    VectorRecord("b", unit(30), "beta", {"lang": "de", "n": 2, "ok": False}),
    VectorRecord("c", unit(60), "gamma", {"lang": "en", "n": 3}),
    VectorRecord("d", unit(120), "delta", {"lang": "en", "n": 4, "ok": True}),
]


async def round_trip(store: VectorStore, collection: str) -> None:
    """Insert, search ordered by cosine (scores), filters, upsert replaces, delete, drop."""
    await store.drop(collection)
    assert await store.search(collection, unit(0), 3) == []  # no collection yet: no hits
    assert await store.upsert(collection, RECORDS) == 4

    hits = await store.search(collection, unit(10), 3)
    assert [h.id for h in hits] == ["a", "b", "c"]
    assert [round(h.score, 4) for h in hits] == [
        round(math.cos(math.radians(d)), 4) for d in (10, 20, 50)
    ]
    assert hits[0].text == "alpha"
    assert hits[0].metadata == {"lang": "en", "n": 1, "ok": True}

    en = await store.search(collection, unit(10), 10, {"lang": "en"})
    assert [h.id for h in en] == ["a", "c", "d"]
    assert [h.id for h in await store.search(collection, unit(10), 10, {"n": 2})] == ["b"]
    assert [h.id for h in await store.search(collection, unit(10), 10, {"ok": True})] == [
        "a",
        "d",
    ]
    both = await store.search(collection, unit(10), 10, {"lang": "en", "ok": True})
    assert [h.id for h in both] == ["a", "d"]
    assert await store.search(collection, unit(10), 10, {"lang": "fr"}) == []

    # Upsert by id replaces text, metadata and vector.
    await store.upsert(collection, [VectorRecord("d", unit(11), "delta 2", {"lang": "fr"})])
    [top] = await store.search(collection, unit(11), 1)
    assert (top.id, top.text, top.metadata) == ("d", "delta 2", {"lang": "fr"})
    assert round(top.score, 4) == 1.0
    assert len(await store.search(collection, unit(0), 10)) == 4

    # Another dimension is refused, naming both.
    with pytest.raises(NodeError, match="3 dimensions"):
        await store.upsert(collection, [VectorRecord("x", [1.0, 0.0], "x", {})])

    # Delete by id, then by filter.
    await store.delete(collection, ids=["a"])
    assert [h.id for h in await store.search(collection, unit(0), 10)] == ["d", "b", "c"]
    await store.delete(collection, where={"lang": "en"})
    assert [h.id for h in await store.search(collection, unit(0), 10)] == ["d", "b"]

    # Collections are separate namespaces.
    other = f"{collection}_other"
    await store.drop(other)
    await store.upsert(other, [VectorRecord("a", [0.0, 1.0], "elsewhere", {})])
    assert [h.text for h in await store.search(other, [0.0, 1.0], 5)] == ["elsewhere"]
    assert len(await store.search(collection, unit(0), 10)) == 2

    await store.drop(collection)
    await store.drop(other)
    assert await store.search(collection, unit(0), 10) == []
