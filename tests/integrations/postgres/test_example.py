"""examples/webhook_to_postgres.yaml through the engine against the machine's PostgreSQL
(a hostile field stays data)."""

from __future__ import annotations

import asyncpg

from tests.integrations.postgres.conftest import pg_creds
from tests.integrations.workflows import example, run_in_engine


async def test_webhook_to_postgres(pg: asyncpg.Connection, table: str, loopback: None) -> None:
    await pg.execute(f"ALTER TABLE {table} RENAME COLUMN name TO customer")
    await pg.execute(f"ALTER TABLE {table} RENAME COLUMN tags TO items")
    await pg.execute(f"ALTER TABLE {table} RENAME COLUMN created TO created_at")
    doc = example("webhook_to_postgres.yaml")
    store = next(n for n in doc["nodes"] if n["id"] == "store")
    store["params"]["table"] = f"public.{table}"
    evil = f"x'); DROP TABLE {table}; --"
    body = {"customer": evil, "total": "42.50", "lines": [{"sku": "A1"}]}
    run = await run_in_engine(doc, pg_creds(), [{"body": body, "headers": {}, "query": {}}])
    assert run.record.status == "success", run.record.error
    [answer] = run.outputs["ok"]["main"]
    row = await pg.fetchrow(f"SELECT customer, total, items FROM {table}")
    assert row["customer"] == evil and str(row["total"]) == "42.50"
    assert row["items"] == '[{"sku": "A1"}]'
    assert answer  # the respond node ran with the new id
    assert run.outputs["store"]["main"][0]["id"] == 1
    # Without lines: an empty list, and a bad request is answered without inserting.
    run = await run_in_engine(doc, pg_creds(), [{"body": {"customer": "c", "total": 1}}])
    assert run.record.status == "success", run.record.error
    assert await pg.fetchval(f"SELECT items FROM {table} WHERE customer = 'c'") == "[]"
    run = await run_in_engine(doc, pg_creds(), [{"body": {"customer": "c"}}])
    assert (
        run.outputs["rejected"]["main"] and await pg.fetchval(f"SELECT count(*) FROM {table}") == 2
    )
