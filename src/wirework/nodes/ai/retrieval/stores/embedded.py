"""The embedded vector store: one SQLite file in the host's node storage directory
(``<data_dir>/nodes/vectors.sqlite3``), no set-up.

Records are rows (collection, id, text, metadata as JSON, vector as little-endian float32).
Search is exact (every record of the collection is scored; no approximate index): with the
sqlite-vec extension's ``vec_distance_cosine`` inside SQLite when an SQLite that can load
extensions is available (the standard library's, or the ``sqlean`` package's), else in
Python over the same rows. Both give the same scores; the file is the same either way.
Filters are evaluated in SQL (``json_extract``) in both modes.

Good for up to some hundred thousand records per collection; beyond that, or with several
workers on different machines, use pgvector or Qdrant.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import math
import sqlite3
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from wirework.sdk.ai.vectors import (
    Scalar,
    VectorHit,
    VectorRecord,
    VectorStore,
)
from wirework.sdk.node import NodeError

FILE_NAME = "vectors.sqlite3"
BUSY_TIMEOUT_MS = 30_000
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, dimension INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS records (collection TEXT NOT NULL, id TEXT NOT NULL, "
    "text TEXT NOT NULL, metadata TEXT NOT NULL, vector BLOB NOT NULL, "
    "PRIMARY KEY (collection, id))",
)


def pack(vector: Sequence[float]) -> bytes:
    return struct.pack(f"<{len(vector)}f", *vector)


def unpack(blob: bytes) -> tuple[float, ...]:
    return struct.unpack(f"<{len(blob) // 4}f", blob)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _sqlite_with_extensions() -> ModuleType | None:
    """An sqlite3 module whose connections can load sqlite-vec, or None."""
    try:
        import sqlite_vec  # noqa: F401 - the extension's package
    except ImportError:
        return None
    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sqlite3
    try:
        import sqlean
    except ImportError:
        return None
    return sqlean  # type: ignore[no-any-return]


def filter_sql(where: Mapping[str, Scalar]) -> tuple[str, list[Any]]:
    """`` AND …`` conditions for an equality filter on the JSON metadata (typed: "1" is not
    1, true is not 1), with their parameters. Keys were checked (check_filter)."""
    sql: list[str] = []
    args: list[Any] = []
    for key, value in where.items():
        path = f'$."{key}"'
        if value is None:
            sql.append(" AND coalesce(json_type(metadata, ?), 'null') = 'null'")
            args.append(path)
        elif isinstance(value, bool):
            sql.append(" AND json_type(metadata, ?) = ?")
            args += [path, "true" if value else "false"]
        elif isinstance(value, str):
            sql.append(" AND json_type(metadata, ?) = 'text' AND json_extract(metadata, ?) = ?")
            args += [path, path, value]
        else:
            sql.append(
                " AND json_type(metadata, ?) IN ('integer', 'real')"
                " AND json_extract(metadata, ?) = ?"
            )
            args += [path, path, value]
    return "".join(sql), args


class EmbeddedStore(VectorStore):
    kind = "embedded"

    def __init__(self, path: Path, *, use_extension: bool | None = None) -> None:
        """``use_extension``: None uses sqlite-vec where it loads; False never (tests)."""
        self.path = path
        module = _sqlite_with_extensions() if use_extension is not False else None
        if use_extension and module is None:
            raise NodeError("sqlite-vec cannot be loaded here", retryable=False)
        self._module: ModuleType = module or sqlite3
        self.uses_extension = module is not None
        self._conn: Any = None
        self._lock = asyncio.Lock()

    # -- the connection (used in a worker thread, one call at a time) ---------------------

    def _connect(self) -> Any:
        if self._conn is None:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            conn = self._module.connect(
                str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )
            if self.uses_extension:
                import sqlite_vec

                conn.enable_load_extension(True)
                sqlite_vec.load(conn)
                conn.enable_load_extension(False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            for statement in SCHEMA:
                conn.execute(statement)
            conn.commit()
            self._conn = conn
        return self._conn

    async def _call(self, fn: Any, *args: Any) -> Any:
        async with self._lock:
            try:
                return await asyncio.to_thread(fn, *args)
            except (sqlite3.Error, self._module.Error) as exc:
                raise NodeError(f"embedded vector store ({self.path.name}): {exc}") from None

    async def aclose(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await asyncio.to_thread(conn.close)

    # -- writing ---------------------------------------------------------------------------

    def _dimension(self, conn: Any, collection: str) -> int | None:
        row = conn.execute(
            "SELECT dimension FROM collections WHERE name = ?", (collection,)
        ).fetchone()
        return int(row[0]) if row else None

    def _upsert(self, collection: str, records: Sequence[VectorRecord]) -> int:
        conn = self._connect()
        with conn:
            dimension = self._dimension(conn, collection)
            if dimension is None:
                dimension = len(records[0].vector)
                conn.execute(
                    "INSERT INTO collections (name, dimension) VALUES (?, ?)",
                    (collection, dimension),
                )
            for record in records:
                if len(record.vector) != dimension:
                    raise NodeError(
                        f"collection {collection!r} holds vectors of {dimension} dimensions; "
                        f"record {record.id!r} has {len(record.vector)}",
                        retryable=False,
                    )
            conn.executemany(
                "INSERT INTO records (collection, id, text, metadata, vector) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET "
                "text = excluded.text, metadata = excluded.metadata, vector = excluded.vector",
                [
                    (
                        collection,
                        r.id,
                        r.text,
                        json.dumps(r.metadata, separators=(",", ":"), default=str),
                        pack(r.vector),
                    )
                    for r in records
                ],
            )
        return len(records)

    async def upsert(self, collection: str, records: Sequence[VectorRecord]) -> int:
        if not records:
            return 0
        return int(await self._call(self._upsert, collection, records))

    # -- searching -------------------------------------------------------------------------

    def _search(
        self, collection: str, vector: Sequence[float], k: int, where: Mapping[str, Scalar]
    ) -> list[VectorHit]:
        conn = self._connect()
        dimension = self._dimension(conn, collection)
        if dimension is None:
            return []
        if len(vector) != dimension:
            raise NodeError(
                f"collection {collection!r} holds vectors of {dimension} dimensions; the "
                f"query vector has {len(vector)}",
                retryable=False,
            )
        condition, args = filter_sql(where)
        if self.uses_extension:
            # A zero vector has no direction: its distance is NULL, its score 0.
            sql = (
                "SELECT id, text, metadata, coalesce(1.0 - vec_distance_cosine(vector, ?), 0.0) "  # noqa: S608 - bound values
                f"AS score FROM records WHERE collection = ?{condition} "
                "ORDER BY score DESC, id LIMIT ?"
            )
            rows = conn.execute(sql, [pack(vector), collection, *args, k]).fetchall()
            return [VectorHit(r[0], float(r[3]), r[1], json.loads(r[2])) for r in rows]
        query = unpack(pack(vector))  # the same float32 rounding as the stored vectors
        scored = (
            (cosine(query, unpack(blob)), row_id)
            for row_id, blob in conn.execute(
                f"SELECT id, vector FROM records WHERE collection = ?{condition}",  # noqa: S608 - checked names, bound values
                [collection, *args],
            )
        )
        best = heapq.nsmallest(k, scored, key=lambda s: (-s[0], s[1]))
        hits = []
        for score, row_id in best:
            text, metadata = conn.execute(
                "SELECT text, metadata FROM records WHERE collection = ? AND id = ?",
                (collection, row_id),
            ).fetchone()
            hits.append(VectorHit(row_id, score, text, json.loads(metadata)))
        return hits

    async def search(
        self,
        collection: str,
        vector: Sequence[float],
        k: int,
        where: Mapping[str, Scalar] | None = None,
    ) -> list[VectorHit]:
        hits: list[VectorHit] = await self._call(
            self._search, collection, list(vector), k, dict(where or {})
        )
        return hits

    # -- deleting --------------------------------------------------------------------------

    def _delete(
        self, collection: str, ids: Sequence[str] | None, where: Mapping[str, Scalar]
    ) -> int:
        conn = self._connect()
        condition, args = filter_sql(where)
        if ids is not None:
            if not ids:
                return 0
            marks = ", ".join("?" for _ in ids)
            condition += f" AND id IN ({marks})"
            args += list(ids)
        with conn:
            cursor = conn.execute(
                f"DELETE FROM records WHERE collection = ?{condition}",  # noqa: S608 - bound values
                [collection, *args],
            )
        return int(cursor.rowcount)

    async def delete(
        self,
        collection: str,
        ids: Sequence[str] | None = None,
        where: Mapping[str, Scalar] | None = None,
    ) -> int | None:
        if ids is None and not where:
            raise NodeError("delete: give ids or a filter (drop deletes a whole collection)")
        return int(await self._call(self._delete, collection, ids, dict(where or {})))

    def _drop(self, collection: str) -> None:
        conn = self._connect()
        with conn:
            conn.execute("DELETE FROM records WHERE collection = ?", (collection,))
            conn.execute("DELETE FROM collections WHERE name = ?", (collection,))

    async def drop(self, collection: str) -> None:
        await self._call(self._drop, collection)


def open_embedded(root: Path, *, use_extension: bool | None = None) -> EmbeddedStore:
    return EmbeddedStore(root / FILE_NAME, use_extension=use_extension)
