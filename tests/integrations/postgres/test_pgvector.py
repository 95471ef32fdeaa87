"""The ``pgvector`` vector store on the local PostgreSQL: the store contract when the
``vector`` extension is available. Where it is not (this machine's PostgreSQL has no
pgvector package), the round trip skips with that reason even under CI=true, and the store's
clear refusal is tested instead."""

from __future__ import annotations

import asyncpg
import pytest

from tests.integrations.postgres.conftest import pg_creds
from tests.integrations.services import unique
from tests.nodes.ai.retrieval.stores.contract import round_trip, unit
from wirework.integrations.postgres.credentials import POSTGRES
from wirework.integrations.postgres.vectors import PgVectorStore, literal, table
from wirework.sdk.ai.vectors import VectorRecord
from wirework.sdk.integration import close_pools
from wirework.sdk.node import NodeError
from wirework.testing import allow_loopback


async def _has_pgvector(pg: asyncpg.Connection) -> bool:
    found = await pg.fetchval("SELECT count(*) FROM pg_available_extensions WHERE name='vector'")
    return bool(found)


def _store() -> PgVectorStore:
    return PgVectorStore(POSTGRES.validate_credentials(pg_creds(), 5), 5)


async def test_round_trip(pg: asyncpg.Connection) -> None:
    if not await _has_pgvector(pg):
        pytest.skip(
            "the pgvector extension is not installed on the local PostgreSQL (no Debian "
            "package for this server here); skipped under CI too"
        )
    collection = unique("t")
    store = _store()
    try:
        with allow_loopback():
            await round_trip(store, collection)
    finally:
        await pg.execute(f"DROP TABLE IF EXISTS {table(collection)}")
        await close_pools()


async def test_without_the_extension_writes_are_refused_clearly(pg: asyncpg.Connection) -> None:
    if await _has_pgvector(pg):
        pytest.skip("pgvector is installed here: the round trip covers this server")
    store = _store()
    collection = unique("t")
    try:
        with allow_loopback():
            with pytest.raises(NodeError) as caught:
                await store.upsert(collection, [VectorRecord("a", unit(0), "a", {})])
            assert "pgvector extension is not installed" in caught.value.message
            assert not caught.value.retryable
            assert "pg-canary-password" not in caught.value.message
            # Nothing to search or delete in a collection that was never made.
            assert await store.search(collection, unit(0), 3) == []
            assert await store.delete(collection, ids=["a"]) == 0
    finally:
        await close_pools()


def test_vector_literal_and_table_names() -> None:
    assert literal([1, 0.5, -2]) == "[1.0,0.5,-2.0]"
    assert table("support_docs") == '"wirework_vectors_support_docs"'
