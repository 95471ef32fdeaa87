"""The ``pgvector`` vector store: a postgres integration's database with the ``vector``
extension (https://github.com/pgvector/pgvector).

A collection is a table ``wirework_vectors_<name>`` (in the connection's ``search_path``
schema): ``id text primary key, text, metadata jsonb, embedding vector(<dimension>)`` with
an HNSW index for cosine distance (``vector_cosine_ops``); it is made on the first write,
with ``CREATE EXTENSION IF NOT EXISTS vector`` (which needs a role allowed to create it,
or the extension created beforehand by an administrator). Search orders by ``<=>`` (cosine
distance; the score is 1 - distance), filters with ``metadata @> {…}`` (equality).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from wirework.integrations.postgres.credentials import (
    POSTGRES,
    PostgresCredentials,
    failure,
    pg_connection,
)
from wirework.sdk.ai.vectors import (
    Scalar,
    StoreKind,
    VectorHit,
    VectorRecord,
    VectorStore,
    register_vector_store,
)
from wirework.sdk.node import NodeContext, NodeError

TABLE_PREFIX = "wirework_vectors_"
NO_EXTENSION = (
    "the pgvector extension is not installed on this PostgreSQL server (install the "
    "server's pgvector package, then CREATE EXTENSION vector as an administrator)"
)


def table(collection: str) -> str:
    """The quoted table of a collection (its name was checked: check_collection)."""
    return f'"{TABLE_PREFIX}{collection}"'


def literal(vector: Sequence[float]) -> str:
    """pgvector's text form, ``[1,2,3]`` (sent as text and cast: no codec needed)."""
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


def containment(where: Mapping[str, Scalar] | None) -> str:
    """The ``metadata @>`` operand of an equality filter: JSON text (null matches null only)."""
    return json.dumps(dict(where or {}), separators=(",", ":"))


class PgVectorStore(VectorStore):
    kind = "pgvector"

    def __init__(self, credentials: PostgresCredentials, integration_id: int) -> None:
        self.credentials = credentials
        self.integration_id = integration_id

    async def _dimension(self, conn: asyncpg.Connection, collection: str) -> int | None:
        """The collection's dimension (its column's typmod), None if it has no table."""
        row = await conn.fetchrow(
            "SELECT a.atttypmod AS dims FROM pg_attribute a "
            "WHERE a.attrelid = to_regclass($1) AND a.attname = 'embedding'",
            table(collection),
        )
        return int(row["dims"]) if row is not None else None

    async def _create(self, conn: asyncpg.Connection, collection: str, dims: int) -> None:
        available = await conn.fetchval(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'"
        )
        if not available:
            raise NodeError(f"PostgreSQL: {NO_EXTENSION}", retryable=False)
        await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        name = table(collection)
        index = f'"{TABLE_PREFIX}{collection}_embedding"'
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {name} (id text PRIMARY KEY, text text NOT NULL, "
            f"metadata jsonb NOT NULL DEFAULT '{{}}', embedding vector({dims}) NOT NULL)"
        )
        await conn.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON {name} USING hnsw (embedding vector_cosine_ops)"
        )

    async def upsert(self, collection: str, records: Sequence[VectorRecord]) -> int:
        if not records:
            return 0
        async with pg_connection(self.integration_id, self.credentials) as conn:
            try:
                dims = await self._dimension(conn, collection)
                if dims is None:
                    dims = len(records[0].vector)
                    await self._create(conn, collection, dims)
                for record in records:
                    if len(record.vector) != dims:
                        raise NodeError(
                            f"collection {collection!r} holds vectors of {dims} dimensions; "
                            f"record {record.id!r} has {len(record.vector)}",
                            retryable=False,
                        )
                await conn.executemany(
                    f"INSERT INTO {table(collection)} (id, text, metadata, embedding) "  # noqa: S608 - checked names, bound values
                    "VALUES ($1, $2, $3::jsonb, $4::text::vector) ON CONFLICT (id) DO UPDATE "
                    "SET text = EXCLUDED.text, metadata = EXCLUDED.metadata, "
                    "embedding = EXCLUDED.embedding",
                    [(r.id, r.text, r.metadata, literal(r.vector)) for r in records],
                )
            except Exception as exc:
                raise failure(exc, "vector upsert", self.credentials) from None
        return len(records)

    async def search(
        self,
        collection: str,
        vector: Sequence[float],
        k: int,
        where: Mapping[str, Scalar] | None = None,
    ) -> list[VectorHit]:
        async with pg_connection(self.integration_id, self.credentials) as conn:
            try:
                dims = await self._dimension(conn, collection)
                if dims is None:
                    return []
                if len(vector) != dims:
                    raise NodeError(
                        f"collection {collection!r} holds vectors of {dims} dimensions; the "
                        f"query vector has {len(vector)}",
                        retryable=False,
                    )
                rows = await conn.fetch(
                    f"SELECT id, text, metadata, 1 - (embedding <=> $1::text::vector) AS score "  # noqa: S608 - checked names, bound values
                    f"FROM {table(collection)} WHERE metadata @> $2::text::jsonb "
                    "ORDER BY embedding <=> $1::text::vector LIMIT $3",
                    literal(vector),
                    containment(where),
                    k,
                )
            except Exception as exc:
                raise failure(exc, "vector search", self.credentials) from None
        return [
            VectorHit(r["id"], float(r["score"]), r["text"], dict(r["metadata"] or {}))
            for r in rows
        ]

    async def delete(
        self,
        collection: str,
        ids: Sequence[str] | None = None,
        where: Mapping[str, Scalar] | None = None,
    ) -> int | None:
        if ids is None and not where:
            raise NodeError("delete: give ids or a filter (drop deletes a whole collection)")
        async with pg_connection(self.integration_id, self.credentials) as conn:
            try:
                if await self._dimension(conn, collection) is None:
                    return 0
                status = await conn.execute(
                    f"DELETE FROM {table(collection)} WHERE metadata @> $1::text::jsonb "  # noqa: S608 - checked names, bound values
                    "AND ($2::text[] IS NULL OR id = ANY($2::text[]))",
                    containment(where),
                    list(ids) if ids is not None else None,
                )
            except Exception as exc:
                raise failure(exc, "vector delete", self.credentials) from None
        return int(status.split()[-1]) if status.startswith("DELETE") else None

    async def drop(self, collection: str) -> None:
        async with pg_connection(self.integration_id, self.credentials) as conn:
            try:
                await conn.execute(f"DROP TABLE IF EXISTS {table(collection)}")
            except Exception as exc:
                raise failure(exc, "vector drop", self.credentials) from None


@register_vector_store(StoreKind.PGVECTOR, "postgres")
def pgvector_store(
    ctx: NodeContext, credentials: Mapping[str, Any] | None, integration_id: int | None
) -> VectorStore:
    assert credentials is not None and integration_id is not None
    return PgVectorStore(POSTGRES.validate_credentials(credentials, integration_id), integration_id)
