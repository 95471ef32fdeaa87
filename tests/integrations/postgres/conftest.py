"""The local PostgreSQL (127.0.0.1:5432, user postgres, database test): a direct asyncpg
connection for setting up and checking tables, and credentials for the integration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from tests.integrations.conftest import credentials
from tests.integrations.services import PG, unavailable, unique
from wirework.sdk.outbound import IntegrationCredentials


@pytest.fixture
async def pg() -> AsyncIterator[asyncpg.Connection]:
    try:
        conn = await asyncpg.connect(**PG, timeout=5)
    except Exception as exc:
        unavailable(f"PostgreSQL at {PG['host']}:{PG['port']} unreachable: {exc}")
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def table(pg: asyncpg.Connection) -> AsyncIterator[str]:
    """A fresh table (dropped after the test): id serial, name text, total numeric,
    created timestamptz, tags jsonb."""
    name = unique("ww_pg")
    await pg.execute(
        f"CREATE TABLE {name} (id serial PRIMARY KEY, name text, total numeric(10,2), "
        "created timestamptz DEFAULT now(), tags jsonb, status text DEFAULT 'new')"
    )
    try:
        yield name
    finally:
        await pg.execute(f"DROP TABLE IF EXISTS {name}")


def pg_creds(**over: Any) -> IntegrationCredentials:
    values = {**PG, "tls": "disable", "password": "pg-canary-password", **over}
    return credentials(values, {"password"}, name="Postgres local")
