"""The embedded store (a SQLite file): the store contract with sqlite-vec's cosine in SQLite
and with the pure-Python fallback (same file format, same scores)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.nodes.ai.retrieval.stores.contract import RECORDS, round_trip, unit
from wirework.nodes.ai.retrieval.stores.embedded import EmbeddedStore, _sqlite_with_extensions
from wirework.sdk.ai.vectors import VectorRecord
from wirework.sdk.node import NodeError

MODES = [pytest.param(False, id="python")]
if _sqlite_with_extensions() is not None:
    MODES.append(pytest.param(True, id="sqlite-vec"))


@pytest.mark.parametrize("use_extension", MODES)
async def test_round_trip(tmp_path: Path, use_extension: bool) -> None:
    store = EmbeddedStore(tmp_path / "v.sqlite3", use_extension=use_extension)
    assert store.uses_extension == use_extension
    try:
        await round_trip(store, "docs")
    finally:
        await store.aclose()


def test_sqlite_vec_loads_here() -> None:
    """sqlite-vec and an SQLite that loads it are installed dependencies."""
    assert _sqlite_with_extensions() is not None


async def test_both_modes_read_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "v.sqlite3"
    writer = EmbeddedStore(path, use_extension=False)
    await writer.upsert("docs", RECORDS)
    await writer.aclose()
    results = []
    for mode in (False, True):
        reader = EmbeddedStore(path, use_extension=mode)
        hits = await reader.search("docs", unit(25), 4, {"lang": "en"})
        results.append([(h.id, round(h.score, 5)) for h in hits])
        await reader.aclose()
    assert results[0] == results[1]
    assert [i for i, _ in results[0]] == ["a", "c", "d"]


async def test_filter_is_typed_and_null_matches_missing(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "v.sqlite3")
    await store.upsert("docs", RECORDS)
    assert [h.id for h in await store.search("docs", unit(0), 9, {"n": "1"})] == []
    assert [h.id for h in await store.search("docs", unit(0), 9, {"n": 1.0})] == ["a"]
    assert [h.id for h in await store.search("docs", unit(0), 9, {"ok": None})] == ["c"]
    assert [h.id for h in await store.search("docs", unit(0), 9, {"n": True})] == []
    await store.aclose()


async def test_query_of_another_dimension_and_empty_delete_are_errors(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "v.sqlite3")
    await store.upsert("docs", RECORDS)
    with pytest.raises(NodeError, match="query vector has 2"):
        await store.search("docs", [1.0, 0.0], 3)
    with pytest.raises(NodeError, match="give ids or a filter"):
        await store.delete("docs")
    assert await store.delete("docs", ids=[]) == 0
    assert await store.delete("docs", ids=["a", "zzz"]) == 1
    await store.aclose()


@pytest.mark.parametrize("use_extension", MODES)
async def test_a_zero_vector_scores_zero(tmp_path: Path, use_extension: bool) -> None:
    store = EmbeddedStore(tmp_path / "v.sqlite3", use_extension=use_extension)
    await store.upsert("c", [VectorRecord("z", [0.0, 0.0], "zero"), VectorRecord("a", [1.0, 0.0])])
    assert [(h.id, h.score) for h in await store.search("c", [1.0, 0.0], 5)] == [
        ("a", 1.0),
        ("z", 0.0),
    ]
    assert [h.score for h in await store.search("c", [0.0, 0.0], 5)] == [0.0, 0.0]
    await store.aclose()
