"""The embedded vector store: upsert and exact top-k search over N random vectors of a
typical embedding size, with sqlite-vec's cosine in SQLite and with the pure-Python
fallback (the same file). Also the splitter's throughput on a long text.

`python -m bench ai_vectors`: 10,000 x 384 (a small sentence-embedding model's size).
Nothing asserted."""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from pathlib import Path

from bench.common import machine, report
from wirework.nodes.ai.retrieval.splitters import split_text
from wirework.nodes.ai.retrieval.stores.embedded import EmbeddedStore
from wirework.sdk.ai.vectors import VectorRecord

SEARCHES = 20
RECORDS = 10_000
DIMENSIONS = 384


async def _bench(n: int, dims: int) -> None:
    rng = random.Random(1)
    records = [
        VectorRecord(
            f"r{i}", [rng.gauss(0, 1) for _ in range(dims)], f"text {i}", {"shard": i % 10}
        )
        for i in range(n)
    ]
    queries = [[rng.gauss(0, 1) for _ in range(dims)] for _ in range(SEARCHES)]
    rows: list[tuple[str, str]] = [("machine", machine()), ("records", f"{n:,} x {dims}")]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.sqlite3"
        store = EmbeddedStore(path, use_extension=False)
        start = time.perf_counter()
        for i in range(0, n, 500):
            await store.upsert("bench", records[i : i + 500])
        elapsed = time.perf_counter() - start
        rows.append(("upsert", f"{elapsed:.2f} s ({n / elapsed:,.0f} records/s, batches of 500)"))
        await store.aclose()
        for mode, label in ((True, "sqlite-vec"), (False, "pure Python")):
            store = EmbeddedStore(path, use_extension=mode)
            await store.search("bench", queries[0], 5)  # open, warm the page cache
            for where, what in (({}, "all"), ({"shard": 3}, "filter 1/10")):
                start = time.perf_counter()
                for q in queries:
                    await store.search("bench", q, 5, where)
                per = (time.perf_counter() - start) / SEARCHES * 1000
                rows.append((f"search k=5 {what}, {label}", f"{per:.1f} ms"))
            await store.aclose()
    text = ("A sentence of ordinary length goes here. " * 12 + "\n\n") * 2500
    start = time.perf_counter()
    chunks = split_text(text, chunk_size=1000, overlap=200)
    elapsed = time.perf_counter() - start
    rows.append(
        (
            "split 1.3 MB text, 1000/200 chars",
            f"{elapsed * 1000:.0f} ms ({len(chunks):,} chunks, "
            f"{len(text) / elapsed / 1e6:.1f} MB/s)",
        )
    )
    report("embedded vector store", rows)


def main() -> None:
    asyncio.run(_bench(RECORDS, DIMENSIONS))
