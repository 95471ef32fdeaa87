"""Database nodes against the machine's servers (PostgreSQL 127.0.0.1:5432 user postgres db
test; MariaDB 127.0.0.1:3306 root db test; Redis 127.0.0.1:6379 db 13):

- a query of 100,000 rows through ``postgres.query`` / ``mysql.query`` in the engine (the
  server-side cursor, JSON conversion, the node's output), rows/s; baseline: the bare driver
  reading the same rows;
- insert throughput: 10,000 rows given to one ``insert`` step (multi-row statements), and
  1,000 items each inserted by its own step (the pooled connection per item); baseline: a
  new connection per item (what a step costs without the pool);
- 1,000 items through ``redis.incr``.

A server that is down is skipped."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from bench.common import Timer, machine, median, report
from wirework.engine.executor import Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore
from wirework.sdk.integration import close_pools
from wirework.sdk.outbound import IntegrationCredentials, OutboundPolicy, set_policy

ROWS = 100_000
BATCH = 10_000
ITEMS = 1_000
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "database": "test"}
MY = {"host": "127.0.0.1", "port": 3306, "user": "root", "database": "test"}


async def _run(node_type: str, params: dict[str, Any], creds: dict[str, Any], items: Any) -> Any:
    values = IntegrationCredentials(creds, integration_id=1, secret_fields={"password"})

    async def lookup(integration_id: int) -> dict[str, Any]:
        return values

    doc = {
        "name": "bench",
        "nodes": [
            {"id": "in", "type": "core.manual"},
            {"id": "n", "type": node_type, "integration_id": 1, "params": params},
        ],
        "connections": [{"from": "in", "to": "n"}],
    }
    runner = Runner(MemoryStore(), hooks=Hooks(credentials=lookup))
    started = await runner.execute(compile_graph(doc), input_items=items)
    record = await started.wait()
    assert record.status == "success", record.error
    return started.run.outputs["n"]["main"]


async def _timed(*args: Any) -> tuple[float, Any]:
    with Timer() as t:
        out = await _run(*args)
    return t.elapsed, out


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s ({seconds * 1000:,.0f} ms)"


async def _postgres() -> list[tuple[str, str]]:
    import asyncpg

    try:
        conn = await asyncpg.connect(**PG, timeout=5)
    except Exception as exc:
        return [("PostgreSQL", f"skipped: {exc}")]
    table = f"ww_bench_{secrets.token_hex(4)}"
    creds = {**PG, "tls": "disable"}
    sql = (
        f"SELECT g AS id, md5(g::text) AS name, g * 1.5 AS total FROM generate_series(1, {ROWS}) g"
    )
    await conn.execute(f"CREATE TABLE {table} (id serial PRIMARY KEY, name text, total numeric)")
    try:
        query = [await _timed("postgres.query", {"sql": sql, "max_rows": ROWS}, creds, None)]
        query += [await _timed("postgres.query", {"sql": sql, "max_rows": ROWS}, creds, None)]
        assert len(query[-1][1]) == ROWS
        with Timer() as bare:
            rows = [dict(r) for r in await conn.fetch(sql)]
        assert len(rows) == ROWS
        data = [{"name": f"n{i}", "total": i} for i in range(BATCH)]
        batch, _ = await _timed("postgres.insert", {"table": table, "data": data}, creds, None)
        items = [{"name": f"i{i}", "total": i} for i in range(ITEMS)]
        per_item, _ = await _timed("postgres.insert", {"table": table}, creds, items)
        with Timer() as fresh:
            for i in range(ITEMS):
                c = await asyncpg.connect(**PG)
                await c.execute(f"INSERT INTO {table} (name, total) VALUES ($1, $2)", f"f{i}", i)
                await c.close()
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.close()
    return [
        (f"PostgreSQL query, {ROWS:,} rows, engine", _rate(ROWS, median([q[0] for q in query]))),
        ("  baseline: asyncpg fetch, dicts", _rate(ROWS, bare.elapsed)),
        (f"PostgreSQL insert, {BATCH:,} rows in one step", _rate(BATCH, batch)),
        (f"PostgreSQL insert, {ITEMS:,} items, one row each (pool)", _rate(ITEMS, per_item)),
        ("  baseline: a new connection per row", _rate(ITEMS, fresh.elapsed)),
    ]


async def _mysql() -> list[tuple[str, str]]:
    import aiomysql

    try:
        conn = await aiomysql.connect(
            host=MY["host"], port=MY["port"], user=MY["user"], db=MY["database"], autocommit=True
        )
    except Exception as exc:
        return [("MySQL", f"skipped: {exc}")]
    table = f"ww_bench_{secrets.token_hex(4)}"
    creds = {**MY, "tls": "disable"}
    sql = f"SELECT seq AS id, md5(seq) AS name, seq * 1.5 AS total FROM seq_1_to_{ROWS}"
    async with conn.cursor() as cur:
        await cur.execute(
            f"CREATE TABLE {table} (id INT AUTO_INCREMENT PRIMARY KEY, name TEXT, "
            "total DECIMAL(12,2))"
        )
    try:
        query = [await _timed("mysql.query", {"sql": sql, "max_rows": ROWS}, creds, None)]
        assert len(query[-1][1]) == ROWS
        async with conn.cursor(aiomysql.SSDictCursor) as cur:
            with Timer() as bare:
                await cur.execute(sql)
                n = 0
                while batch_rows := await cur.fetchmany(1000):
                    n += len(batch_rows)
        assert n == ROWS
        data = [{"name": f"n{i}", "total": i} for i in range(BATCH)]
        batch, _ = await _timed("mysql.insert", {"table": table, "data": data}, creds, None)
        items = [{"name": f"i{i}", "total": i} for i in range(ITEMS)]
        per_item, _ = await _timed("mysql.insert", {"table": table}, creds, items)
        with Timer() as fresh:
            for i in range(ITEMS):
                c = await aiomysql.connect(
                    host=MY["host"],
                    port=MY["port"],
                    user=MY["user"],
                    db=MY["database"],
                    autocommit=True,
                )
                async with c.cursor() as cur:
                    await cur.execute(
                        f"INSERT INTO {table} (name, total) VALUES (%s, %s)", (f"f{i}", i)
                    )
                c.close()
    finally:
        async with conn.cursor() as cur:
            await cur.execute(f"DROP TABLE IF EXISTS {table}")
        conn.close()
    return [
        (f"MySQL query, {ROWS:,} rows, engine", _rate(ROWS, query[0][0])),
        ("  baseline: aiomysql unbuffered cursor, dicts", _rate(ROWS, bare.elapsed)),
        (f"MySQL insert, {BATCH:,} rows in one step", _rate(BATCH, batch)),
        (f"MySQL insert, {ITEMS:,} items, one row each (pool)", _rate(ITEMS, per_item)),
        ("  baseline: a new connection per row", _rate(ITEMS, fresh.elapsed)),
    ]


async def _redis() -> list[tuple[str, str]]:
    import redis.asyncio as aioredis

    prefix = f"ww_bench_{secrets.token_hex(4)}:"
    direct = aioredis.Redis(host="127.0.0.1", port=6379, db=13)
    try:
        await direct.ping()
    except Exception as exc:
        return [("Redis", f"skipped: {exc}")]
    creds = {"host": "127.0.0.1", "port": 6379, "db": 13, "key_prefix": prefix}
    try:
        items = [{"k": i % 10} for i in range(ITEMS)]
        took, _ = await _timed("redis.incr", {"key": "c{{ json.k }}"}, creds, items)
    finally:
        keys = [k async for k in direct.scan_iter(match=f"{prefix}*")]
        if keys:
            await direct.delete(*keys)
        await direct.aclose()
    return [(f"Redis incr, {ITEMS:,} items", _rate(ITEMS, took))]


async def main() -> None:
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        rows = await _postgres()
        await close_pools()
        rows += await _mysql()
        await close_pools()
        rows += await _redis()
    finally:
        await close_pools()
        set_policy(None)
    report(f"database nodes (local servers) — {machine()}", rows)


if __name__ == "__main__":
    asyncio.run(main())
