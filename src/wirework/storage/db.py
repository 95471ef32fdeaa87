"""``db`` storage: blobs as rows of ``output_chunks`` in the main database (SQLite,
PostgreSQL, MariaDB). Each chunk is one row, or several of at most ``PIECE_CHARS``
characters when it is larger (``part`` 1, 2, … continue it), so no row is ever huge; rows
are only inserted and deleted, read back in ``id`` order a page at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from wirework.db.engine import READONLY
from wirework.db.models import OutputChunk
from wirework.storage.base import Append, Storage, StorageError, execution_of

CHUNKS: Table = OutputChunk.__table__  # type: ignore[assignment]
# Largest piece of a chunk in one row (characters; ≤ 1 MB of UTF-8 in MariaDB packets).
PIECE_CHARS = 256 * 1024
# Rows read per query when streaming a blob back.
READ_ROWS = 32
# Executions (or rows) one DELETE removes.
DELETE_BATCH = 500
# A write that meets a deadlock or a lock timeout is tried again, this many times in all.
WRITE_ATTEMPTS = 3


class DbStorage(Storage):
    scheme = "db"

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def describe(self) -> str:
        return f"db ({self.engine.url.get_backend_name()} table output_chunks)"

    async def write(self, appends: Sequence[Append]) -> None:
        if not appends:
            return
        fresh = [a.key for a in appends if a.first]
        rows: list[dict[str, Any]] = []
        for a in appends:
            execution_id = execution_of(a.key)
            for chunk in a.chunks:
                for part, start in enumerate(range(0, max(len(chunk), 1), PIECE_CHARS)):
                    rows.append(
                        {
                            "execution_id": execution_id,
                            "blob_key": a.key,
                            "part": part,
                            "data": chunk[start : start + PIECE_CHARS],
                        }
                    )
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                await self._write(fresh, rows)
                return
            except Exception as exc:
                if attempt == WRITE_ATTEMPTS or not _transient(exc):
                    raise StorageError(f"{self.describe()}: {_reason(exc)}") from exc
                await asyncio.sleep(0.05 * attempt)

    async def _write(self, fresh: list[str], rows: list[dict[str, Any]]) -> None:
        async with self.engine.begin() as conn:
            if fresh:
                # Rows of a blob started afresh (a step run again), found by a plain read and
                # deleted by primary key: a DELETE … WHERE blob_key IN (…) that matches nothing
                # would take gap locks on MariaDB and deadlock with other writers' inserts.
                old = (
                    await conn.execute(select(CHUNKS.c.id).where(CHUNKS.c.blob_key.in_(fresh)))
                ).all()
                ids = [r.id for r in old]
                for start in range(0, len(ids), DELETE_BATCH):
                    await conn.execute(
                        delete(CHUNKS).where(CHUNKS.c.id.in_(ids[start : start + DELETE_BATCH]))
                    )
            # One executemany per few MB (a MariaDB packet holds a statement's rows).
            batch: list[dict[str, Any]] = []
            size = 0
            for row in rows:
                batch.append(row)
                size += len(row["data"])
                if size >= 4 * PIECE_CHARS:
                    await conn.execute(insert(CHUNKS), batch)
                    batch, size = [], 0
            if batch:
                await conn.execute(insert(CHUNKS), batch)

    async def read(self, key: str) -> AsyncIterator[str]:
        last = 0
        pieces: list[str] = []
        while True:
            query = (
                select(CHUNKS.c.id, CHUNKS.c.part, CHUNKS.c.data)
                .where(CHUNKS.c.blob_key == key, CHUNKS.c.id > last)
                .order_by(CHUNKS.c.id)
                .limit(READ_ROWS)
            )
            try:
                async with self.engine.connect() as conn:
                    await conn.execution_options(**{READONLY: True})
                    rows = (await conn.execute(query)).all()
            except Exception as exc:
                raise StorageError(f"{self.describe()}: {_reason(exc)}") from exc
            for row in rows:
                if row.part == 0 and pieces:
                    yield "".join(pieces)
                    pieces = []
                pieces.append(row.data)
            if len(rows) < READ_ROWS:
                break
            last = rows[-1].id
        if pieces:
            yield "".join(pieces)

    async def delete_executions(self, execution_ids: Sequence[str]) -> None:
        ids = list(execution_ids)
        for start in range(0, len(ids), DELETE_BATCH):
            some = ids[start : start + DELETE_BATCH]
            for attempt in range(1, WRITE_ATTEMPTS + 1):
                try:
                    await self._delete(some)
                    break
                except Exception as exc:
                    if attempt == WRITE_ATTEMPTS or not _transient(exc):
                        raise StorageError(f"{self.describe()}: {_reason(exc)}") from exc
                    await asyncio.sleep(0.05 * attempt)

    async def _delete(self, execution_ids: list[str]) -> None:
        # Found by a plain read, deleted by primary key (no gap locks: see _write).
        query = select(CHUNKS.c.id).where(CHUNKS.c.execution_id.in_(execution_ids))
        while True:
            async with self.engine.begin() as conn:
                found = [r.id for r in (await conn.execute(query.limit(DELETE_BATCH))).all()]
                if found:
                    await conn.execute(delete(CHUNKS).where(CHUNKS.c.id.in_(found)))
            if len(found) < DELETE_BATCH:
                return


def _reason(exc: BaseException) -> str:
    """The database's message, without statement parameters (they hold item data)."""
    orig = getattr(exc, "orig", None)
    if orig is not None:
        return f"{type(orig).__name__}: {str(orig).splitlines()[0][:300]}"
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def _transient(exc: BaseException) -> bool:
    """A deadlock, lock wait timeout or serialization failure: trying again may succeed."""
    text = str(getattr(exc, "orig", exc)).lower()
    # (SQLite's "database is locked" is not: its busy timeout has waited 30 s already.)
    return any(t in text for t in ("deadlock", "lock wait timeout", "could not serialize"))
