"""The storage contract (wirework.storage.base.Storage), run against every backend: file,
db (SQLite, PostgreSQL, MariaDB) and s3 (moto's S3 server)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from wirework.settings import Settings
from wirework.storage import (
    Append,
    FileStorage,
    Storage,
    StorageConfigError,
    blob_key,
    coalesce,
    open_storage,
    read_output,
)
from wirework.storage.db import PIECE_CHARS, DbStorage

E1, E2 = "a" * 32, "b" * 32


async def chunks(storage: Storage, key: str) -> list[str]:
    return [c async for c in storage.read(key)]


def doc(port: str, items: list[Any]) -> str:
    return json.dumps({port: items}, separators=(",", ":"))


async def test_appended_chunks_read_back_in_order(storage: Storage) -> None:
    key = blob_key(E1, "set", 0, 1)
    await storage.write([Append(key, [doc("main", [1, 2]), doc("main", [3])], first=True)])
    await storage.write([Append(key, [doc("main", [4])])])
    await storage.write([Append(key, [doc("other", ["x"]), doc("main", [5])])])
    assert await chunks(storage, key) == [
        doc("main", [1, 2]),
        doc("main", [3]),
        doc("main", [4]),
        doc("other", ["x"]),
        doc("main", [5]),
    ]
    assert await read_output(storage, key) == {"main": [1, 2, 3, 4, 5], "other": ["x"]}
    assert await read_output(storage, key, max_items=2) == {"main": [1, 2], "other": ["x"]}


async def test_first_starts_a_blob_afresh(storage: Storage) -> None:
    key = blob_key(E1, "n", 0, 1)
    await storage.write([Append(key, [doc("main", [1])], first=True)])
    await storage.write([Append(key, [doc("main", [2])])])
    await storage.write([Append(key, [doc("main", [9])], first=True)])
    assert await read_output(storage, key) == {"main": [9]}


async def test_a_blob_never_written_reads_as_nothing(storage: Storage) -> None:
    key = blob_key(E1, "missing", 0, 1)
    assert await chunks(storage, key) == []
    assert await read_output(storage, key) is None


async def test_many_blobs_in_one_write_stay_apart(storage: Storage) -> None:
    keys = [blob_key(E1, f"n{i}", i % 2, 1 + i % 3) for i in range(6)]
    await storage.write([Append(k, [doc("main", [i])], first=True) for i, k in enumerate(keys)])
    await storage.write([Append(k, [doc("main", [i * 10])]) for i, k in enumerate(keys)])
    for i, k in enumerate(keys):
        assert await read_output(storage, k) == {"main": [i, i * 10]}


async def test_a_large_chunk_and_unicode_round_trip(storage: Storage) -> None:
    """A chunk bigger than a database row's piece is split and joined back unchanged."""
    key = blob_key(E1, "big", 0, 1)
    text = "é€😀 \\ \" ' " * (PIECE_CHARS // 5)  # several pieces, multi-byte characters
    big = doc("main", [{"t": text}, {"t": "end"}])
    assert len(big) > 2 * PIECE_CHARS
    await storage.write([Append(key, [doc("main", [0])], first=True)])
    await storage.write([Append(key, [big, doc("main", [1])])])
    got = await chunks(storage, key)
    assert got == [doc("main", [0]), big, doc("main", [1])]


async def test_many_chunks_stream_back(storage: Storage) -> None:
    """More chunks than one read page or write holds: all back, in order."""
    key = blob_key(E1, "many", 0, 1)
    await storage.write([Append(key, [], first=True)])
    for start in range(0, 300, 50):
        await storage.write([Append(key, [doc("main", [i]) for i in range(start, start + 50)])])
    assert await read_output(storage, key) == {"main": list(range(300))}


async def test_delete_executions_removes_their_blobs_only(storage: Storage) -> None:
    keys1 = [blob_key(E1, "a", 0, 1), blob_key(E1, "b", 2, 3)]
    key2 = blob_key(E2, "a", 0, 1)
    await storage.write([Append(k, [doc("main", [1])], first=True) for k in [*keys1, key2]])
    await storage.delete_executions([E1])
    for k in keys1:
        assert await chunks(storage, k) == []
    assert await read_output(storage, key2) == {"main": [1]}
    await storage.delete_executions([E1, "c" * 32])  # idempotent; unknown ids are fine
    await storage.delete_executions([])
    # a deleted blob can be written afresh
    await storage.write([Append(keys1[0], [doc("main", [7])], first=True)])
    assert await read_output(storage, keys1[0]) == {"main": [7]}


async def test_concurrent_writes_of_different_blobs(storage: Storage) -> None:
    keys = [blob_key(E2, f"c{i}", 0, 1) for i in range(4)]

    async def fill(i: int, key: str) -> None:
        await storage.write([Append(key, [doc("main", [i, 0])], first=True)])
        for j in range(1, 5):
            await storage.write([Append(key, [doc("main", [i, j])])])

    await asyncio.gather(*(fill(i, k) for i, k in enumerate(keys)))
    for i, k in enumerate(keys):
        assert await read_output(storage, k) == {"main": [v for j in range(5) for v in (i, j)]}


def test_coalesce_keeps_queue_order_and_restarts_at_first() -> None:
    out = coalesce(
        [
            Append("e/a.0.1.jsonl", ["1"], first=True),
            Append("e/b.0.1.jsonl", ["x"]),
            Append("e/a.0.1.jsonl", ["2"]),
            Append("e/b.0.1.jsonl", ["y"], first=True),
            Append("e/b.0.1.jsonl", ["z"]),
        ]
    )
    assert [(a.key, a.chunks, a.first) for a in out] == [
        ("e/a.0.1.jsonl", ["1", "2"], True),
        ("e/b.0.1.jsonl", ["y", "z"], True),
    ]


# -- configuration --------------------------------------------------------------------------


def test_the_url_picks_the_backend(tmp_path: Any) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("sqlite+aiosqlite://")
    embedded = Settings(data_dir=tmp_path)
    default = open_storage(embedded, engine)
    assert isinstance(default, FileStorage) and default.root == tmp_path / "executions"
    there = open_storage(
        embedded.model_copy(update={"storage_url": f"file://{tmp_path}/x"}), engine
    )
    assert isinstance(there, FileStorage) and there.root == tmp_path / "x"
    assert isinstance(
        open_storage(embedded.model_copy(update={"storage_url": "db"}), engine), DbStorage
    )
    s3 = open_storage(
        embedded.model_copy(
            update={
                "storage_url": "s3://bucket/some/prefix?endpoint_url=http://127.0.0.1:9&region=eu-west-1"
            }
        ),
        engine,
    )
    assert s3.scheme == "s3" and s3.describe() == "s3://bucket/some/prefix at http://127.0.0.1:9"
    with pytest.raises(StorageConfigError, match="unknown storage 'ftp'"):
        open_storage(embedded.model_copy(update={"storage_url": "ftp://x/y"}), engine)
    with pytest.raises(StorageConfigError, match="unknown s3 parameter"):
        open_storage(embedded.model_copy(update={"storage_url": "s3://b/p?secret=x"}), engine)


def test_distributed_mode_refuses_file_and_defaults_to_db(tmp_path: Any) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("sqlite+aiosqlite://")
    distributed = Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:6379/0")
    assert isinstance(open_storage(distributed, engine), DbStorage)
    for url in ("file://", f"file://{tmp_path}"):
        with pytest.raises(StorageConfigError, match="distributed mode") as err:
            open_storage(distributed.model_copy(update={"storage_url": url}), engine)
        assert "other workers cannot read" in str(err.value)


def test_s3_objects_stay_bounded() -> None:
    """A big write is several objects of at most PART_CHARS (a bigger chunk alone)."""
    from wirework.storage.s3 import PART_CHARS, _parts

    small = "x" * (PART_CHARS // 3)
    huge = "y" * (PART_CHARS + 1)
    parts = list(_parts([small, small, small, huge, small]))
    assert [len(p) for p in parts] == [2, 1, 1, 1]
    assert [c for p in parts for c in p] == [small, small, small, huge, small]
    assert all(sum(len(c) + 1 for c in p) <= PART_CHARS + 1 for p in parts if len(p) > 1)
